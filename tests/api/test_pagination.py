import pytest

from datasets import selectors
from datasets.serializers import DatasetSerializer
from relay.api import pagination
from tests.factories import make_dataset

DATASETS_URL = "/api/v1/datasets"


@pytest.fixture
def seven_datasets(tenant):
    return [make_dataset(tenant=tenant, name=f"set {index}") for index in range(7)]


def test_pages_hold_items_total_and_has_more(api_client, seven_datasets):
    first = api_client.get(DATASETS_URL, {"page_size": 3}).json()
    last = api_client.get(DATASETS_URL, {"page_size": 3, "page": 3}).json()

    assert {key: first[key] for key in ("total", "page", "page_size", "has_more")} == {
        "total": 7,
        "page": 1,
        "page_size": 3,
        "has_more": True,
    }
    assert [item["name"] for item in first["items"]] == ["set 6", "set 5", "set 4"]
    assert [item["name"] for item in last["items"]] == ["set 0"]
    assert last["has_more"] is False


def test_paging_visits_every_item_once(api_client, seven_datasets):
    seen = []
    for page in (1, 2, 3):
        seen += [
            item["id"]
            for item in api_client.get(DATASETS_URL, {"page_size": 3, "page": page}).json()["items"]
        ]

    assert sorted(seen) == sorted(str(dataset.pk) for dataset in seven_datasets)


@pytest.mark.parametrize("page_size", [1, 2, 3, 7])
def test_big_lists_read_deep_pages_from_the_nearer_end_with_the_same_result(
    api_client, seven_datasets, monkeypatch, page_size
):
    expected = [str(dataset.pk) for dataset in reversed(seven_datasets)]
    monkeypatch.setattr(pagination, "SHALLOW_ROWS", 0)  # treat seven rows as a big list

    pages = [
        api_client.get(DATASETS_URL, {"page_size": page_size, "page": page}).json()
        for page in range(1, 8 // page_size + 2)
    ]

    assert [item["id"] for page in pages for item in page["items"]] == expected
    for number, page in enumerate(pages, start=1):
        assert page["has_more"] == (number * page_size < 7)


def test_a_page_past_the_end_is_empty(api_client, seven_datasets):
    body = api_client.get(DATASETS_URL, {"page": 99}).json()

    assert body["items"] == []
    assert body["has_more"] is False
    assert body["total"] == 7


def test_defaults_are_page_one_of_fifty(api_client, seven_datasets):
    body = api_client.get(DATASETS_URL).json()

    assert (body["page"], body["page_size"]) == (1, 50)


def test_the_largest_page_size_is_accepted(api_client):
    assert api_client.get(DATASETS_URL, {"page_size": 500}).status_code == 200


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"page": 0}, ["query", "page"]),
        ({"page": -1}, ["query", "page"]),
        ({"page": "two"}, ["query", "page"]),
        ({"page": "1.5"}, ["query", "page"]),
        ({"page_size": 0}, ["query", "page_size"]),
        ({"page_size": 501}, ["query", "page_size"]),
        ({"page_size": "all"}, ["query", "page_size"]),
        ({"page": 10**12}, ["query", "page"]),
    ],
    ids=["zero", "negative", "word", "fraction", "size-zero", "size-over-max", "size-word", "huge"],
)
def test_invalid_paging_values_are_422_in_the_query(api_client, query, loc):
    response = api_client.get(DATASETS_URL, query)

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_a_nul_in_the_search_is_422_not_a_database_error(api_client):
    response = api_client.get(DATASETS_URL, {"search": "a\x00b"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "search"]


@pytest.mark.parametrize("page_size", [1, 3, 6, 7, 8, 50])
def test_the_total_is_the_same_whether_counted_or_read_off_a_short_last_page(
    api_client, seven_datasets, page_size
):
    pages = [
        api_client.get(DATASETS_URL, {"page_size": page_size, "page": page}).json()
        for page in range(1, 7 // page_size + 3)  # up to a page past the end
    ]

    assert {page["total"] for page in pages} == {7}
    assert sum(len(page["items"]) for page in pages) == 7


def test_an_empty_list_has_a_total_of_zero(api_client):
    body = api_client.get(DATASETS_URL).json()

    assert (body["items"], body["total"], body["has_more"]) == ([], 0, False)


def test_items_are_what_a_fresh_serializer_gives_from_one_shared_instance(
    api_client, seven_datasets
):
    items = api_client.get(DATASETS_URL).json()["items"]
    rows = list(selectors.list_datasets(tenant=seven_datasets[0].tenant))
    fresh = api_client.get(DATASETS_URL).json()["items"]

    assert items == fresh == DatasetSerializer(rows, many=True).data
    shared = pagination.output_serializer(DatasetSerializer)
    assert pagination.output_serializer(DatasetSerializer) is shared
