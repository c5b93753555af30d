"""Template helpers every list and detail page uses."""

from django import template
from django.utils.html import format_html

from guanxi.core.phones import display_phone
from guanxi.customers.filters import PAGE_SIZES

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return display_phone(value or "")


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str, current: str, target: str = ""):
    """A column header that sorts by `key`, toggling direction when it is already the sort."""
    bare = key.lstrip("-")
    active = current.lstrip("-") == bare
    if active:
        new = bare if current.startswith("-") else f"-{bare}"
    else:
        new = key
    params = context["request"].GET.copy()
    params["sort"] = new
    params.pop("page", None)
    url = "?" + params.urlencode()
    arrow = ("▼" if current.startswith("-") else "▲") if active else ""
    if target:
        return format_html('<a href="{}" hx-get="{}" hx-target="{}" hx-push-url="true">{} {}</a>', url, url, target, label, arrow)
    return format_html('<a href="{}">{} {}</a>', url, label, arrow)


@register.simple_tag
def page_sizes():
    return PAGE_SIZES
