"""Upload throughput of the `relay` command line: `make bench-client` (or
`python -m tests.bench.bench_client_upload`).

Starts a live Relay (`make run`'s path: migrate, bootstrap_demo, `serve` on 127.0.0.1 with local
storage) with `RELAY_MAX_UPLOAD_BYTES` raised to 600 MB so one 500 MB file is accepted, and with
no embedded worker threads, so that what is timed is the upload (upload URL, the presigned POST
of the bytes, confirm) and not audio processing competing for the same cores. Then it runs the
installed `relay upload DATASET FOLDER --json` as a subprocess, into a fresh dataset each time:

- 200 short WAV files (3 s, 16 kHz mono, 96 kB each) at --parallel 1, 4 and 8;
- one 500 MB WAV (47 min, 44.1 kHz stereo PCM16) at the default --parallel 4.

Reported per case: wall seconds of the command (start-up, SHA-256 of every file, listing the
dataset for resume, uploads), files and MB per second over that wall time, and the client's peak
RSS (`ru_maxrss` of the child), which shows the big file streams instead of being read into
memory. A rerun of the 200 files is timed too: every file is then skipped by name and size.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.audio import write_wav
from tests.bench.bench_processing import machine, write_long_wav
from tests.live import embedded_env, running_relay

SHORT_FILES = 200
SHORT_SECONDS = 3.0
LARGE_SECONDS = 2834  # 44.1 kHz stereo PCM16: 176 400 bytes a second, 500 MB
PARALLEL_LEVELS = (1, 4, 8)
SERVER_LIMIT_BYTES = 600_000_000


def relay_script() -> str:
    return str(Path(sys.executable).parent / "relay")


def run_upload(relay, dataset: str, folder: Path, *, parallel: int) -> dict[str, object]:
    """One `relay upload` in a fresh child; returns its report with wall time and peak RSS."""
    env = {"RELAY_URL": relay.base_url, "RELAY_API_KEY": relay.api_key, "PATH": ""}
    command = [relay_script(), "upload", dataset, str(folder), "--json"]
    command += ["--parallel", str(parallel)]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            time.sleep(0.01)
        wall_s = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"relay upload failed ({child.returncode}):\n{stderr.read()!r}")
        report = json.loads(stdout.read())
    total_bytes = sum(Path(entry["path"]).stat().st_size for entry in report["files"])
    return {
        "parallel": parallel,
        "files": len(report["files"]),
        "uploaded": report["uploaded"],
        "skipped": report["skipped"],
        "bytes": total_bytes,
        "wall_s": round(wall_s, 2),
        "files_per_s": round(len(report["files"]) / wall_s, 1),
        "mb_per_s": round(report["bytes_sent"] / 1e6 / wall_s, 1),
        "client_peak_rss_mb": round(peak_kb / 1024),
    }


def _high_water_kb(pid: int) -> int:
    """The process's peak RSS so far (VmHWM). Not ru_maxrss: Linux carries a forked child's
    maxrss, which starts at this benchmark's own size, across exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def create_dataset(relay, name: str) -> str:
    from relay_client import Client

    with Client(relay.base_url, relay.api_key) as client:
        return client.create_dataset(name, ["click"])["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=SHORT_FILES, help="short files")
    parser.add_argument(
        "--large-seconds", type=int, default=LARGE_SECONDS, help="length of the big file"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    results: dict[str, object] = {"machine": machine(), "cases": []}
    with tempfile.TemporaryDirectory(prefix="relay-bench-client-") as scratch:
        scratch_dir = Path(scratch)
        short_dir = scratch_dir / "short"
        short_dir.mkdir()
        for index in range(options.files):
            write_wav(short_dir / f"take_{index:03d}.wav", seconds=SHORT_SECONDS)
        large_dir = scratch_dir / "large"
        large_dir.mkdir()
        write_long_wav(large_dir / "long.wav", seconds=options.large_seconds)
        env = embedded_env(
            scratch_dir / "data",
            RELAY_MAX_UPLOAD_BYTES=str(SERVER_LIMIT_BYTES),
            RELAY_EMBEDDED_WORKER_THREADS="0",
        )
        (scratch_dir / "data").mkdir()
        with running_relay(env) as relay:
            for parallel in PARALLEL_LEVELS:
                dataset = create_dataset(relay, f"short x{parallel}")
                case = run_upload(relay, dataset, short_dir, parallel=parallel)
                results["cases"].append({"case": f"{options.files} short files", **case})
                print(json.dumps(results["cases"][-1]), flush=True)
            rerun = run_upload(relay, dataset, short_dir, parallel=PARALLEL_LEVELS[-1])
            results["cases"].append({"case": f"{options.files} short files, rerun", **rerun})
            print(json.dumps(results["cases"][-1]), flush=True)
            dataset = create_dataset(relay, "large")
            case = run_upload(relay, dataset, large_dir, parallel=4)
            results["cases"].append({"case": "one large file", **case})
            print(json.dumps(results["cases"][-1]), flush=True)
    print(f"machine: {results['machine']}")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
