"""Inference speed and memory end to end: `make bench` (or `python -m tests.bench.bench_inference`).

What a worker does per file (inference.runner): decode, downmix, resample and compute the
features with the audio pipeline into a temporary folder, read them back a chunk at a time, run the
network in chunks (`training.ml.model_file.predict`) and post-process with the quickstart's
config (the model's thresholds, merge 200 ms, minimum 50 ms). Each case runs in a fresh
single-threaded subprocess (OMP/OpenBLAS/MKL/numba threads = 1 before numpy loads,
`torch.set_num_threads(1)`), a long-lived worker: the model is loaded once and a one-second
file is run first; that warm-up (imports, JIT, first torch calls) is excluded and reported.
Speed is audio seconds per CPU second (`time.process_time`) on one core; peak RSS is
`ru_maxrss` of the child, so each case's memory stands alone.

Speed does not depend on the weights, so the model is an untrained network of the default
architecture (`training.ml.network.default_config` for the five bench types) in a
DetectorModel, saved and loaded back as a worker loads a model file. No Django is imported.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.bench_processing import SINGLE_THREAD_ENV, machine, short_speech, write_long_wav

TYPES = ("click", "dropout", "clipping", "long_pause", "stutter")
CONFIG = {"threshold": None, "merge_window_ms": 200, "min_duration_ms": 50}
LONG_TARGET_X = 150
SHORT_TARGET_X = 100
RSS_LIMIT_MB = 500
SAMPLE_RATE = 24_000  # a common TTS output rate; mono


def untrained_model():
    import torch

    from datasets.audio.features import DEFAULT_RECIPE
    from training.ml.data import INPUT_SIZE, InputStatistics
    from training.ml.model_file import DetectorModel, ModelMetadata, load_model, save_model
    from training.ml.network import Detector, default_config

    torch.manual_seed(0)
    config = default_config(TYPES)
    metadata = ModelMetadata(
        artifact_types=TYPES,
        feature_recipe=DEFAULT_RECIPE.to_dict(),
        input_statistics=InputStatistics(mean=(0.0,) * INPUT_SIZE, std=(1.0,) * INPUT_SIZE),
        thresholds=dict.fromkeys(TYPES, 0.5),
        network=config,
        min_target_ms=80,
    )
    data = save_model(DetectorModel(network=Detector(config), metadata=metadata))
    return load_model(data)


def detect_file(model, path: Path, scratch: Path) -> tuple[float, int]:
    """(audio seconds, detections) of one file, the way inference.runner runs an upload."""
    from datasets.audio.pipeline import process_audio
    from datasets.audio.stored_features import StoredFeatures
    from inference.detection import detect_events

    result = process_audio(
        path,
        normalized_path=scratch / "normalized.wav",
        features_path=scratch / "features.npy",
        peaks_path=scratch / "peaks.npz",
        max_duration_ms=2 * 60 * 60 * 1000,
    )
    with StoredFeatures(scratch / "features.npy") as features:
        found = detect_events(model, features, config=CONFIG)
    return result.duration_ms / 1000, len(found)


def measure(paths: list[Path]) -> dict[str, object]:
    """Runs in the child: a warm-up file, then every file once."""
    import torch

    torch.set_num_threads(1)
    started = time.process_time()
    model = untrained_model()
    load_cpu_s = time.process_time() - started
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        warm_up = scratch / "warm_up.wav"
        write_long_wav(warm_up, seconds=1, sample_rate=SAMPLE_RATE, channels=1)
        started = time.process_time()
        detect_file(model, warm_up, scratch)
        warm_up_cpu_s = time.process_time() - started
        audio_s, detections = 0.0, 0
        started, wall_started = time.process_time(), time.perf_counter()
        for path in paths:
            seconds, found = detect_file(model, path, scratch)
            audio_s += seconds
            detections += found
        cpu_s = time.process_time() - started
        wall_s = time.perf_counter() - wall_started
    return {
        "audio_s": audio_s,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "detections": detections,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "model_load_cpu_s": round(load_cpu_s, 3),
        "warm_up_cpu_s": round(warm_up_cpu_s, 3),
    }


def run_case(paths: list[Path]) -> dict[str, object]:
    env = {**os.environ, **SINGLE_THREAD_ENV}
    code = (
        "import json, sys; from pathlib import Path; from tests.bench.bench_inference import "
        "measure; print(json.dumps(measure([Path(p) for p in sys.argv[1:]])))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _verdict(is_met: bool) -> str:
    return "met" if is_met else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 5-minute file and 20 short ones")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    long_minutes = (5,) if args.quick else (10, 60)
    short_count = 20 if args.quick else 200
    results, long_names = {}, []
    with tempfile.TemporaryDirectory(prefix="relay-bench-inference-") as folder:
        folder_path = Path(folder)
        for minutes in long_minutes:
            path = folder_path / f"{minutes}min.wav"
            write_long_wav(path, seconds=minutes * 60, sample_rate=SAMPLE_RATE, channels=1)
            long_names.append(f"{minutes}-minute file")
            results[long_names[-1]] = run_case([path])
            path.unlink()
        shorts = short_speech(folder_path, count=short_count, sample_rate=SAMPLE_RATE)
        short_name = f"{short_count} TTS files of 5-20 s"
        results[short_name] = run_case(shorts)
    print(f"machine: {machine()}; 24 kHz mono 16-bit WAV; one core")
    header = (
        f"{'case':<24} {'audio s':>8} {'CPU s':>7} {'x real time':>12} {'peak RSS MB':>12} "
        f"{'warm-up CPU s':>14}"
    )
    print(header)
    for name, result in results.items():
        result["realtime_factor"] = round(result["audio_s"] / result["cpu_s"], 1)
        print(
            f"{name:<24} {result['audio_s']:>8.0f} {result['cpu_s']:>7.2f} "
            f"{result['realtime_factor']:>11.0f}x {result['peak_rss_mb']:>12.0f} "
            f"{result['warm_up_cpu_s']:>14.2f}"
        )
    print()
    longest = results[long_names[-1]]
    for name in long_names:
        speed = results[name]["realtime_factor"]
        print(f"{name}: {speed:.0f}x >= {LONG_TARGET_X}x {_verdict(speed >= LONG_TARGET_X)}")
    rss = longest["peak_rss_mb"]
    print(f"peak RSS {rss:.0f} MB < {RSS_LIMIT_MB} MB {_verdict(rss < RSS_LIMIT_MB)}")
    if len(long_names) > 1:
        growth = longest["peak_rss_mb"] / results[long_names[0]]["peak_rss_mb"] - 1
        print(f"peak RSS growth from {long_names[0]} to {long_names[-1]}: {growth:+.1%}")
    short = results[short_name]["realtime_factor"]
    print(f"{short_name}: {short:.0f}x >= {SHORT_TARGET_X}x {_verdict(short >= SHORT_TARGET_X)}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
