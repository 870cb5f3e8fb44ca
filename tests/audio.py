"""Real audio for tests, written with numpy, soundfile and PyAV, and the bench kit's TTS corpus."""

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
import soundfile as sf

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


def make_corpus(out: Path, *, profile: str = "profile_tiny.json", seed: int | None = None) -> Path:
    """Runs the bench kit's corpus generator (espeak-ng speech with labelled artifacts) into
    `out`, which then holds the clips, labels.csv and manifest.json."""
    command = [sys.executable, str(BENCH_DIR / "corpus.py"), "--profile", str(BENCH_DIR / profile)]
    command += ["--out", str(out), "--jobs", "2"]
    if seed is not None:
        command += ["--seed", str(seed)]
    subprocess.run(command, check=True, capture_output=True)
    return out
