"""What sales does when other domains change things (connected in SalesConfig.ready)."""

from __future__ import annotations

from django.dispatch import receiver

from guanxi.customers.signals import customer_saved


@receiver(customer_saved, dispatch_uid="sales.place_customer")
def place_saved_customer(sender, customer, created, actor=None, **kwargs):
    """A new or changed customer goes to the territory its address and industry match (SAL-5);
    its open opportunities follow it, as re-territorying would move them."""
    from guanxi.sales.models import Opportunity
    from guanxi.sales.services.territories import place_customer

    territory = place_customer(customer)
    if not created:
        Opportunity.objects.filter(organization_id=customer.organization_id, customer_id=customer.pk,
                                   closed_at__isnull=True).exclude(
            territory_id=territory.pk if territory else None).update(territory=territory)
