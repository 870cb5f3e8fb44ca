"""`make run`'s first start with demo data, over HTTP: `bootstrap_demo --with-data --background`
stages labelled synthetic speech and exits, `serve` starts, its own workers process the files (the
start-up sweep finds them at once), the labels are published when the last file is ready, and the
training request the start-up message prints is accepted."""

import json
import re
import shlex

from tests.audio import make_corpus
from tests.live import embedded_env, running_relay

DEADLINE_S = 300


def test_make_runs_demo_data_is_processed_by_serve_and_ready_to_train_on(tmp_path):
    data_dir = tmp_path / "data"
    make_corpus(data_dir / "demo-corpus", profile="tiny")  # what bootstrap_demo would make
    args = ("--with-data", "--background", "--if-new", "--profile", "tiny")

    with running_relay(embedded_env(data_dir), bootstrap_args=args) as relay:
        printed = relay.bootstrap_output
        body = json.loads(shlex.split(re.search(r"-d ('.*')$", printed, re.MULTILINE).group(1))[0])
        client = relay.client()
        sets = f"/datasets/{body['dataset_id']}/annotation-sets/{body['annotation_set_id']}"
        labels = client.wait_until(sets, "status", {"published"}, timeout_s=DEADLINE_S)
        audio = client.get(f"/datasets/{body['dataset_id']}/audio", page_size=100)
        job = client.post("/training-jobs", body, expect=201)
        client.post(f"/training-jobs/{job['id']}/cancel")

    assert "published once processed" in printed
    assert {item["processing_status"] for item in audio["items"]} == {"ready"}
    assert audio["total"] == 9
    expected = sum(len(item["metadata"]["events"]) for item in audio["items"])
    assert labels["annotation_count"] == expected > 0
    assert job["annotation_set_id"] == body["annotation_set_id"]
