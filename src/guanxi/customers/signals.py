"""Signals other domains listen to, so customers does not import them.

customer_saved(sender=Customer, customer=..., created=bool, actor=...) is sent by customer_create
and customer_update at the end of their transaction (a receiver's writes commit or roll back
with the customer's).

customer_merging(sender=Customer, source=..., target=..., actor=...) is sent by customer_merge just
before the source is deleted: each domain moves its rows that point at the source to the target.
"""

from django.dispatch import Signal

customer_saved = Signal()
customer_merging = Signal()
