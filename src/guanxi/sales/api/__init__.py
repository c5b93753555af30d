"""Sales api, one module per sub-domain."""
