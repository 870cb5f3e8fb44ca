"""Load on the production shape: `make bench-stack` (or `python -m tests.bench.bench_stack`).

Starts `make stack`'s shape on free 127.0.0.1 ports (scripts/stack.py: PostgreSQL, Redis, moto's
S3, gunicorn with 2 workers of 4 threads, a worker process per queue), seeds a dataset (10
processed files, a draft annotation set of 1 000 annotations) and 50 API keys, then:

1. Relay's mix: `--clients` concurrent clients (default 50), each with its own key, for
   `--seconds` (default 60), each cycling through the 4-way mix: the dataset list, the audio
   list, a page of annotations, and one annotation POST. Every 201 is counted back from the set
   afterwards.
2. The ceiling: as many clients, as long, on `GET /healthz` of the same gunicorn: a bare Django
   JSON view (the middleware stack, no database, no key).

Clients are threads over `--processes` processes (default 5) with keep-alive sessions; they
share the machine's cores with the stack, so the figures are those of one machine doing both.
Reports requests/s, p50 and p99 per phase and per operation, and every status code; the results
go to var/bench-stack/results.json. tests/stack/test_load.py runs a short version of the same.
"""

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

MIX = ("dataset list", "audio list", "annotations page", "annotation POST")
SEED_ANNOTATIONS = 1_000
SEED_FILES = 10
RESULTS = Path("var/bench-stack/results.json")


@dataclass(frozen=True)
class Target:
    """What the load runs against: the stack's URL, one key per client, the seeded ids."""

    base_url: str
    keys: list[str]
    dataset_id: str
    set_id: str
    audio_ids: list[str]


def seed(base_url: str, admin_key: str, clients: int, folder: Path) -> Target:
    """A dataset of SEED_FILES processed files with a draft set of SEED_ANNOTATIONS annotations,
    and a read+write key per client (each under the per-key rate)."""
    from tests.audio import write_wav
    from tests.live import RelayClient

    client = RelayClient(base_url, admin_key)
    dataset = client.post(
        "/datasets",
        {"name": f"load {time.time():.0f}", "artifact_types": [{"name": "click"}]},
        expect=201,
    )
    audio_ids = [
        client.upload_audio(
            dataset["id"],
            write_wav(folder / f"load-{i}.wav", seconds=1.0),
            content_type="audio/wav",
        )
        for i in range(SEED_FILES)
    ]
    for audio_id in audio_ids:
        client.wait_until(
            f"/datasets/{dataset['id']}/audio/{audio_id}",
            "processing_status",
            {"ready", "failed"},
            timeout_s=120,
            poll_s=0.2,
        )
    sets_path = f"/datasets/{dataset['id']}/annotation-sets"
    labels = client.post(sets_path, expect=201)
    rows = [
        {
            "audio_file_id": audio_ids[i % SEED_FILES],
            "artifact_type": "click",
            "start_ms": 10 * (i // SEED_FILES),
            "end_ms": 10 * (i // SEED_FILES) + 5,
        }
        for i in range(SEED_ANNOTATIONS)
    ]
    client.post(f"{sets_path}/{labels['id']}/annotations/bulk", {"annotations": rows}, expect=201)
    keys = [
        client.post(
            "/api-keys", {"name": f"load client {i}", "scopes": ["read", "write"]}, expect=201
        )["key"]
        for i in range(clients)
    ]
    return Target(base_url, keys, dataset["id"], labels["id"], audio_ids)


def _client_loop(target: Target, key: str, offset: int, phase: str, until: float, out: list):
    session = requests.Session()
    session.headers["X-API-Key"] = key
    api = f"{target.base_url}/api/v1/datasets"
    annotations = f"{api}/{target.dataset_id}/annotation-sets/{target.set_id}/annotations"
    rng = random.Random(offset)
    step = offset
    while time.time() < until:
        operation = "healthz" if phase == "ceiling" else MIX[step % len(MIX)]
        step += 1
        started = time.perf_counter()
        try:
            if operation == "healthz":
                response = session.get(f"{target.base_url}/healthz", timeout=30)
            elif operation == "dataset list":
                response = session.get(api, timeout=30)
            elif operation == "audio list":
                response = session.get(f"{api}/{target.dataset_id}/audio", timeout=30)
            elif operation == "annotations page":
                page = rng.randint(1, SEED_ANNOTATIONS // 50)
                response = session.get(annotations, params={"page": page}, timeout=30)
            else:
                start_ms = rng.randint(0, 900)
                body = {
                    "audio_file_id": rng.choice(target.audio_ids),
                    "artifact_type": "click",
                    "start_ms": start_ms,
                    "end_ms": start_ms + 20,
                }
                response = session.post(annotations, json=body, timeout=30)
            status = response.status_code
        except requests.RequestException as error:
            status = f"error: {type(error).__name__}"
        out.append((operation, status, (time.perf_counter() - started) * 1000))


def _process(args: tuple[Target, list[tuple[str, int]], str, float]) -> list[tuple]:
    target, clients, phase, until = args
    out: list[tuple] = []
    threads = [
        threading.Thread(target=_client_loop, args=(target, key, offset, phase, until, out))
        for key, offset in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def drive(target: Target, *, phase: str, clients: int, seconds: float, processes: int) -> dict:
    """`clients` concurrent clients for `seconds`; the phase's figures."""
    assignments = [(target.keys[i % len(target.keys)], i) for i in range(clients)]
    groups = [assignments[i::processes] for i in range(processes)]
    started = time.time()
    until = started + 1.0 + seconds  # a second for every process to be running
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        parts = pool.map(_process, [(target, group, phase, until) for group in groups if group])
    samples = [sample for part in parts for sample in part]
    return summarize(samples, seconds)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def summarize(samples: list[tuple], seconds: float) -> dict[str, Any]:
    def figures(rows: list[tuple]) -> dict[str, Any]:
        latencies = [row[2] for row in rows]
        statuses: dict[str, int] = {}
        for row in rows:
            statuses[str(row[1])] = statuses.get(str(row[1]), 0) + 1
        return {
            "requests": len(rows),
            "requests_per_s": round(len(rows) / seconds, 1),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p99_ms": round(_percentile(latencies, 0.99), 1),
            "statuses": dict(sorted(statuses.items())),
        }

    operations = sorted({row[0] for row in samples})
    return {
        **figures(samples),
        "seconds": seconds,
        "server_errors": sum(1 for row in samples if isinstance(row[1], int) and row[1] >= 500),
        "failed_requests": sum(1 for row in samples if not isinstance(row[1], int)),
        "created": sum(1 for row in samples if row[1] == 201),
        "by_operation": {
            name: figures([r for r in samples if r[0] == name]) for name in operations
        },
    }


def counted_back(target: Target, admin_key: str) -> int:
    """Annotations in the set now, less the seeded ones: what the POSTs made."""
    response = requests.get(
        f"{target.base_url}/api/v1/datasets/{target.dataset_id}/annotation-sets/"
        f"{target.set_id}/annotations",
        params={"page_size": 1},
        headers={"X-API-Key": admin_key},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["total"] - SEED_ANNOTATIONS


def run(
    base_url: str, admin_key: str, *, clients: int, seconds: float, processes: int, folder: Path
) -> dict[str, Any]:
    target = seed(base_url, admin_key, clients, folder)
    mix = drive(target, phase="mix", clients=clients, seconds=seconds, processes=processes)
    mix["counted_back"] = counted_back(target, admin_key)
    ceiling = drive(target, phase="ceiling", clients=clients, seconds=seconds, processes=processes)
    return {
        "base_url": base_url,
        "clients": clients,
        "seconds": seconds,
        "mix": mix,
        "ceiling": ceiling,
        "mix_share_of_ceiling": round(
            mix["requests_per_s"] / max(ceiling["requests_per_s"], 0.1), 3
        ),
    }


def print_report(results: dict[str, Any]) -> None:
    print(f"{results['clients']} clients, {results['seconds']} s per phase")
    for phase in ("mix", "ceiling"):
        figures = results[phase]
        print(
            f"{phase:8} {figures['requests_per_s']:8.1f} req/s  p50 {figures['p50_ms']} ms  "
            f"p99 {figures['p99_ms']} ms  statuses {figures['statuses']}"
        )
        for name, part in figures["by_operation"].items():
            print(
                f"    {name:18} {part['requests_per_s']:7.1f} req/s  p50 {part['p50_ms']} ms  "
                f"p99 {part['p99_ms']} ms"
            )
    mix = results["mix"]
    print(
        f"5xx: {mix['server_errors']}, failed: {mix['failed_requests']}, 201s: {mix['created']}, "
        f"counted back: {mix['counted_back']}; the mix is "
        f"{100 * results['mix_share_of_ceiling']:.0f} % of the ceiling's requests/s"
    )


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from scripts.stack import Ports, running_stack
    from tests.live import _printed_credentials, free_port

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--web-threads", type=int, default=4, help="per gunicorn worker")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    ports = Ports(postgres=free_port(), redis=free_port(), s3=free_port(), web=free_port())
    with (
        running_stack(ports, web_threads=args.web_threads) as stack,
        tempfile.TemporaryDirectory() as folder,
    ):
        credentials = _printed_credentials(stack.credentials)
        results = run(
            stack.base_url,
            credentials["RELAY_API_KEY"],
            clients=args.clients,
            seconds=args.seconds,
            processes=args.processes,
            folder=Path(folder),
        )
    results["web_threads"] = args.web_threads
    print_report(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"(written to {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
