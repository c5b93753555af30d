import pytest

from guanxi.core.tenancy import unscoped


@pytest.fixture(autouse=True)
def _unscoped_outside_requests():
    """Tests call services and selectors directly; requests through the test client still get the
    real per-request tenant scope from the middleware."""
    with unscoped():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps login rate-limit counters in the cache; one test's failures must not lock out the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def world(db):
    from guanxi.testing import build_world

    return build_world()


@pytest.fixture
def client_for(client, world):
    """client_for("rep_a") → a Django test client logged in as that user."""
    from django.test import Client

    def make(name):
        c = Client()
        c.force_login(world.users[name])
        return c

    return make


@pytest.fixture
def sales_world(world):
    """The world plus pipelines, territories and one opportunity per ownership case (guanxi.testing.build_sales)."""
    from guanxi.testing import build_sales

    return build_sales(world)


@pytest.fixture
def smtp(settings):
    """A real SMTP listener on 127.0.0.1 (guanxi.testing_smtp) with Django's SMTP backend pointed at it."""
    from config.settings.email import mailers
    from guanxi.testing_smtp import SmtpListener

    with SmtpListener() as listener:
        settings.MAILERS = mailers(listener.url)
        yield listener
