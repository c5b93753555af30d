from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by administrators (`guanxi createuser`, user admin), never by sign-up."""

    def is_open_for_signup(self, request):
        return False


def axes_username(request, credentials=None) -> str | None:
    """The login name for lockout: allauth posts it as `login` but authenticates with `username`."""
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("login")
    if not name and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        name = data.get("login") or data.get("username")
    return (name or "").strip().lower() or None
