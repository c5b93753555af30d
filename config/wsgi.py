import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
