from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from guanxi.sales import permissions  # noqa: F401 - registers the role policy and territory reach
        from guanxi.sales import receivers  # noqa: F401 - customer placement in territories
        from guanxi.sales.lead_import import register as register_lead_import

        register_lead_import()  # kind "leads" for the customers' import engine
