"""Sales models, one module per sub-domain; import them from here."""

from guanxi.sales.models.catalog import (
    BundleItem,
    PriceList,
    PriceListItem,
    Product,
    ProductRule,
)
from guanxi.sales.models.commission import CommissionEntry, CommissionRule, Quota
from guanxi.sales.models.documents import Contract, ContractFile, Quote, QuoteLine
from guanxi.sales.models.expenses import ExpenseClaim
from guanxi.sales.models.leads import Lead, LeadScoreRule, RoundRobinState, WebForm
from guanxi.sales.models.orders import Order, OrderLine, Payment
from guanxi.sales.models.pipeline import Opportunity, Pipeline, Stage, StageChange
from guanxi.sales.models.playbook import PlaybookEntry, TipComment, TipPost
from guanxi.sales.models.settings import NumberSequence, SalesSettings
from guanxi.sales.models.territories import (
    CustomerTerritory,
    Territory,
    TerritoryMember,
)

__all__ = [
    "BundleItem", "CommissionEntry", "CommissionRule", "Contract", "ContractFile", "CustomerTerritory",
    "ExpenseClaim", "Lead", "LeadScoreRule", "NumberSequence", "Opportunity", "Order", "OrderLine", "Payment",
    "Pipeline", "PlaybookEntry", "PriceList", "PriceListItem", "Product", "ProductRule", "Quota", "Quote",
    "QuoteLine", "RoundRobinState", "SalesSettings", "Stage", "StageChange", "Territory", "TerritoryMember",
    "TipComment", "TipPost", "WebForm",
]
