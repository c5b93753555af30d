"""Every write in sales goes through these modules, one per sub-domain (DESIGN: services = writes)."""
