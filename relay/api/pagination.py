"""Page/page_size pagination with API.md's `{items, total, page, page_size, has_more}` body."""

import functools
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from relay.api.parsing import parse_query

SHALLOW_ROWS = 10_000  # up to here a plain OFFSET is as fast as the two-step page read
MAX_PAGE = 10**9
MAX_PAGE_SIZE = settings.RELAY_MAX_PAGE_SIZE


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE, default=1, help_text="1-based page number."
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        required=False,
        help_text=f"Items per page (default {settings.RELAY_PAGE_SIZE}).",
    )


@functools.cache
def paginated_serializer(
    item_serializer: type[serializers.Serializer],
) -> type[serializers.Serializer]:
    """The schema of a page of `item_serializer` items, named `Paginated<Item>List`."""
    name = item_serializer.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}ListSerializer",
        (serializers.Serializer,),
        {
            "items": item_serializer(many=True),
            "total": serializers.IntegerField(min_value=0),
            "page": serializers.IntegerField(min_value=1),
            "page_size": serializers.IntegerField(min_value=1),
            "has_more": serializers.BooleanField(),
        },
    )


def paginate(
    request: Request,
    queryset: QuerySet[Any],
    item_serializer: type[serializers.Serializer],
    *,
    total: int | None = None,
    render: Callable[[list[Any]], list[dict[str, Any]]] | None = None,
    load: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
    fetch: Callable[..., list[Any]] | None = None,
) -> Response:
    """One page of an ordered queryset. Pass `total` when the caller keeps a count cheaper than
    `COUNT(*)`; `load` to shape the page's rows (`.values(...)`, `.select_related(...)`: kept
    off `queryset` so that finding the page stays index-only); `render` to build the items
    faster than `item_serializer` (which still documents them); and `fetch` to read a page a
    better way than `fetch_page` (same arguments)."""
    query = _page_query(request)
    page = query["page"]
    page_size = query.get("page_size") or settings.RELAY_PAGE_SIZE
    offset = (page - 1) * page_size
    load = load or _as_is
    rows = None
    if total is None and offset < SHALLOW_ROWS:
        # A shallow page is read first; when it is the last one (short, and not empty past the
        # end) its rows tell the total, and COUNT(*) is a round trip saved.
        rows = list(load(queryset)[offset : offset + page_size])
        if len(rows) < page_size and (rows or offset == 0):
            total = offset + len(rows)
    if total is None:
        total = queryset.count()
    if rows is None:
        rows = (fetch or fetch_page)(
            queryset, offset=offset, limit=page_size, total=total, load=load
        )
    if render is None:
        serializer = output_serializer(item_serializer)
        items = [serializer.to_representation(row) for row in rows]
    else:
        items = render(rows)
    return Response(
        {
            "items": items,
            "total": total,
            "page": page,
            "page_size": page_size,
            "has_more": offset + len(rows) < total,
        }
    )


PLAIN_NUMBER = re.compile(r"[0-9]{1,10}")


def _page_query(request: Request) -> dict[str, int]:
    """`page` and `page_size`: plain numbers in range (nearly every request) are read directly,
    anything else goes through PageQuerySerializer for its 422 (whose checks these mirror)."""
    params = request.query_params
    page, page_size = params.get("page", "1"), params.get("page_size")
    if (
        PLAIN_NUMBER.fullmatch(page)
        and 1 <= int(page) <= MAX_PAGE
        and (
            page_size is None
            or (PLAIN_NUMBER.fullmatch(page_size) and 1 <= int(page_size) <= MAX_PAGE_SIZE)
        )
    ):
        query = {"page": int(page)}
        if page_size is not None:
            query["page_size"] = int(page_size)
        return query
    return parse_query(PageQuerySerializer, request)


@functools.cache
def output_serializer(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """One shared instance of an output serializer, its fields built once. DRF builds a model
    serializer's fields anew for every instance it makes (a field per column, from the model's
    metadata): a quarter of a short list's time. Turning a row into its dict only reads those
    fields, so every request and thread can share them (no context: pages have none)."""
    serializer = serializer_class()
    serializer.fields  # noqa: B018 (built here, before threads share the instance)
    return serializer


def _as_is(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


def fetch_page(
    queryset: QuerySet[Any],
    *,
    offset: int,
    limit: int,
    total: int,
    load: Callable[[QuerySet[Any]], QuerySet[Any]] = _as_is,
) -> list[Any]:
    """Rows [offset, offset + limit) of `queryset`, whose ordering must end in a unique key.

    OFFSET walks every row it skips, so deep pages of a big table are slow. Two steps keep that
    walk small: the page's primary keys are found first, which an index on the ordering answers
    without touching the table (a deferred join), and from whichever end of that order is nearer,
    so the last page costs what the first does. Then only the page's rows are read. Small
    lists, where the walk costs nothing, take one query.
    """
    if not queryset.ordered:
        raise ValueError("fetch_page needs an ordered queryset")
    if offset >= total or limit <= 0:
        return []
    count = min(limit, total - offset)
    if total <= SHALLOW_ROWS:
        return list(load(queryset)[offset : offset + count])
    from_end = total - offset - count
    if from_end < offset:
        keys = list(queryset.reverse().values_list("pk", flat=True)[from_end : from_end + count])
    else:
        keys = list(queryset.values_list("pk", flat=True)[offset : offset + count])
    return list(load(queryset.filter(pk__in=keys)))
