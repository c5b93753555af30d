"""Sales forms, one module per sub-domain."""
