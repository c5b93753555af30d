"""Outgoing mail (Django 6.1 MAILERS) from GUANXI_EMAIL_URL: console://, locmem://, smtp://user:pass@host:port[?tls=1]."""

from urllib.parse import parse_qs, unquote, urlparse

BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}


def mailers(url: str) -> dict:
    parsed = urlparse(url)
    scheme = {"consolemail": "console", "smtps": "smtp"}.get(parsed.scheme, parsed.scheme)
    config: dict = {"BACKEND": BACKENDS.get(scheme, BACKENDS["console"])}
    if scheme == "smtp":
        query = parse_qs(parsed.query)
        config["OPTIONS"] = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 25,
            "username": unquote(parsed.username or ""),
            "password": unquote(parsed.password or ""),
            "use_tls": query.get("tls", ["0"])[0] == "1",
            "use_ssl": parsed.scheme == "smtps",
            "timeout": 20,
        }
    return {"default": config}
