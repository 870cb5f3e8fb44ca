"""Real audio for tests, written with numpy, soundfile and PyAV, and labelled TTS corpora from
`datasets.synthetic`; and where the optional bench kit (../shared/bench) is, for cross-checks."""

import atexit
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile as sf

from datasets.synthetic import generate_corpus, load_profile

BENCH_DIR = Path(__file__).resolve().parents[2] / "shared" / "bench"


def tone(*, seconds: float, sample_rate: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A 220 Hz tone with a little noise, shape (samples, channels), peak about 0.32."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    noise = 0.01 * np.random.default_rng(seed).standard_normal(t.size)
    samples = 0.3 * np.sin(2 * np.pi * 220.0 * t) + noise
    return np.tile(samples[:, None], (1, channels))


def write_wav(
    path: Path,
    *,
    seconds: float = 1.0,
    sample_rate: int = 16_000,
    channels: int = 1,
    clicks_at_ms: Sequence[int] = (),
    subtype: str = "PCM_16",
) -> Path:
    """The tone, with one-sample clicks of 0.95 at `clicks_at_ms`."""
    samples = tone(seconds=seconds, sample_rate=sample_rate, channels=channels)
    for ms in clicks_at_ms:
        samples[ms * sample_rate // 1000] = 0.95
    sf.write(path, samples, sample_rate, subtype=subtype)
    return path


def write_with_soundfile(
    path: Path,
    *,
    seconds: float = 1.0,
    sample_rate: int = 44_100,
    channels: int = 1,
    format: str,
    subtype: str,
) -> Path:
    """The tone through libsndfile: format "FLAC", "OGG" (subtype "VORBIS" or "OPUS"), "MP3"
    (subtype "MPEG_LAYER_III"), "WAV"."""
    samples = tone(seconds=seconds, sample_rate=sample_rate, channels=channels)
    sf.write(path, samples, sample_rate, format=format, subtype=subtype)
    return path


def write_with_pyav(
    path: Path,
    *,
    seconds: float = 1.0,
    sample_rate: int = 48_000,
    channels: int = 1,
    container: str,
    codec: str,
) -> Path:
    """The tone through FFmpeg: container "mp4" (m4a) or "adts" (raw .aac) with codec "aac",
    container "webm" with codec "libopus"."""
    samples = tone(seconds=seconds, sample_rate=sample_rate, channels=channels).astype(np.float32)
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=sample_rate, layout=layout)
        frame_size = 1024  # PyAV re-frames to what the encoder needs
        for start in range(0, len(samples), frame_size):
            chunk = np.ascontiguousarray(samples[start : start + frame_size].T)  # (channels, n)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = sample_rate
            frame.pts = start
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return path


_corpus_cache: dict[tuple[str, int], Path] = {}


def make_corpus(out: Path, *, profile: str = "tiny", seed: int | None = None) -> Path:
    """A labelled TTS corpus of `datasets.synthetic` (espeak-ng speech with injected artifacts)
    in `out`: the clips, labels.csv, manifest.json, train_files.txt and test_files.txt. Each
    (profile, seed) is generated once per test run and copied after that."""
    key = (profile, load_profile(profile).seed if seed is None else seed)
    if key not in _corpus_cache:
        cache_root = Path(tempfile.mkdtemp(prefix="relay-test-corpus-"))
        atexit.register(shutil.rmtree, cache_root, ignore_errors=True)
        _corpus_cache[key] = generate_corpus(
            cache_root / "corpus", profile=profile, seed=seed, jobs=2
        )
    shutil.copytree(_corpus_cache[key], out, dirs_exist_ok=True)
    return out


def bench_kit_module(name: str) -> Any:
    """A module of the bench kit (../shared/bench/<name>.py), an optional outside cross-check.
    Where the kit is absent the test is skipped, saying why; in CI (CI or
    RELAY_REQUIRE_INTEGRATION set), where the kit is laid beside the project, it fails instead."""
    import importlib.util

    path = BENCH_DIR / f"{name}.py"
    if not path.exists():
        reason = f"the optional bench kit is not beside the project ({path} is missing)"
        if os.environ.get("CI") or os.environ.get("RELAY_REQUIRE_INTEGRATION"):
            pytest.fail(f"{reason}; CI lays it there, so its cross-checks must run")
        pytest.skip(reason)
    spec = importlib.util.spec_from_file_location(f"bench_kit_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
