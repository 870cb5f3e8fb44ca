"""Real audio for tests, written with numpy, soundfile and PyAV."""

from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
import soundfile as sf


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
    samples = tone(seconds=seconds, sample_rate=sample_rate, channels=channels)
    for ms in clicks_at_ms:
        samples[ms * sample_rate // 1000] = 0.95
    sf.write(path, samples, sample_rate, subtype=subtype)
    return path


def write_with_soundfile(
    path: Path, *, seconds: float, sample_rate: int, channels: int, format: str, subtype: str
) -> Path:
    sf.write(
        path,
        tone(seconds=seconds, sample_rate=sample_rate, channels=channels),
        sample_rate,
        format=format,
        subtype=subtype,
    )
    return path


def write_with_pyav(
    path: Path, *, seconds: float, sample_rate: int, channels: int, container: str, codec: str
) -> Path:
    """Encode with FFmpeg through PyAV (m4a/aac, webm/opus)."""
    samples = tone(seconds=seconds, sample_rate=sample_rate, channels=channels).astype(np.float32)
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=sample_rate, layout=layout)
        frame_size = 1024
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
