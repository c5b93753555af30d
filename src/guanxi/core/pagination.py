"""The one way lists are paginated in pages (later modules reuse it)."""

from django.core.paginator import Paginator

from guanxi.customers.filters import PAGE_SIZES


def paginate(request, queryset, *, default_size: int = PAGE_SIZES[0]):
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    if size not in PAGE_SIZES:
        size = default_size
    paginator = Paginator(queryset, size)
    return paginator.get_page(request.GET.get("page"))
