"""Test settings: same stack, fast hasher, tasks run inline, files under var/test."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
HUEY = {"name": "guanxi-test", "huey_class": "huey.MemoryHuey", "immediate": True}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = VAR_DIR / "test" / f"media-{os.getpid()}"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A real file, not :memory:, so locking and WAL behave as in production.
    # One file per test process, so parallel runs (xdist, several terminals) never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test" / f"guanxi-test-{os.getpid()}.sqlite3")}
AXES_ENABLED = True
# Static files come straight from the apps (no collectstatic needed to run the tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = VAR_DIR / "test" / "static-root"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
