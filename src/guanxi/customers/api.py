from ninja import Router

customers_router = Router(tags=["customers"])
contacts_router = Router(tags=["contacts"])
