"""SQL queries per request of the load test's 4-way mix (tests/bench/bench_stack.py, issue 20).

Database round trips dominate those requests on the production shape, so each endpoint's count
is held to a ceiling here, measured on realistic data and authenticated by API key as clients
are. A count that grows with the rows on the page is a per-row query, and fails. Run with `-s`
to print the counts (docs/benchmarks.md records them).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services as annotation_services
from datasets import services as dataset_services
from tests.factories import make_dataset, make_ready_audio

# The most queries each request may make, whatever the number of rows it lists (before this
# ceiling: 4, 5, 5-6 and 13). The key with its tenant is one of them; a list that fits its page
# needs no COUNT(*). In a test the POST's transaction is a SAVEPOINT and its RELEASE, two of its
# ten; in production they are BEGIN and COMMIT.
MAX_QUERIES = {
    "dataset list": 3,  # key, datasets, their artifact types
    "audio list": 3,  # key, dataset, files
    "annotations page": 4,  # key, set with its dataset, the page's ids, their rows
    "annotation POST": 10,  # key, set, types, audio; lock, newest id, insert, counts
}
ARTIFACT_TYPES = ("click", "dropout", "clipping", "long_pause")


@pytest.fixture
def api_client(api_client):
    """The key has been used a moment ago, as a load test's keys have: its `last_used_at` is
    fresh, so authenticating it writes nothing (tenants.services._record_use)."""
    assert api_client.get("/api/v1/datasets").status_code == 200
    return api_client


def _queries(client, method: str, path: str, **kwargs) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code in {200, 201}, response.content
    return len(captured), [query["sql"] for query in captured.captured_queries]


def _report(name: str, count: int, statements: list[str]) -> None:
    print(f"\n{name}: {count} queries")  # noqa: T201
    for statement in statements:
        print(f"    {statement[:160]}")  # noqa: T201


@pytest.fixture
def labelled_dataset(tenant, tmp_path):
    """A dataset with four types, ready audio with metadata, and a draft set of annotations."""
    dataset = make_dataset(tenant=tenant, name="TTS glitches", artifact_types=ARTIFACT_TYPES)
    audio = make_ready_audio(dataset=dataset, folder=tmp_path, seconds=1.0)
    dataset_services.update_audio(audio=audio, metadata={"tts_model": "v3", "voice": "anna"})
    labels = annotation_services.create_annotation_set(dataset=dataset, name="labels")
    rows = [
        {
            "audio_file_id": str(audio.pk),
            "artifact_type": ARTIFACT_TYPES[i % len(ARTIFACT_TYPES)],
            "start_ms": 10 * i,
            "end_ms": 10 * i + 5,
        }
        for i in range(60)
    ]
    annotation_services.add_annotations(annotation_set=labels, rows=rows, loc=["body"])
    return dataset, labels, audio


def _more_datasets(tenant, count: int, *, batch: str) -> None:
    for i in range(count):
        make_dataset(tenant=tenant, name=f"{batch} {i}", artifact_types=ARTIFACT_TYPES)


def _more_audio(dataset, count: int) -> None:
    for i in range(count):
        dataset_services.request_audio_upload(
            dataset=dataset,
            filename=f"take-{i}.wav",
            content_type="audio/wav",
            file_size=1000,
            metadata={"tts_model": "v3", "take": i},
        )


def _assert_list_cost(client, path: str, name: str, grow) -> None:
    """A list costs MAX_QUERIES[name] when it fits its page, whatever its length, and one query
    more (its COUNT(*)) when it runs over several pages."""
    few, statements = _queries(client, "get", path)
    grow()
    fits, _ = _queries(client, "get", path)
    paged, _ = _queries(client, "get", path, data={"page": 2, "page_size": 5})
    _report(name, fits, statements)
    print(f"{name}, over several pages: {paged} queries")  # noqa: T201
    assert few == fits <= MAX_QUERIES[name]
    assert paged <= MAX_QUERIES[name] + 1


@pytest.mark.django_db
def test_listing_datasets_costs_at_most_3_queries_whatever_the_number_of_datasets(
    api_client, tenant, labelled_dataset
):
    _more_datasets(tenant, 2, batch="first")
    _assert_list_cost(
        api_client,
        "/api/v1/datasets",
        "dataset list",
        lambda: _more_datasets(tenant, 10, batch="second"),
    )


@pytest.mark.django_db
def test_listing_audio_costs_at_most_3_queries_whatever_the_number_of_files(
    api_client, labelled_dataset
):
    dataset, _, _ = labelled_dataset
    _assert_list_cost(
        api_client,
        f"/api/v1/datasets/{dataset.pk}/audio",
        "audio list",
        lambda: _more_audio(dataset, 12),
    )


@pytest.mark.django_db
def test_a_page_of_annotations_costs_at_most_4_queries_whatever_the_page(
    api_client, labelled_dataset
):
    dataset, labels, _ = labelled_dataset
    path = f"/api/v1/datasets/{dataset.pk}/annotation-sets/{labels.pk}/annotations"
    counts = []
    for page in (1, 2, 3):
        count, statements = _queries(api_client, "get", path, data={"page": page, "page_size": 20})
        counts.append(count)
    _report("annotations page", max(counts), statements)
    assert max(counts) <= MAX_QUERIES["annotations page"]


@pytest.mark.django_db
def test_adding_an_annotation_costs_at_most_10_queries(api_client, labelled_dataset):
    dataset, labels, audio = labelled_dataset
    path = f"/api/v1/datasets/{dataset.pk}/annotation-sets/{labels.pk}/annotations"
    body = {"audio_file_id": str(audio.pk), "artifact_type": "click", "start_ms": 0, "end_ms": 20}
    count, statements = _queries(api_client, "post", path, data=body, format="json")
    _report("annotation POST", count, statements)
    assert count <= MAX_QUERIES["annotation POST"]
