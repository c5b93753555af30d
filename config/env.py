"""The only module that reads the process environment.

Everything configurable is read here once, with its default, so `grep env.` in
config/ lists every knob the deployment has.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("GUANXI_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("GUANXI_DEBUG", default=False)
SECRET_KEY_FILE = VAR_DIR / "secret_key"
SECRET_KEY = env.str("GUANXI_SECRET_KEY", default="")
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'guanxi.sqlite3'}")
ALLOWED_HOSTS = env.list("GUANXI_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("GUANXI_CSRF_TRUSTED_ORIGINS", default=[])
HTTPS = env.bool("GUANXI_HTTPS", default=False)
TASKS_BACKEND = env.str("GUANXI_TASKS", default="huey")  # huey | immediate
HUEY_FILE = env.str("GUANXI_HUEY_FILE", default=str(VAR_DIR / "huey.sqlite3"))
MEDIA_ROOT = Path(env.str("GUANXI_MEDIA_ROOT", default=str(VAR_DIR / "media")))
EMAIL_URL = env.str("GUANXI_EMAIL_URL", default="console://")
DEFAULT_FROM_EMAIL = env.str("GUANXI_FROM_EMAIL", default="guanxi@localhost")
ATTACHMENT_MAX_BYTES = env.int("GUANXI_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_BYTES = env.int("GUANXI_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
LOG_LEVEL = env.str("GUANXI_LOG_LEVEL", default="INFO")


def secret_key() -> str:
    """An explicit key wins; otherwise one is generated once and kept under var/."""
    if SECRET_KEY:
        return SECRET_KEY
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    from django.core.management.utils import get_random_secret_key

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = get_random_secret_key() + get_random_secret_key()
    SECRET_KEY_FILE.write_text(key)
    SECRET_KEY_FILE.chmod(0o600)
    return key
