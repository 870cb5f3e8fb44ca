"""Annotation speed: `make bench` (or `python -m tests.bench.bench_annotations`).

Runs against the database DATABASE_URL names (the targets are for PostgreSQL; on the embedded
SQLite default it still runs and says so) in a throwaway test database that it creates and drops.
Requests go through the whole API in-process (DRF's test client: authentication, parsing,
validation, the database, rendering), so the times are server time without the network.

- bulk: POST …/annotations/bulk with 10 000 annotations into a fresh draft, 5 times.
- paging: a set of 1 000 000 annotations (written with one INSERT … SELECT, then ANALYZE'd as
  autovacuum would), GET pages of 500 at the start, the middle and the end, 7 times each, while
  it is a draft and again once it is published (both page from anchors).
Each figure is the median wall time of its repeats.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid

BULK_ROWS = 10_000
PAGED_ROWS = 1_000_000
PAGE_SIZE = 500
AUDIO_FILES = 100
AUDIO_DURATION_MS = 600_000
BULK_TARGET_S = 1.0
PAGE_TARGET_S = 0.050


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=PAGED_ROWS, help="annotations in the paged set")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relay.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        results = run(paged_rows=args.rows)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print_report(results)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


def run(*, paged_rows: int) -> dict[str, object]:
    from django.db import connection
    from rest_framework.test import APIClient

    from tests.factories import make_api_key, make_dataset, make_tenant

    tenant = make_tenant(name="Bench", email="bench@relay.test").tenant
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=make_api_key(tenant=tenant).key)
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "dropout", "clipping"])
    audio_ids = _make_ready_audio(dataset, AUDIO_FILES)
    sets_url = f"/api/v1/datasets/{dataset.pk}/annotation-sets"

    bulk_times = []
    for repeat in range(5):
        set_id = client.post(sets_url, {"name": f"bulk {repeat}"}, format="json").json()["id"]
        body = {"annotations": _rows(audio_ids, BULK_ROWS, seed=repeat)}
        started = time.perf_counter()
        response = client.post(f"{sets_url}/{set_id}/annotations/bulk", body, format="json")
        bulk_times.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content[:500]

    set_id = client.post(sets_url, {"name": "paged"}, format="json").json()["id"]
    started = time.perf_counter()
    _fill(set_id, audio_ids, paged_rows)
    fill_s = time.perf_counter() - started
    draft_pages = _time_pages(client, f"{sets_url}/{set_id}", paged_rows)
    started = time.perf_counter()
    response = client.post(f"{sets_url}/{set_id}/publish")
    publish_s = time.perf_counter() - started
    assert response.status_code == 200, response.content[:500]
    published_pages = _time_pages(client, f"{sets_url}/{set_id}", paged_rows)
    return {
        "database": connection.vendor,
        "bulk_rows": BULK_ROWS,
        "bulk_median_s": statistics.median(bulk_times),
        "bulk_times_s": bulk_times,
        "paged_rows": paged_rows,
        "page_size": PAGE_SIZE,
        "fill_s": fill_s,
        "publish_s": publish_s,
        "pages": {"draft": draft_pages, "published": published_pages},
    }


def _time_pages(client, set_url: str, rows: int) -> dict[str, dict[str, float]]:
    pages = (rows + PAGE_SIZE - 1) // PAGE_SIZE
    times_by_page = {}
    for label, page in (("first", 1), ("middle", pages // 2), ("last", pages)):
        url = f"{set_url}/annotations?page={page}&page_size={PAGE_SIZE}"
        times = []
        for _ in range(7):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:500]
            expected = min(PAGE_SIZE, rows - (page - 1) * PAGE_SIZE)
            assert len(response.json()["items"]) == expected
        times_by_page[label] = {"page": page, "median_s": statistics.median(times)}
    return times_by_page


def _make_ready_audio(dataset, count: int) -> list[str]:
    from datasets.models import AudioFile

    files = AudioFile.objects.bulk_create(
        AudioFile(
            tenant_id=dataset.tenant_id,
            dataset=dataset,
            filename=f"clip_{index:04d}.wav",
            content_type="audio/wav",
            file_size=1,
            processing_status=AudioFile.Status.READY,
            duration_ms=AUDIO_DURATION_MS,
        )
        for index in range(count)
    )
    return [str(audio.pk) for audio in files]


def _rows(audio_ids: list[str], count: int, *, seed: int) -> list[dict[str, object]]:
    types = ("click", "dropout", "clipping")
    rows = []
    for index in range(count):
        start = (index * 7919 + seed * 13) % (AUDIO_DURATION_MS - 1000)
        rows.append(
            {
                "audio_file_id": audio_ids[index % len(audio_ids)],
                "artifact_type": types[index % len(types)],
                "start_ms": start,
                "end_ms": start + 20 + index % 500,
                "confidence": 1.0,
            }
        )
    return rows


def _fill(set_id: str, audio_ids: list[str], rows: int) -> None:
    """Writes `rows` annotations straight in SQL (the API would take minutes to add a million)
    and keeps the set's counts and page anchors true, as the services do."""
    from django.db import connection, transaction
    from django.utils import timezone

    from annotations import services
    from annotations.models import Annotation, AnnotationSet
    from datasets.models import ArtifactType

    annotation_set = AnnotationSet.objects.get(pk=set_id)
    type_id = ArtifactType.objects.get(dataset_id=annotation_set.dataset_id, name="click").pk
    table = Annotation._meta.db_table
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        for offset in range(0, rows, 100_000):
            batch = min(100_000, rows - offset)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {table} (id, annotation_set_id, audio_file_id, artifact_type_id,"
                    " start_ms, end_ms, confidence, note, source, created_at, updated_at)"
                    " SELECT gen_random_uuid(), %s, (%s::uuid[])[1 + n %% %s], %s, n %% 500000,"
                    " n %% 500000 + 20, 1.0, '', 'human', %s + n * interval '1 microsecond', %s"
                    " FROM generate_series(%s, %s) AS n",
                    [
                        set_id,
                        audio_ids,
                        len(audio_ids),
                        type_id,
                        now,
                        now,
                        offset,
                        offset + batch - 1,
                    ],
                )
            else:
                Annotation.objects.bulk_create(
                    Annotation(
                        id=uuid.uuid4(),
                        annotation_set_id=set_id,
                        audio_file_id=audio_ids[n % len(audio_ids)],
                        artifact_type_id=type_id,
                        start_ms=n % 500_000,
                        end_ms=n % 500_000 + 20,
                        created_at=now,
                        updated_at=now,
                    )
                    for n in range(offset, offset + batch)
                )
        AnnotationSet.objects.filter(pk=set_id).update(
            annotation_count=rows,
            counts_by_type={"click": rows},
            page_anchors=services.read_page_anchors(annotation_set),
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def print_report(results: dict[str, object]) -> None:
    bulk = results["bulk_median_s"]
    print(f"database: {results['database']}")
    print(
        f"bulk add of {results['bulk_rows']:,} annotations: {bulk * 1000:.0f} ms median "
        f"(runs: {', '.join(f'{t * 1000:.0f}' for t in results['bulk_times_s'])} ms; "
        f"target < {BULK_TARGET_S * 1000:.0f} ms)"
    )
    print(
        f"paging a set of {results['paged_rows']:,} annotations, {results['page_size']} a page "
        f"(filled in {results['fill_s']:.1f} s, published in {results['publish_s']:.1f} s; "
        f"target < {PAGE_TARGET_S * 1000:.0f} ms a page):"
    )
    for state, pages in results["pages"].items():
        for label, page in pages.items():
            print(
                f"  {state:<9} {label:<6} page {page['page']:>5}: {page['median_s'] * 1000:6.1f} ms"
            )


if __name__ == "__main__":
    sys.exit(main())
