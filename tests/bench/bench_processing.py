"""Audio processing speed and memory: `make bench` (or `python -m tests.bench.bench_processing`).

Each case runs in a fresh single-threaded subprocess (OMP/OpenBLAS/MKL/numba threads = 1, set
before numpy loads), which reports its CPU time (`time.process_time`, user + system) and peak RSS
(`ru_maxrss`), so one case's memory never counts against another. Speed is audio seconds per CPU
second on one core: the median of three passes for the long files, one pass over the short ones.
The one-time imports and JIT (librosa pulls in numba and scipy) are paid on a one-second file
before the clock starts and reported as "first-file CPU s": a worker is a long-lived process.
No Django is imported. The audio is generated into a temporary folder and deleted: the long
files are gated tones (an hour of TTS would take long to make), the short ones real TTS speech
with injected artifacts from `datasets.synthetic` (`short_speech`).

Beside each long file, the same child measurement of what a user would write instead:
`librosa.load(path, sr=16000)` and a 64-band `librosa.feature.melspectrogram` (25 ms window,
10 ms hop), with Relay's speed over it as the ratio to compare (`--no-librosa` skips it).
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
GENERATE_BLOCK_S = 30
LONG_TARGET_X = 400  # x real time on one core, 44.1 kHz stereo WAV
SHORT_TARGET_X = 200
RSS_LIMIT_MB = 300
RSS_GROWTH_LIMIT = 0.20  # the longest file's peak RSS over the shortest long file's


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


def short_speech(
    folder: Path, *, count: int, sample_rate: int, channels: int = 1, seed: int = 1
) -> list[Path]:
    """`count` clips of 5-20 s of `datasets.synthetic` speech (the public profile's voices and
    artifacts) as PCM16 WAV at `sample_rate`, as TTS engines write them."""
    from datasets.synthetic import generate_corpus, load_profile

    profile = {
        **load_profile("public").source,
        "name": "bench-short",
        "n_clips": count,
        "test_fraction": 0.0,
        "duration_s": [5, 20],
        "sample_rates": [sample_rate],
        "channels": [channels],
        "formats": ["wav_pcm16"],
    }
    corpus = generate_corpus(folder / "short", profile=profile, seed=seed, jobs=os.cpu_count())
    return sorted(corpus.glob("*.wav"))


def measure(paths: list[Path], repeats: int = 1, tool: str = "relay") -> dict[str, object]:
    """Runs in the child: process every file `repeats` times with `tool` ("relay": the pipeline,
    "librosa": librosa.load at 16 kHz plus its mel spectrogram); return the median CPU seconds of
    a pass over all files, the audio seconds, and the peak RSS."""
    process = librosa_mel if tool == "librosa" else relay_pipeline()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        warm_up = out / "warm_up.wav"
        write_long_wav(warm_up, seconds=1)
        started = time.process_time()
        process_all([warm_up], out, process)
        warm_up_cpu_s = time.process_time() - started
        pass_cpu_s = []
        for _ in range(repeats):
            started = time.process_time()
            audio_s = process_all(paths, out, process)
            pass_cpu_s.append(round(time.process_time() - started, 3))
    return {
        "audio_s": audio_s,
        "cpu_s": statistics.median(pass_cpu_s),
        "cpu_s_per_pass": pass_cpu_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "warm_up_cpu_s": warm_up_cpu_s,
    }


def relay_pipeline() -> Callable[[Path, Path], float]:
    from datasets.audio.pipeline import process_audio

    def process(path: Path, out: Path) -> float:
        """Audio seconds processed."""
        result = process_audio(
            path,
            normalized_path=out / "n.wav",
            features_path=out / "f.npy",
            peaks_path=out / "p.npz",
            max_duration_ms=2 * 60 * 60 * 1000,
        )
        return result.duration_ms / 1000

    return process


def librosa_mel(path: Path, out: Path) -> float:
    """What a user would write instead of Relay's pipeline: audio seconds processed."""
    import librosa

    samples, sample_rate = librosa.load(path, sr=16_000)
    librosa.feature.melspectrogram(y=samples, sr=sample_rate, n_fft=400, hop_length=160, n_mels=64)
    return len(samples) / sample_rate


def process_all(paths: list[Path], out: Path, process: Callable[[Path, Path], float]) -> float:
    """Audio seconds processed."""
    return sum(process(path, out) for path in paths)


def run_case(paths: list[Path], *, repeats: int = 1, tool: str = "relay") -> dict[str, object]:
    env = {**os.environ, **SINGLE_THREAD_ENV}
    code = (
        "import json, sys; from pathlib import Path; from tests.bench.bench_processing import "
        "measure; print(json.dumps(measure([Path(p) for p in sys.argv[3:]], int(sys.argv[1]), "
        "sys.argv[2])))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(repeats), tool, *map(str, paths)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{platform.platform()}, Python {platform.python_version()}"
    )


def verdicts(results: dict[str, dict], long_names: list[str], short_name: str) -> list[str]:
    """One line per target: what it is, what was measured, met or not."""
    lines = []
    for name in long_names:
        result = results[name]
        lines.append(
            f"{name}: {result['realtime_factor']:.0f}x >= {LONG_TARGET_X}x "
            f"{'met' if result['realtime_factor'] >= LONG_TARGET_X else 'NOT MET'}; "
            f"peak RSS {result['peak_rss_mb']:.0f} MB < {RSS_LIMIT_MB} MB "
            f"{'met' if result['peak_rss_mb'] < RSS_LIMIT_MB else 'NOT MET'}"
        )
    shortest, longest = results[long_names[0]], results[long_names[-1]]
    growth = longest["peak_rss_mb"] / shortest["peak_rss_mb"] - 1
    lines.append(
        f"peak RSS growth from the shortest to the longest file: {growth:+.1%} "
        f"(limit {RSS_GROWTH_LIMIT:.0%}) {'met' if growth <= RSS_GROWTH_LIMIT else 'NOT MET'}"
    )
    short = results[short_name]["realtime_factor"]
    lines.append(
        f"{short_name}: {short:.0f}x >= {SHORT_TARGET_X}x "
        f"{'met' if short >= SHORT_TARGET_X else 'NOT MET'}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1- and 5-minute files, 20 short")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--no-librosa", action="store_true", help="skip the librosa.load + melspectrogram yardstick"
    )
    args = parser.parse_args()
    long_minutes = (1, 5) if args.quick else (10, 60)
    short_count = 20 if args.quick else 200
    results = {}
    long_names = []
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as folder:
        folder_path = Path(folder)
        for minutes in long_minutes:
            path = folder_path / f"{minutes}min.wav"
            write_long_wav(path, seconds=minutes * 60)
            long_names.append(f"{minutes}-minute 44.1 kHz stereo WAV")
            results[long_names[-1]] = run_case([path], repeats=3)
            if not args.no_librosa:
                results[f"  librosa.load(sr=16000) + melspectrogram, {minutes} min"] = run_case(
                    [path], repeats=3, tool="librosa"
                )
            path.unlink()
        shorts = short_speech(folder_path, count=short_count, sample_rate=22_050)
        short_name = f"{short_count} TTS files of 5-20 s (22.05 kHz mono WAV)"
        results[short_name] = run_case(shorts)
    print(f"machine: {machine()}")
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
    print()
    print("\n".join(verdicts(results, long_names, short_name)))
    for minutes, name in zip(long_minutes, long_names, strict=True):
        yardstick = results.get(f"  librosa.load(sr=16000) + melspectrogram, {minutes} min")
        if yardstick:
            ratio = results[name]["realtime_factor"] / yardstick["realtime_factor"]
            print(f"{name}: Relay's pipeline at {ratio:.2f}x the speed of librosa.load + mel")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
