"""Page/page_size pagination with API.md's `{items, total, page, page_size, has_more}` body."""

import functools
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from relay.api.parsing import parse_query


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1, max_value=10**9, default=1, help_text="1-based page number."
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=settings.RELAY_MAX_PAGE_SIZE,
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
) -> Response:
    """One page of an ordered queryset. Pass `total` when the caller keeps a count cheaper than
    `COUNT(*)`."""
    query = parse_query(PageQuerySerializer, request)
    page = query["page"]
    page_size = query.get("page_size") or settings.RELAY_PAGE_SIZE
    if total is None:
        total = queryset.count()
    offset = (page - 1) * page_size
    rows = list(queryset[offset : offset + page_size]) if offset < total else []
    return Response(
        {
            "items": item_serializer(rows, many=True).data,
            "total": total,
            "page": page,
            "page_size": page_size,
            "has_more": offset + len(rows) < total,
        }
    )
