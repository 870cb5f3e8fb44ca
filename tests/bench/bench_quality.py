"""Detection quality through the product: `make bench-quality`
(or `python -m tests.bench.bench_quality`).

1. Generates the bench kit's public and hard corpora (../shared/bench/corpus.py; cached in
   --work), and the corpora the model is never trained on: our generalisation profile (the bench
   kit's generator) and the held-out profiles (tests/bench/profile_heldout_*.json, made by
   datasets.synthetic: other voices, languages, levels, noise, rates and TTS engines). Runs the
   hand-tuned baseline on every test split.
2. Starts Relay as `make run` does (embedded: SQLite, local files, in-process workers) in a
   fresh data folder, and follows reference/002 over HTTP: create a dataset with the five
   types, upload and confirm both train splits, wait until every file is ready, add the labels
   with bulk calls, publish, train (epochs 20, validation_split 0.2, learning_rate 0.001,
   batch_size 32) and poll the job to the end.
3. Runs each corpus's test split through inference jobs, uploaded as reference/002 step 6 does, with
   the quickstart's config (threshold 0.5, merge 200 ms, minimum 50 ms) and again with the
   model's own per-type thresholds, and scores the jobs' JSON downloads with
   ../shared/bench/score.py beside the baseline.
"""

import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.audio import BENCH_DIR
from tests.bench.quality_direct import HELDOUT, generate
from tests.live import RelayClient, embedded_env, running_relay

TYPES = ("click", "dropout", "clipping", "long_pause", "stutter")
CORPORA = {"public": "profile_public.json", "hard": "profile_hard.json"}  # trained on
# Scored only. The held-out ones need their engine's Debian package (flite, festival); a corpus
# whose engine is missing is skipped with a line saying so.
UNSEEN = ("generalisation", *HELDOUT)
TRAINING_CONFIG = {"epochs": 20, "validation_split": 0.2, "learning_rate": 0.001, "batch_size": 32}
# The quickstart's inference config, then the same with the model's per-type thresholds.
INFERENCE_CONFIGS = {
    "quickstart": {"threshold": 0.5, "merge_window_ms": 200, "min_duration_ms": 50},
    "model thresholds": {"threshold": None, "merge_window_ms": 200, "min_duration_ms": 50},
}
CONTENT_TYPES = {".wav": "audio/wav", ".flac": "audio/flac"}
BULK_ROWS = 10_000
TARGETS = {  # issue 19: macro event-F1 and the lowest per-type event-F1
    "public": {"macro": 0.95, "per_type": 0.80},
    "hard": {"macro": 0.85, "per_type": 0.0},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("var/bench-quality"))
    parser.add_argument("--epochs", type=int, default=TRAINING_CONFIG["epochs"])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--unseen",
        nargs="*",
        choices=UNSEEN,
        default=list(UNSEEN),
        help="corpora never trained on to score besides public and hard (default: all)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    scorer = _load_bench_module("score")

    corpora = {name: _corpus(args.work, name, profile) for name, profile in CORPORA.items()}
    scored = {**corpora, **_unseen_corpora(args.work, args.unseen)}
    baseline = {
        name: _baseline_scores(scorer, folder, args.work) for name, folder in scored.items()
    }

    data_dir = args.work / "relay-data"
    subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    data_dir.mkdir()
    env = embedded_env(data_dir, RELAY_EMBEDDED_WORKER_THREADS="2")
    with running_relay(env) as relay:
        client = relay.client()
        training = _train_through_the_api(
            client, corpora, {**TRAINING_CONFIG, "epochs": args.epochs}
        )
        inference = {
            setting: {
                name: _infer(client, training["model_id"], folder, config)
                for name, folder in scored.items()
            }
            for setting, config in INFERENCE_CONFIGS.items()
        }
    scores = {
        setting: {
            name: _scores(scorer, folder, inference[setting][name].pop("detections"))
            for name, folder in scored.items()
        }
        for setting in INFERENCE_CONFIGS
    }
    results = {
        "training": training,
        "inference": inference,
        "scores": scores,
        "baseline": baseline,
    }
    _print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def _load_bench_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _corpus(work: Path, name: str, profile: str) -> Path:
    folder = work / name
    if not (folder / "manifest.json").exists():
        print(f"generating the {name} corpus into {folder} …", flush=True)
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "corpus.py"), "--profile",
             str(BENCH_DIR / profile), "--out", str(folder), "--jobs", "2"],
            check=True,
        )  # fmt: skip
    return folder


def _unseen_corpora(work: Path, names: list[str]) -> dict[str, Path]:
    """The corpora never trained on that can be made here: a held-out corpus whose TTS engine is
    not installed is left out, and said so."""
    profiles = Path(__file__).resolve().parent
    corpora = {}
    for name in names:
        folder = work / name
        try:
            generate(profiles / f"profile_{name}.json", folder, with_relay=name in HELDOUT)
        except subprocess.CalledProcessError as error:
            print(f"skipped the {name} corpus: it could not be generated ({error})", flush=True)
            continue
        corpora[name] = folder
    return corpora


def _split(folder: Path, split: str) -> list[Path]:
    names = (folder / f"{split}_files.txt").read_text().split()
    return [folder / name for name in names]


def _labels(folder: Path) -> dict[str, list[tuple[str, int, int]]]:
    labels = defaultdict(list)
    with (folder / "labels.csv").open(newline="") as rows:
        for row in csv.DictReader(rows):
            labels[row["filename"]].append(
                (row["artifact_type"], int(row["start_ms"]), int(row["end_ms"]))
            )
    return labels


def _baseline_scores(scorer: Any, folder: Path, work: Path) -> dict[str, Any]:
    out = work / f"baseline_{folder.name}.json"
    if not out.exists():
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "baseline.py"), "--corpus", str(folder),
             "--split", "test", "--out", str(out), "--jobs", "2"],
            check=True,
        )  # fmt: skip
    return _scores(scorer, folder, json.loads(out.read_text()))


def _scores(scorer: Any, folder: Path, detections: Any) -> dict[str, Any]:
    reference, _, _ = scorer.load_reference(str(folder / "labels.csv"))
    files = [path.name for path in _split(folder, "test")]
    return scorer.score(reference, scorer.normalize_detections(detections), files)


def _train_through_the_api(
    client: RelayClient, corpora: dict[str, Path], config: dict[str, Any]
) -> dict[str, Any]:
    started = time.monotonic()
    dataset = client.post(
        "/datasets",
        {"name": "bench quality", "artifact_types": [{"name": name} for name in TYPES]},
        expect=201,
    )
    audio_ids = {}
    for folder in corpora.values():
        for path in _split(folder, "train"):
            audio_ids[path.name] = client.upload_audio(
                dataset["id"], path, content_type=CONTENT_TYPES[path.suffix]
            )
    uploaded_s = time.monotonic() - started
    _wait_until_ready(client, dataset["id"], len(audio_ids))
    ready_s = time.monotonic() - started
    annotation_set = client.post(
        f"/datasets/{dataset['id']}/annotation-sets", {"name": "bench labels"}, expect=201
    )
    rows = [
        {"audio_file_id": audio_ids[name], "artifact_type": kind, "start_ms": start, "end_ms": end}
        for folder in corpora.values()
        for name, events in _labels(folder).items()
        if name in audio_ids
        for kind, start, end in events
    ]
    sets_path = f"/datasets/{dataset['id']}/annotation-sets/{annotation_set['id']}"
    for first in range(0, len(rows), BULK_ROWS):
        chunk = rows[first : first + BULK_ROWS]
        client.post(f"{sets_path}/annotations/bulk", {"annotations": chunk}, expect=201)
    client.post(f"{sets_path}/publish")
    job = client.post(
        "/training-jobs",
        {"dataset_id": dataset["id"], "annotation_set_id": annotation_set["id"], "config": config},
        expect=201,
    )
    print(f"training job {job['id']}: {len(audio_ids)} files, {len(rows)} labels", flush=True)
    job = _wait_for_training(client, job["id"])
    if job["status"] != "completed":
        raise RuntimeError(f"training ended {job['status']}: {job['error_message']}")
    return {
        "files": len(audio_ids),
        "labels": len(rows),
        "upload_s": round(uploaded_s, 1),
        "until_ready_s": round(ready_s, 1),
        "training_s": round(_seconds_between(job["started_at"], job["completed_at"]), 1),
        "model_id": job["model_id"],
        "validation_metrics": job["metrics"],
    }


def _wait_until_ready(client: RelayClient, dataset_id: str, count: int) -> None:
    deadline = time.monotonic() + 30 * 60
    while time.monotonic() < deadline:
        dataset = client.get(f"/datasets/{dataset_id}")
        failed = client.get(f"/datasets/{dataset_id}/audio", processing_status="failed")
        if failed["total"]:
            raise RuntimeError(f"audio failed to process: {failed['items'][:3]}")
        if dataset["audio_count"] == count:
            return
        time.sleep(2)
    raise RuntimeError("audio was not ready within 30 minutes")


def _wait_for_training(client: RelayClient, job_id: str) -> dict[str, Any]:
    last_report = 0.0
    deadline = time.monotonic() + 3 * 60 * 60
    while time.monotonic() < deadline:
        job = client.get(f"/training-jobs/{job_id}")
        if job["status"] in {"completed", "failed", "cancelled"}:
            return job
        if time.monotonic() - last_report > 30:
            print(f"  {job['status']} {job['progress_percent']:.0f} %", flush=True)
            last_report = time.monotonic()
        time.sleep(2)
    raise RuntimeError("training did not finish within 3 hours")


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _infer(
    client: RelayClient, model_id: str, folder: Path, config: dict[str, Any]
) -> dict[str, Any]:
    """One inference job over the folder's test split: each file uploaded and confirmed, the
    job polled to the end, its detections downloaded as JSON."""
    started = time.monotonic()
    job = client.post("/inference-jobs", {"model_id": model_id, "config": config}, expect=201)
    files = _split(folder, "test")
    for path in files:
        client.upload_for_inference(job["id"], path, content_type=CONTENT_TYPES[path.suffix])
    job = client.wait_until(
        f"/inference-jobs/{job['id']}",
        "status",
        {"completed", "failed", "cancelled"},
        timeout_s=30 * 60,
    )
    if job["status"] != "completed" or job["failed_files"]:
        raise RuntimeError(f"inference job ended {job['status']}: {job['failed_files']} failed")
    download = client.get(f"/inference-jobs/{job['id']}/detections", format="json")
    return {
        "job_id": job["id"],
        "files": len(files),
        "seconds": round(time.monotonic() - started, 1),
        "detections": download["detections"],
    }


def _print_report(results: dict[str, Any]) -> None:
    training = results["training"]
    print(
        f"\ntrained on {training['files']} files, {training['labels']} labels: upload "
        f"{training['upload_s']} s, all ready after {training['until_ready_s']} s, training "
        f"{training['training_s']} s"
    )
    settings = list(results["scores"])
    for name, baseline in results["baseline"].items():
        print(f"\n{name} test split, event F1 (200 ms collar)")
        print(_row("", settings, "baseline"))
        for kind in TYPES:
            ours = [_f(results["scores"][s][name]["per_type"][kind]["f1"]) for s in settings]
            print(_row(kind, ours, _f(baseline["per_type"][kind]["f1"])))
        macros = [_f(results["scores"][s][name]["macro"]["event_f1"]) for s in settings]
        target = TARGETS.get(name)
        if target:
            goal = f"   target ≥ {target['macro']}" + (
                f", each type ≥ {target['per_type']}" if target["per_type"] else ""
            )
        else:
            gap = [
                results["scores"][s][name]["macro"]["event_f1"]
                - results["scores"][s]["public"]["macro"]["event_f1"]
                for s in settings
            ]
            goal = (
                "   vs public: " + " / ".join(f"{value:+.3f}" for value in gap) + " (goal ≥ -0.05)"
            )
        print(_row("macro", macros, _f(baseline["macro"]["event_f1"])) + goal)


def _row(label: str, cells: list[str], last: str) -> str:
    return f"  {label:<12}" + "".join(f"{cell:>18}" for cell in cells) + f"{last:>10}"


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
