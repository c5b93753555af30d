"""The products, price-lists and quotes operations are all in the OpenAPI document (the shared
checks of test_openapi.py — error responses, summaries, security — run over them too); amounts are
strings, and the PDF route says it returns a PDF."""

import pytest
from django.test import Client

ROUTES = {
    ("get", "/api/v1/products"), ("post", "/api/v1/products"), ("post", "/api/v1/products/configure"),
    ("get", "/api/v1/products/{product_id}"), ("patch", "/api/v1/products/{product_id}"),
    ("delete", "/api/v1/products/{product_id}"), ("get", "/api/v1/products/{product_id}/price"),
    ("put", "/api/v1/products/{product_id}/bundle-items/{item_product_id}"),
    ("delete", "/api/v1/products/{product_id}/bundle-items/{item_product_id}"),
    ("post", "/api/v1/products/{product_id}/rules"), ("delete", "/api/v1/products/{product_id}/rules/{rule_id}"),
    ("get", "/api/v1/price-lists"), ("post", "/api/v1/price-lists"), ("get", "/api/v1/price-lists/{price_list_id}"),
    ("patch", "/api/v1/price-lists/{price_list_id}"), ("delete", "/api/v1/price-lists/{price_list_id}"),
    ("post", "/api/v1/price-lists/{price_list_id}/items"),
    ("delete", "/api/v1/price-lists/{price_list_id}/items/{item_id}"),
    ("get", "/api/v1/quotes"), ("post", "/api/v1/quotes"), ("get", "/api/v1/quotes/{quote_id}"),
    ("patch", "/api/v1/quotes/{quote_id}"), ("delete", "/api/v1/quotes/{quote_id}"),
    ("get", "/api/v1/quotes/{quote_id}/pdf"), ("post", "/api/v1/quotes/{quote_id}/lines"),
    ("patch", "/api/v1/quotes/{quote_id}/lines/{line_id}"), ("delete", "/api/v1/quotes/{quote_id}/lines/{line_id}"),
    ("post", "/api/v1/quotes/{quote_id}/submit"), ("post", "/api/v1/quotes/{quote_id}/approve"),
    ("post", "/api/v1/quotes/{quote_id}/reject"), ("post", "/api/v1/quotes/{quote_id}/send"),
    ("post", "/api/v1/quotes/{quote_id}/new-version"), ("post", "/api/v1/quotes/{quote_id}/accept"),
    ("post", "/api/v1/quotes/{quote_id}/decline"),
}


@pytest.fixture
def document(db):
    return Client().get("/api/v1/openapi.json").json()


def test_sales_catalogue_and_quote_operations_are_documented(document):
    operations = {(m, p): op for p, ops in document["paths"].items() for m, op in ops.items()}
    ours = {key for key in operations if key[1].startswith(("/api/v1/products", "/api/v1/price-lists",
                                                            "/api/v1/quotes"))}
    assert ours == ROUTES
    for key in ours:
        codes = set(operations[key]["responses"])
        assert {"401", "403", "404", "422"} <= codes, key
        if key[0] in ("post", "patch", "put", "delete"):
            assert {"400", "409"} <= codes, key
    pdf = operations[("get", "/api/v1/quotes/{quote_id}/pdf")]["responses"]["200"]["content"]
    assert set(pdf) == {"application/pdf"}
    schemas = document["components"]["schemas"]
    for name in ("subtotal", "discount_total", "tax_total", "total"):
        assert schemas["QuoteOut"]["properties"][name]["type"] == "string"
    for name in ("QuoteIn", "QuoteLineIn", "ProductIn", "PriceListIn", "PriceItemIn", "SendIn"):
        assert schemas[name]["additionalProperties"] is False, name
