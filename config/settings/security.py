"""Security headers, CSP, cookies. HTTPS-only settings switch on with GUANXI_HTTPS=1."""

from django.utils.csp import CSP

from config import env as E

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SESSION_COOKIE_SECURE = E.HTTPS
CSRF_COOKIE_SECURE = E.HTTPS
SECURE_SSL_REDIRECT = E.HTTPS
SECURE_HSTS_SECONDS = 31536000 if E.HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = E.HTTPS
SECURE_HSTS_PRELOAD = E.HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if E.HTTPS else None
