"""Sales views, one module per sub-domain."""
