"""Decoding uploads into float32 sample blocks: soundfile first, PyAV for what libsndfile lacks."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import soundfile as sf

# libsndfile's container names, in the words users know.
SOUNDFILE_FORMATS = {
    "WAV": "wav",
    "WAVEX": "wav",
    "RF64": "wav",
    "W64": "wav",
    "FLAC": "flac",
    "MPEG": "mp3",
    "MP3": "mp3",
    "OGG": "ogg",
}
# FFmpeg's demuxer names (the first of a comma-separated list decides).
PYAV_FORMATS = {
    "mov": "m4a",
    "mp4": "m4a",
    "m4a": "m4a",
    "aac": "aac",
    "matroska": "webm",
    "webm": "webm",
    "mp3": "mp3",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
}


class AudioDecodeError(ValueError):
    """The file is not audio Relay can read; the message is shown to users as it is."""


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int | None  # None when the container does not say exactly
    format: str
    decoder: str  # "soundfile" or "pyav"


def probe(path: Path) -> AudioInfo:
    if path.stat().st_size == 0:
        raise AudioDecodeError("The file is empty (0 bytes).")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return _probe_with_pyav(path)
    audio_format = SOUNDFILE_FORMATS.get(info.format)
    if audio_format is None:
        return _probe_with_pyav(path)
    if info.channels < 1 or info.samplerate < 1:
        raise AudioDecodeError("The file has no audio channels.")
    return AudioInfo(info.samplerate, info.channels, info.frames, audio_format, "soundfile")


def _probe_with_pyav(path: Path) -> AudioInfo:
    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise AudioDecodeError("The file holds no audio stream.")
            stream = streams[0]
            demuxer = container.format.name.split(",")[0]
            sample_rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError, IndexError, UnicodeDecodeError):
        raise AudioDecodeError(
            "The file could not be decoded as audio; it may be damaged or in another format."
        ) from None
    if not sample_rate or not channels:
        raise AudioDecodeError("The file's audio stream has no sample rate or channels.")
    audio_format = PYAV_FORMATS.get(demuxer, demuxer)
    return AudioInfo(sample_rate, channels, None, audio_format, "pyav")


def iter_blocks(
    path: Path, info: AudioInfo, *, block_frames: int = 65_536
) -> Iterator[npt.NDArray[np.float32]]:
    """Sample blocks of shape (frames, channels), float32 in [-1, 1]."""
    if info.decoder == "soundfile":
        yield from _soundfile_blocks(path, block_frames)
    else:
        yield from _pyav_blocks(path, info, block_frames)


def _soundfile_blocks(path: Path, block_frames: int) -> Iterator[npt.NDArray[np.float32]]:
    try:
        with sf.SoundFile(str(path)) as audio:
            while True:
                block = audio.read(block_frames, dtype="float32", always_2d=True)
                if not len(block):
                    return
                yield block
    except (sf.LibsndfileError, RuntimeError) as error:
        raise AudioDecodeError(f"The audio data is damaged partway through ({error}).") from None


def _pyav_blocks(
    path: Path, info: AudioInfo, block_frames: int
) -> Iterator[npt.NDArray[np.float32]]:
    # Packed float32 keeps every channel of a frame together, as (frames, channels) wants.
    resampler = av.AudioResampler(format="flt", layout=None, rate=info.sample_rate)
    pending: list[npt.NDArray[np.float32]] = []
    pending_frames = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            for decoded in container.decode(stream):
                for frame in resampler.resample(decoded):
                    samples = frame.to_ndarray().reshape(-1, info.channels)  # (frames, channels)
                    pending.append(samples)
                    pending_frames += len(samples)
                    if pending_frames >= block_frames:
                        yield np.concatenate(pending)
                        pending, pending_frames = [], 0
    except av.FFmpegError as error:
        raise AudioDecodeError(f"The audio data is damaged partway through ({error}).") from None
    if pending:
        yield np.concatenate(pending)
