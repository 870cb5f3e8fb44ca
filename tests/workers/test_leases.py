"""The lease heartbeat every worker runs while it holds a claimed row."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from datasets.models import AudioFile
from relay.leases import lease_heartbeat
from tests.factories import make_dataset, make_ready_audio

pytestmark = pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread


def test_the_heartbeat_keeps_pushing_the_lease_ahead_while_the_work_runs(tenant, tmp_path):
    audio = make_ready_audio(dataset=make_dataset(tenant=tenant), folder=tmp_path)
    held = AudioFile.objects.filter(pk=audio.pk)
    held.update(lease_expires_at=timezone.now())
    lease = timedelta(seconds=0.3)

    with lease_heartbeat(lambda: held, lease, "test"):
        time.sleep(0.5)  # the heartbeat renews every 0.1 s
        renewed = held.get().lease_expires_at

    assert renewed > timezone.now()


def test_the_heartbeat_stops_with_the_work(tenant, tmp_path):
    audio = make_ready_audio(dataset=make_dataset(tenant=tenant), folder=tmp_path)
    held = AudioFile.objects.filter(pk=audio.pk)

    with lease_heartbeat(lambda: held, timedelta(seconds=0.3), "test"):
        pass
    held.update(lease_expires_at=None)
    time.sleep(0.3)

    assert held.get().lease_expires_at is None


def test_the_heartbeat_outlives_a_database_that_is_briefly_away(tenant, tmp_path):
    audio = make_ready_audio(dataset=make_dataset(tenant=tenant), folder=tmp_path)
    held = AudioFile.objects.filter(pk=audio.pk)
    held.update(lease_expires_at=timezone.now())
    beats = []

    def rows():
        beats.append(time.monotonic())
        if len(beats) == 1:  # the first renewal finds PostgreSQL restarting
            raise OperationalError("the database system is shutting down")
        return held

    with lease_heartbeat(rows, timedelta(seconds=0.3), "test"):
        time.sleep(0.5)
        renewed = held.get().lease_expires_at

    assert len(beats) >= 2
    assert renewed > timezone.now()
