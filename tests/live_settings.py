"""Production settings (config.settings.base) for servers the tests start, with one difference:
static files are served from the apps by WhiteNoise's finders instead of a collected, hashed
manifest, so a test does not need the two minutes `collectstatic` takes (`make run` does it)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
