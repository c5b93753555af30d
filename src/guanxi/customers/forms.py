"""Customer and contact forms. They only shape input; rules live in customers.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.core.selectors import assignable_users, store_list
from guanxi.customers.models import Contact, Customer
from guanxi.customers.permissions import CustomerPerm


class BootstrapMixin:
    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if self.errors.get(field_name_of(self, field)):
                widget.attrs["class"] += " is-invalid"


def field_name_of(form, field):
    for name, f in form.fields.items():
        if f is field:
            return name
    return None


def apply_service_errors(form, exc: ValidationError, aliases: dict | None = None) -> None:
    """Show a service's ValidationError on the form fields it names (the rest above the form)."""
    aliases = aliases or {}
    for name, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        name = aliases.get(name, name)
        form.add_error(name if name in form.fields else None, messages)


class CustomerForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    store = forms.ModelChoiceField(label=_("Store"), queryset=None, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    phone2 = forms.CharField(label=_("Second phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Customer.Stage.choices, initial=Customer.Stage.LEAD)
    source = forms.ChoiceField(label=_("Source"), choices=Customer.Source.choices, initial=Customer.Source.OTHER)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    province = forms.CharField(label=_("Province"), max_length=50, required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    tags = forms.CharField(label=_("Tags"), max_length=500, required=False, help_text=_("Separate tags with commas."))
    external_id = forms.CharField(label=_("External id"), max_length=64, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    allow_duplicate = forms.BooleanField(label=_("Create it anyway, I checked the similar customers"), required=False)

    def __init__(self, *args, actor, perm=CustomerPerm.CREATE, instance: Customer | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {
                **{f: getattr(instance, f) for f in ("kind", "name", "phone", "phone2", "email", "stage", "source",
                                                     "industry", "province", "city", "address", "website",
                                                     "external_id", "notes")},
                "owner": instance.owner_id, "store": instance.store_id,
                "tags": ", ".join(t.name for t in instance.tags.all()),
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        owners = assignable_users(actor=actor, perm=perm)
        if instance is not None and instance.owner_id:
            owners = owners | owners.model.objects.filter(pk=instance.owner_id)
        self.fields["owner"].queryset = owners.distinct()
        self.fields["owner"].initial = self.fields["owner"].initial or (None if instance else actor.pk)
        self.fields["store"].queryset = store_list(actor=actor)
        if instance is not None:
            del self.fields["allow_duplicate"]
        self._style()

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "allow_duplicate"}
        if self.instance is None and not data.get("owner"):
            data.pop("owner", None)  # a new customer left without an owner belongs to whoever creates it
        else:
            data["owner"] = data["owner"].pk if data.get("owner") else None
        data["store"] = data["store"].pk if data.get("store") else None
        return data


class ContactForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Contact.Role.choices, initial=Contact.Role.OTHER)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    reports_to = forms.ModelChoiceField(label=_("Reports to"), queryset=None, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customer: Customer, instance: Contact | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {f: getattr(instance, f) for f in ("name", "title", "role", "department", "phone",
                                                                   "email", "notes")}
            kwargs["initial"]["reports_to"] = instance.reports_to_id
        super().__init__(*args, **kwargs)
        others = Contact.objects.filter(customer=customer).order_by("name_pinyin")
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        self.fields["reports_to"].queryset = others
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["reports_to"] = data["reports_to"].pk if data.get("reports_to") else None
        return data


class NoteForm(BootstrapMixin, forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
