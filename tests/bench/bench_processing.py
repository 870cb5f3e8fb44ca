"""Audio processing speed and memory: `make bench` (or `python -m tests.bench.bench_processing`).

Each case runs in a fresh single-threaded subprocess, which reports its CPU time and peak RSS, so
one case's memory never counts against another. Speed is audio seconds per CPU second on one core.
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

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
GENERATE_BLOCK_S = 30


def write_long_wav(
    path: Path, *, seconds: int, sample_rate: int = 44_100, channels: int = 2
) -> None:
    """Speech-like noise bursts with pauses, written block by block (an hour is 635 MB)."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    with sf.SoundFile(
        path, "w", samplerate=sample_rate, channels=channels, subtype="PCM_16"
    ) as out:
        for start in range(0, seconds, GENERATE_BLOCK_S):
            frames = min(GENERATE_BLOCK_S, seconds - start) * sample_rate
            t = np.arange(frames) / sample_rate
            envelope = (np.sin(2 * np.pi * 0.7 * t) > -0.2).astype(np.float32)
            tone = 0.25 * np.sin(2 * np.pi * 180 * t) + 0.05 * rng.standard_normal(frames)
            out.write(np.tile((tone * envelope)[:, None], (1, channels)).astype(np.float32))


def measure(paths: list[Path]) -> dict[str, float]:
    """Runs in the child: process every file, return CPU seconds, audio seconds and peak RSS."""
    from datasets.audio.pipeline import process_audio

    audio_s = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        # A worker is a long-lived process: pay the one-time imports (librosa's lazy modules)
        # on a one-second file before the clock starts, and report them separately.
        warm_up = out / "warm_up.wav"
        write_long_wav(warm_up, seconds=1)
        warm_up_started = time.process_time()
        process_audio(
            warm_up,
            normalized_path=out / "n.wav",
            features_path=out / "f.npy",
            peaks_path=out / "p.npz",
            max_duration_ms=1000,
        )
        warm_up_cpu_s = time.process_time() - warm_up_started
        started = time.process_time()
        for path in paths:
            result = process_audio(
                path,
                normalized_path=out / "n.wav",
                features_path=out / "f.npy",
                peaks_path=out / "p.npz",
                max_duration_ms=2 * 60 * 60 * 1000,
            )
            audio_s += result.duration_ms / 1000
    cpu_s = time.process_time() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "audio_s": audio_s,
        "cpu_s": cpu_s,
        "peak_rss_mb": peak_rss_mb,
        "warm_up_cpu_s": warm_up_cpu_s,
    }


def run_case(paths: list[Path]) -> dict[str, float]:
    env = {**os.environ, **SINGLE_THREAD_ENV}
    code = (
        "import json, sys; from pathlib import Path; from tests.bench.bench_processing import "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1- and 5-minute files, 20 short")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    long_minutes = (1, 5) if args.quick else (10, 60)
    short_count = 20 if args.quick else 200
    results = {}
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as folder:
        folder_path = Path(folder)
        for minutes in long_minutes:
            path = folder_path / f"{minutes}min.wav"
            write_long_wav(path, seconds=minutes * 60)
            results[f"{minutes}-minute 44.1 kHz stereo WAV"] = run_case([path])
            path.unlink()
        import numpy as np

        lengths = np.random.default_rng(1).uniform(5, 20, short_count)
        shorts = []
        for index, seconds in enumerate(lengths):
            shorts.append(folder_path / f"short{index}.wav")
            write_long_wav(shorts[-1], seconds=round(seconds), sample_rate=22_050, channels=1)
        results[f"{short_count} files of 5-20 s (22.05 kHz mono WAV)"] = run_case(shorts)
    print(
        f"{'case':<48} {'audio s':>9} {'CPU s':>7} {'x real time':>12} {'peak RSS MB':>12} "
        f"{'first-file CPU s':>17}"
    )
    for name, result in results.items():
        speed = result["audio_s"] / result["cpu_s"]
        result["realtime_factor"] = round(speed, 1)
        print(
            f"{name:<48} {result['audio_s']:>9.0f} {result['cpu_s']:>7.2f} "
            f"{speed:>11.0f}x {result['peak_rss_mb']:>12.0f} {result['warm_up_cpu_s']:>17.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
