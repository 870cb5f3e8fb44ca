"""Every API endpoint whose path names a resource answers 404 for another tenant's id, exactly as
for an id that does not exist, and changes nothing of theirs.

The endpoints come from the URL conf, so a new one is covered without anyone adding it here. Each
path id is filled from the segment before it (`datasets/<dataset_id>` takes a dataset); a segment
this module cannot make an object for fails the test, naming it, rather than going untested.
Nested paths are tried with every id foreign, and with each id foreign in turn under the caller's
own parents (their annotation set under our dataset)."""

import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from annotations.models import Annotation, AnnotationSet
from datasets.models import AudioFile, Dataset
from inference import services as inference_services
from inference.models import InferenceFile, InferenceJob
from tenants import services as tenant_services
from tenants import webhooks
from tenants.models import ApiKey, Webhook
from tests.factories import make_dataset, make_ready_audio
from tests.training_support import make_published_set, make_trained_job
from training import services as training_services
from training.models import TrainedModel, TrainingJob

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def api_routes(patterns=None, prefix: str = "") -> list[tuple[str, type]]:
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            routes += api_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if route.startswith(API_PREFIX) and PARAMETER.search(route):
                routes.append((route, getattr(entry.callback, "view_class", None)))
    return routes


def segments_and_parameters(route: str) -> list[tuple[str, str]]:
    """(the collection segment before it, the parameter) for each path parameter."""
    parts = route.split("/")
    return [
        (parts[index - 1], match[1])
        for index, part in enumerate(parts)
        if (match := PARAMETER.fullmatch(part))
    ]


@dataclass
class Graph:
    """One tenant's objects, by the URL segment that names their collection."""

    ids: dict[str, str]


def own_graph(tenant, folder) -> Graph:
    dataset = make_dataset(tenant=tenant, name="Ours", artifact_types=["click"])
    audio = make_ready_audio(dataset=dataset, folder=folder, name="ours.wav")
    draft = make_published_set(dataset, [(audio, "click", 100, 120)], publish=False)
    return Graph(
        {
            "datasets": str(dataset.pk),
            "audio": str(audio.pk),
            "annotation-sets": str(draft.pk),
            "annotations": str(Annotation.objects.filter(annotation_set=draft).get().pk),
        }
    )


def foreign_graph(tenant, folder, settings) -> Graph:
    dataset = make_dataset(tenant=tenant, name="Theirs", artifact_types=["click"])
    first = make_ready_audio(dataset=dataset, folder=folder, name="theirs-1.wav")
    second = make_ready_audio(dataset=dataset, folder=folder, name="theirs-2.wav")
    published = make_published_set(
        dataset, [(first, "click", 100, 120), (second, "click", 500, 520)]
    )
    draft = make_published_set(dataset, [(first, "click", 300, 320)], publish=False)
    trained = make_trained_job(tenant, dataset, published)
    queued = training_services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk, config={"epochs": 1}
    )
    inference_job = inference_services.create_inference_job(
        tenant=tenant, model_id=trained.model.pk
    )
    [inference_file] = inference_services.add_dataset_audio(job=inference_job, audio_ids=[first.pk])
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    webhook = webhooks.create_webhook(
        tenant=tenant, url="http://127.0.0.1:9/theirs", events=["audio.ready"]
    )
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = False
    api_key = tenant_services.create_api_key(tenant=tenant, name="theirs").api_key
    return Graph(
        {
            "api-keys": str(api_key.pk),
            "webhooks": str(webhook.pk),
            "datasets": str(dataset.pk),
            "audio": str(first.pk),
            "annotation-sets": str(draft.pk),
            "annotations": str(Annotation.objects.filter(annotation_set=draft).get().pk),
            "training-jobs": str(queued.pk),
            "models": str(trained.model.pk),
            "inference-jobs": str(inference_job.pk),
            "files": str(inference_file.pk),
        }
    )


def path_for(route: str, ids_by_segment: list[str]) -> str:
    values = iter(ids_by_segment)
    return "/" + PARAMETER.sub(lambda match: next(values), route)


def test_the_url_conf_has_endpoints_with_ids_to_check():
    routes = api_routes()

    assert len(routes) >= 30
    assert all(view is not None for _, view in routes), "every API route is a class-based view"


@pytest.mark.django_db
def test_every_endpoint_answers_404_for_another_tenants_ids(
    api_client, tenant, other_tenant, tmp_path, settings
):
    settings.RELAY_THROTTLE_RATE = "100000/s"  # hundreds of calls in a few seconds
    ours = own_graph(tenant, tmp_path)
    theirs = foreign_graph(other_tenant, tmp_path, settings)
    rows_before = foreign_row_counts(other_tenant)
    failures, checked = [], 0

    for route, view in api_routes():
        segments = [segment for segment, _ in segments_and_parameters(route)]
        unknown = [segment for segment in segments if segment not in theirs.ids]
        if unknown:
            failures.append(f"{route}: no object of theirs for {unknown} (add it to foreign_graph)")
            continue
        methods = [method for method in METHODS if hasattr(view, method)]
        if not methods:
            failures.append(f"{route}: no method to call")
        variants = [[theirs.ids[segment] for segment in segments]]
        for position in range(len(segments)):
            if all(segment in ours.ids for segment in segments[:position]):
                mixed = [ours.ids[segment] for segment in segments[:position]]
                variants.append(
                    [*mixed, theirs.ids[segments[position]]]
                    + [theirs.ids[segment] for segment in segments[position + 1 :]]
                )
        for method in methods:
            for ids in variants:
                missing_ids = [
                    str(uuid.uuid4()) if foreign == theirs.ids.get(segment) else foreign
                    for segment, foreign in zip(segments, ids, strict=True)
                ]
                foreign = call(api_client, method, path_for(route, ids))
                missing = call(api_client, method, path_for(route, missing_ids))
                checked += 1
                if foreign.status_code != 404 or foreign.json() != missing.json():
                    failures.append(
                        f"{method.upper()} {path_for(route, ids)}: {foreign.status_code} "
                        f"{foreign.content[:200]!r}, a missing id gives {missing.status_code} "
                        f"{missing.content[:200]!r}"
                    )

    assert failures == [], "\n".join(failures)
    assert checked >= 60
    assert foreign_row_counts(other_tenant) == rows_before


def call(client, method: str, path: str):
    if method in {"post", "put", "patch"}:
        return getattr(client, method)(path, {}, format="json")
    return getattr(client, method)(path)


def foreign_row_counts(tenant) -> dict[str, int]:
    """Their rows, and the states a stray write would change."""
    return {
        "datasets": Dataset.objects.filter(tenant=tenant).count(),
        "audio": AudioFile.objects.filter(tenant=tenant).count(),
        "sets": AnnotationSet.objects.filter(tenant=tenant).count(),
        "published sets": AnnotationSet.objects.filter(tenant=tenant, status="published").count(),
        "annotations": Annotation.objects.filter(annotation_set__tenant=tenant).count(),
        "training jobs": TrainingJob.objects.filter(tenant=tenant).count(),
        "cancelled training jobs": TrainingJob.objects.filter(
            tenant=tenant, status="cancelled"
        ).count(),
        "models": TrainedModel.objects.filter(tenant=tenant).count(),
        "inference jobs": InferenceJob.objects.filter(tenant=tenant).count(),
        "inference files": InferenceFile.objects.filter(job__tenant=tenant).count(),
        "keys": ApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count(),
        "webhooks": Webhook.objects.filter(tenant=tenant, is_active=True).count(),
    }
