"""In-app notifications (the bell in the navbar) and the e-mail that goes with them.

`notify` is called inside a service's transaction: the notification row is part of that
transaction, and the e-mail is sent only once it commits (a rolled-back assignment mails nobody).
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core.models import Notification, User
from guanxi.core.tenancy import tenant_scope

TEXT_MAX = 300
URL_MAX = 300


def notify(user: User, text: str, url: str = "", *, email: bool = True) -> Notification | None:
    """Tell `user` something; returns the notification (None for an inactive user, who is not told)."""
    if user is None or not user.is_active:
        return None
    text = " ".join(str(text).split())[:TEXT_MAX]
    url = url if url.startswith("/") and not url.startswith("//") else ""
    note = Notification.objects.create(organization_id=user.organization_id, recipient=user, text=text,
                                       url=url[:URL_MAX])
    if email and user.email:
        transaction.on_commit(partial(send_notification_email.enqueue, note.pk, user.organization_id))
    return note


@task
def send_notification_email(notification_id: int, organization_id: int) -> None:
    """The notification as an e-mail, in the recipient's language, through Django's default mailer."""
    from django.core.mail import send_mail

    with tenant_scope(organization_id):
        note = Notification.objects.select_related("recipient", "recipient__organization").filter(
            pk=notification_id).first()
        if note is None or not note.recipient.email:
            return
        user = note.recipient
        language = user.language or user.organization.default_language
        with translation.override(language):
            link = f"{getattr(settings, 'SITE_URL', '').rstrip('/')}{note.url}" if note.url else ""
            body = note.text + (f"\n\n{link}" if link else "") + "\n\n— " + _("Guanxi")
            send_mail(note.text[:120], body, None, [user.email])


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    # The navbar also renders on pages where the user signed in during this very request, before
    # the middleware could put their organisation in scope.
    with tenant_scope(user.organization_id):
        return Notification.objects.filter(organization_id=user.organization_id, recipient_id=user.pk,
                                           read_at__isnull=True).count()


def notifications_for(user) -> QuerySet:
    return Notification.objects.filter(organization_id=user.organization_id, recipient_id=user.pk)


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of `user` read; returns how many."""
    qs = notifications_for(user).filter(read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
