"""What sales does when other domains change things (connected in SalesConfig.ready)."""

from __future__ import annotations

from django.dispatch import receiver

from guanxi.customers.signals import customer_merging, customer_saved


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


@receiver(customer_merging, dispatch_uid="sales.follow_merge")
def move_sales_records_on_merge(sender, source, target, actor=None, **kwargs):
    """A merged-away customer's deals, quotes, contracts, orders and converted leads now belong to
    the customer it was merged into (nothing is lost, and the source can be deleted)."""
    from guanxi.sales.models import Contract, Lead, Opportunity, Order, Quote

    for model in (Opportunity, Quote, Contract, Order):
        model.objects.filter(organization_id=target.organization_id, customer_id=source.pk).update(customer=target)
    Lead.objects.filter(organization_id=target.organization_id, converted_customer_id=source.pk).update(
        converted_customer=target)
