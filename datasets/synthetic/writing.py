"""Audio files as the profiles name them, byte for byte the same for the same samples.

libsndfile stamps float WAV files with a PEAK chunk that holds the time of writing, so WAV is
written here: PCM16 through the standard library's `wave`, 32-bit float with a plain RIFF header.
FLAC (16-bit) goes through libsndfile, whose output depends only on the samples.
"""

import struct
import wave
from pathlib import Path

import numpy as np
import soundfile as sf

EXTENSIONS = {"wav_pcm16": ".wav", "wav_float": ".wav", "flac": ".flac"}
_FLOAT_FORMAT_TAG = 3  # WAVE_FORMAT_IEEE_FLOAT


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16, rounded to the nearest step."""
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")


def write_audio(path: Path, samples: np.ndarray, sample_rate: int, audio_format: str) -> None:
    """`samples` (frames, channels) floats in [-1, 1] to `path` as `audio_format`."""
    channels = samples.shape[1]
    if audio_format == "wav_pcm16":
        with wave.open(str(path), "wb") as output:
            output.setnchannels(channels)
            output.setsampwidth(2)
            output.setframerate(sample_rate)
            output.writeframes(to_pcm16(samples).tobytes())
    elif audio_format == "wav_float":
        _write_float_wav(path, samples.astype("<f4"), sample_rate)
    elif audio_format == "flac":
        sf.write(path, to_pcm16(samples), sample_rate, format="FLAC", subtype="PCM_16")
    else:
        raise ValueError(f"unknown audio format {audio_format!r}; known: {sorted(EXTENSIONS)}")


def _write_float_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    frames, channels = samples.shape
    block_align = 4 * channels
    fmt = struct.pack(
        "<HHIIHHH", _FLOAT_FORMAT_TAG, channels, sample_rate, sample_rate * block_align,
        block_align, 32, 0,
    )  # fmt: skip
    data = samples.tobytes()
    chunks = [
        b"fmt " + struct.pack("<I", len(fmt)) + fmt,
        b"fact" + struct.pack("<II", 4, frames),  # non-PCM WAV files carry a frame count
        b"data" + struct.pack("<I", len(data)) + data,
    ]
    body = b"WAVE" + b"".join(chunks)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
