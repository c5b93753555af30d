from django.utils.cache import patch_cache_control

from guanxi.core import context


class RequestContextMiddleware:
    """Activates the signed-in user's organisation, language and time zone for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tokens = context.begin_request(request)
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                context.activate_user(request, user)
            response = self.get_response(request)
            if getattr(request, "user", None) is not None and request.user.is_authenticated:
                # Never let a shared cache keep a signed-in page (ASVS 14.3.2).
                patch_cache_control(response, private=True, no_store=True)
            return response
        finally:
            context.end_request(tokens)
