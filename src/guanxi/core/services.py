"""Writes for organisations, stores, teams, users and API tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, tenancy
from guanxi.core.models import ApiToken, Organization, Store, Team, User
from guanxi.core.permissions import CorePerm, require
from guanxi.core.roles import Role


@transaction.atomic
def organization_create(*, name: str, slug: str, language: str = "zh-hans", timezone_name: str = "Asia/Shanghai",
                        currency: str = "CNY", phone_region: str = "CN") -> Organization:
    org = Organization(name=name, slug=slug, default_language=language, timezone=timezone_name, currency=currency,
                       default_phone_region=phone_region)
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def store_create(*, organization: Organization, code: str, name: str, is_headquarters: bool = False,
                 timezone_name: str | None = None, address: str = "", phone: str = "") -> Store:
    with tenancy.tenant_scope(organization):
        store = Store(organization=organization, code=code, name=name, is_headquarters=is_headquarters,
                      timezone=timezone_name or organization.timezone, address=address, phone=phone)
        store.full_clean()
        store.save()
    return store


@transaction.atomic
def team_create(*, organization: Organization, name: str, store: Store | None = None) -> Team:
    with tenancy.tenant_scope(organization):
        team = Team(organization=organization, name=name, store=store)
        team.full_clean()
        team.save()
    return team


@transaction.atomic
def user_create(*, actor: User | None, organization: Organization, username: str, role: str,
                password: str | None = None, store: Store | None = None, team: Team | None = None,
                email: str = "", first_name: str = "", last_name: str = "", language: str = "") -> User:
    """Create a member of staff. `actor` None means the command line (an operator on the machine)."""
    if actor is not None:
        require(actor, CorePerm.MANAGE_USERS)
        if actor.organization_id != organization.pk:
            raise ValidationError({"organization": [_("You can only add users to your own organisation.")]})
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    for name, obj in (("store", store), ("team", team)):
        if obj is not None and obj.organization_id != organization.pk:
            raise ValidationError({name: [_("Choose one of this organisation's.")]})
    user = User(organization=organization, username=username, role=role, store=store, team=team, email=email,
                first_name=first_name, last_name=last_name, language=language)
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor=actor or user, action=audit.Action.CREATE, obj=user, organization_id=organization.pk,
                 changes={"role": [None, role], "store": [None, store.pk if store else None]})
    return user


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> User:
    """Deactivation ends every session (the auth backends refuse inactive users) and every token."""
    if actor is not None:
        require(actor, CorePerm.MANAGE_USERS)
        if actor.organization_id != user.organization_id:
            raise ValidationError({"user": [_("Unknown user.")]})
    user.is_active = False
    user.save(update_fields=["is_active"])
    with tenancy.tenant_scope(user.organization_id):
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor=actor or user, action=audit.Action.DEACTIVATE, obj=user, organization_id=user.organization_id)
    return user


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    if language not in ("zh-hans", "en"):
        raise ValidationError({"language": [_("Choose Chinese or English.")]})
    actor.language = language
    actor.save(update_fields=["language"])
    return actor


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "api") -> tuple[ApiToken, str]:
    """Returns the token row and its secret; the secret is not stored and cannot be shown again."""
    if actor is not None and actor.pk != user.pk:
        require(actor, CorePerm.MANAGE_USERS)
    if not user.is_active:
        raise ValidationError({"user": [_("The user is deactivated.")]})
    secret = ApiToken.new_secret()
    with tenancy.tenant_scope(user.organization_id):
        token = ApiToken.objects.create(organization_id=user.organization_id, user=user, name=name[:100],
                                        key_prefix=secret[:10], key_hash=ApiToken.hash(secret))
    audit.record(actor=actor or user, action=audit.Action.TOKEN, obj=token, organization_id=user.organization_id)
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    if actor.pk != token.user_id:
        require(actor, CorePerm.MANAGE_USERS)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action=audit.Action.DELETE, obj=token)


def user_for_token(secret: str) -> User | None:
    """The active user behind an API token, or None. Runs before any tenant is in scope."""
    if not secret or len(secret) > 200:
        return None
    with tenancy.unscoped():
        # key_hash is unique: a bare LIMIT 1 (first() would add an ORDER BY on every API request)
        found = (ApiToken.objects.select_related("user", "user__organization", "user__store")
                 .filter(key_hash=ApiToken.hash(secret), revoked_at__isnull=True)[:1])
        token = next(iter(found), None)
        if token is None or not token.user.is_active or not token.user.organization.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
