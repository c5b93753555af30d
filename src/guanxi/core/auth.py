from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by administrators (`guanxi createuser`, user admin), never by sign-up."""

    def is_open_for_signup(self, request):
        return False
