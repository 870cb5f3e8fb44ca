"""Query parameters: an empty query gets the serializer's defaults, worked out once, and exactly
what validating it would give."""

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from datasets.serializers import AudioQuerySerializer, CueQuerySerializer
from relay.api import pagination
from relay.api.pagination import PageQuerySerializer
from relay.api.parsing import parse_query
from relay.errors import Invalid


def request_with(query: dict[str, str]) -> Request:
    return Request(APIRequestFactory().get("/api/v1/anything", query))


def validated(serializer_class, query: dict[str, str]) -> dict:
    serializer = serializer_class(data=query)
    assert serializer.is_valid(), serializer.errors
    return dict(serializer.validated_data)


@pytest.mark.parametrize("serializer_class", [PageQuerySerializer, AudioQuerySerializer])
def test_an_empty_query_gets_what_validating_it_gives(serializer_class):
    first = parse_query(serializer_class, request_with({}))
    first["page"] = 99  # the caller's copy: the next request gets the defaults again

    assert parse_query(serializer_class, request_with({})) == validated(serializer_class, {})


def test_a_query_with_parameters_is_validated_as_always():
    assert parse_query(PageQuerySerializer, request_with({"page": "3"}))["page"] == 3
    with pytest.raises(Invalid):
        parse_query(PageQuerySerializer, request_with({"page": "0"}))


def test_an_empty_query_that_is_invalid_is_still_refused():
    with pytest.raises(Invalid):
        parse_query(CueQuerySerializer, request_with({}))


def test_computed_defaults_are_computed_for_every_request():
    calls = []

    class Stamped(serializers.Serializer):
        stamp = serializers.IntegerField(default=lambda: calls.append(1) or len(calls))

    assert parse_query(Stamped, request_with({})) == {"stamp": 1}
    assert parse_query(Stamped, request_with({})) == {"stamp": 2}


@pytest.mark.parametrize(
    "query",
    [{}, {"page": "3"}, {"page": "007", "page_size": "20"}, {"page_size": "500"}],
)
def test_plain_page_numbers_read_directly_match_the_serializers(query):
    assert pagination._page_query(request_with(query)) == validated(PageQuerySerializer, query)


@pytest.mark.parametrize(
    "query",
    [{"page": "0"}, {"page": "1000000001"}, {"page_size": "501"}, {"page": "2.5"}, {"page": "x"}],
)
def test_other_page_numbers_get_the_serializers_errors(query):
    with pytest.raises(Invalid) as direct:
        pagination._page_query(request_with(query))
    with pytest.raises(Invalid) as validated_error:
        parse_query(PageQuerySerializer, request_with(query))

    assert direct.value.items == validated_error.value.items
