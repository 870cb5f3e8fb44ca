"""Events reach the webhooks that take them, signed, through the queue, with retries."""

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from datasets import processing
from datasets import services as dataset_services
from relay.storage import get_object_store
from tenants import tasks, webhooks
from tenants.models import WebhookDelivery
from tests.factories import make_dataset, make_ready_audio
from tests.training_support import TINY_CONFIG, make_audio_files, make_published_set
from tests.webhooks.conftest import WEBHOOKS_URL, assert_signed, create_webhook, ping
from tests.webhooks.receiver import running_receiver
from training import services as training_services
from training import tasks as training_tasks


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click"])


def test_a_ready_audio_file_is_announced_with_its_api_representation(
    run_webhook_queue, api_client, dataset, receiver, tmp_path, django_capture_on_commit_callbacks
):
    hook = create_webhook(api_client, receiver.url, ["audio.ready", "audio.failed"])

    with django_capture_on_commit_callbacks(execute=True):
        audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    run_webhook_queue()

    [request] = receiver.received
    event = assert_signed(request, hook["secret"])
    assert event["type"] == "audio.ready"
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["created_at"].endswith("Z")
    shown = api_client.get(f"/api/v1/datasets/{dataset.pk}/audio/{audio.pk}").json()
    assert event["data"] == shown


def test_undecodable_audio_is_announced_as_failed(
    run_webhook_queue, api_client, dataset, receiver, tmp_path, django_capture_on_commit_callbacks
):
    hook = create_webhook(api_client, receiver.url, ["audio.failed"])
    garbage = tmp_path / "bad.wav"
    garbage.write_bytes(b"not audio")
    audio, _ = dataset_services.request_audio_upload(
        dataset=dataset, filename="bad.wav", content_type="audio/wav", file_size=9
    )
    get_object_store().save_file(audio.original_key, garbage)

    with django_capture_on_commit_callbacks(execute=True):
        dataset_services.confirm_audio_upload(audio=audio)
        claimed = processing.claim_audio_for_processing(audio_id=str(audio.pk))
        processing.process_claimed_audio(audio=claimed)
    run_webhook_queue()

    [request] = receiver.received
    event = assert_signed(request, hook["secret"])
    assert (event["type"], event["data"]["processing_status"]) == ("audio.failed", "failed")
    assert event["data"]["processing_error"]


def test_publishing_a_set_and_training_on_it_are_announced(
    run_webhook_queue,
    api_client,
    tenant,
    dataset,
    receiver,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    hook = create_webhook(
        api_client, receiver.url, ["annotation_set.published", "training.completed"]
    )
    audio = make_audio_files(dataset, tmp_path, 2)

    with django_capture_on_commit_callbacks(execute=True):
        published = make_published_set(
            dataset, [(audio[0], "click", 100, 120), (audio[1], "click", 500, 520)]
        )
        job = training_services.create_training_job(
            tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk, config=TINY_CONFIG
        )
        training_tasks.train_model(str(job.pk))
    run_webhook_queue()

    events = [assert_signed(request, hook["secret"]) for request in receiver.received]
    assert [event["type"] for event in events] == ["annotation_set.published", "training.completed"]
    assert events[0]["data"]["id"] == str(published.pk)
    assert events[0]["data"]["status"] == "published"
    assert events[1]["data"]["id"] == str(job.pk)
    assert events[1]["data"]["status"] == "completed"
    assert events[1]["data"]["model_id"]


def test_a_failed_training_job_is_announced(
    run_webhook_queue,
    api_client,
    tenant,
    dataset,
    receiver,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    hook = create_webhook(api_client, receiver.url, ["training.failed"])
    audio = make_audio_files(dataset, tmp_path, 2)
    published = make_published_set(
        dataset, [(audio[0], "click", 100, 120), (audio[1], "click", 500, 520)]
    )
    job = training_services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk, config=TINY_CONFIG
    )
    get_object_store().path(audio[0].features_key).write_bytes(b"not numpy")

    with django_capture_on_commit_callbacks(execute=True):
        training_tasks.train_model(str(job.pk))
    run_webhook_queue()

    [request] = receiver.received
    event = assert_signed(request, hook["secret"])
    assert (event["type"], event["data"]["status"]) == ("training.failed", "failed")
    assert event["data"]["error_message"].startswith("The stored features of")


def test_only_subscribed_active_webhooks_of_the_tenant_hear_an_event(
    run_webhook_queue,
    api_client,
    other_client,
    dataset,
    private_urls_allowed,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    with (
        running_receiver() as subscribed,
        running_receiver() as other_event,
        running_receiver() as paused,
        running_receiver() as other_tenant,
    ):
        create_webhook(api_client, subscribed.url, ["audio.ready"])
        create_webhook(api_client, other_event.url, ["training.completed"])
        paused_hook = create_webhook(api_client, paused.url, ["audio.ready"])
        api_client.patch(f"{WEBHOOKS_URL}/{paused_hook['id']}", {"is_active": False}, format="json")
        create_webhook(other_client, other_tenant.url, ["audio.ready"])

        with django_capture_on_commit_callbacks(execute=True):
            make_ready_audio(dataset=dataset, folder=tmp_path)
        run_webhook_queue()

    assert [len(r.received) for r in (subscribed, other_event, paused, other_tenant)] == [
        1,
        0,
        0,
        0,
    ]


def test_a_receiver_that_fails_twice_gets_exactly_one_successful_delivery(
    run_webhook_queue,
    api_client,
    dataset,
    private_urls_allowed,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    with running_receiver([500, 503, 200]) as flaky:
        hook = create_webhook(api_client, flaky.url, ["audio.ready"])
        with django_capture_on_commit_callbacks(execute=True):
            make_ready_audio(dataset=dataset, folder=tmp_path)
        messages = run_webhook_queue()

    bodies = [assert_signed(request, hook["secret"]) for request in flaky.received]
    assert len(bodies) == 3
    assert len({body["id"] for body in bodies}) == 1  # one event, tried three times
    log = api_client.get(f"{WEBHOOKS_URL}/{hook['id']}/deliveries").json()["items"]
    attempts = sorted(log, key=lambda item: item["attempt"])
    assert [
        (d["attempt"], d["status"], d["response_status"], d["will_retry"]) for d in attempts
    ] == [
        (1, "failed", 500, True),
        (2, "failed", 503, True),
        (3, "succeeded", 200, False),
    ]
    # Through the queue, each retry after twice the wait of the one before (base 30 s).
    assert [message.options.get("eta") is not None for message in messages] == [False, True, True]
    waits = [
        (later["scheduled_at"], earlier["attempted_at"])
        for earlier, later in itertools.pairwise(attempts)
    ]
    gaps = [
        (_parse(scheduled) - _parse(attempted)).total_seconds() for scheduled, attempted in waits
    ]
    assert [round(gap) for gap in gaps] == [30, 60]


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_retries_stop_after_the_last_attempt(
    run_webhook_queue,
    api_client,
    dataset,
    private_urls_allowed,
    tmp_path,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.RELAY_WEBHOOK_MAX_ATTEMPTS = 3
    with running_receiver([500]) as broken:
        hook = create_webhook(api_client, broken.url, ["audio.ready"])
        with django_capture_on_commit_callbacks(execute=True):
            make_ready_audio(dataset=dataset, folder=tmp_path)
        run_webhook_queue()

    log = api_client.get(f"{WEBHOOKS_URL}/{hook['id']}/deliveries").json()
    assert log["total"] == 3
    assert len(broken.received) == 3
    assert [item["will_retry"] for item in log["items"]] == [False, True, True]  # newest first


def test_a_delivery_is_made_once_however_often_its_message_arrives(
    api_client, dataset, receiver, tmp_path, django_capture_on_commit_callbacks
):
    create_webhook(api_client, receiver.url, ["audio.ready"])
    with django_capture_on_commit_callbacks(execute=True):
        make_ready_audio(dataset=dataset, folder=tmp_path)
    delivery = WebhookDelivery.objects.get()

    tasks.deliver_webhook(str(delivery.pk))
    tasks.deliver_webhook(str(delivery.pk))

    assert len(receiver.received) == 1


def test_the_sweep_resends_a_delivery_whose_message_was_lost(
    run_webhook_queue, api_client, dataset, receiver, tmp_path
):
    create_webhook(api_client, receiver.url, ["audio.ready"])
    make_ready_audio(dataset=dataset, folder=tmp_path)  # no on-commit: the message never left
    WebhookDelivery.objects.update(scheduled_at=timezone.now() - timedelta(minutes=2))

    assert tasks.requeue_stuck_webhooks() == 1
    run_webhook_queue()

    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_backoff_doubles_from_the_base(settings):
    settings.RELAY_WEBHOOK_RETRY_BASE_S = 30

    assert [webhooks.retry_delay_s(attempt) for attempt in (1, 2, 3, 9)] == [30, 60, 120, 7680]


def test_operators_read_the_delivery_log_in_the_admin(
    api_client, dataset, receiver, tmp_path, client, django_user_model
):
    hook = create_webhook(api_client, receiver.url, ["audio.ready"])
    ping(api_client, hook)
    client.force_login(django_user_model.objects.create_superuser("ops", "o@x.test", "pw-123-ops"))

    webhook_page = client.get(f"/admin/tenants/webhook/{hook['id']}/change/")
    log_page = client.get(f"/admin/tenants/webhookdelivery/?webhook__id__exact={hook['id']}")

    assert webhook_page.status_code == 200
    assert "1 deliveries" in webhook_page.content.decode()
    assert hook["secret"] not in webhook_page.content.decode()
    assert log_page.status_code == 200
    assert "ping" in log_page.content.decode()
