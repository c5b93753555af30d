"""Sales selectors, one module per sub-domain."""
