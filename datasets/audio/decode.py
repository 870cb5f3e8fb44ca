"""Decoding uploads into float32 sample blocks: soundfile (libsndfile) for WAV, FLAC, MP3 and
Ogg Vorbis/Opus, PyAV (FFmpeg) for M4A, AAC, WebM and anything libsndfile cannot open."""

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
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
    "MP3": "mp3",
    "MPEG": "mp3",
    "OGG": "ogg",
}
# FFmpeg's demuxer names (the first of a comma-separated list such as "mov,mp4,m4a,3gp").
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
# Formats that keep every sample as written, so a clipped top stays flat (training.ml.evidence);
# MP3, Ogg, AAC and the rest round it off.
LOSSLESS_FORMATS = frozenset({"wav", "flac"})
# Containers whose declared length is exact; FFmpeg guesses others' (ADTS) from the bitrate.
EXACT_LENGTH_DEMUXERS = ("mov", "mp4", "m4a")
# Integer subtypes read as integers and scaled here: several times faster than libsndfile's
# conversion to float, same values, and always within [-1, 1). Float and lossy subtypes can
# overshoot and are clipped instead.
INTEGER_READS = {
    "PCM_S8": ("int16", 2.0**-15),
    "PCM_U8": ("int16", 2.0**-15),
    "PCM_16": ("int16", 2.0**-15),
    "ULAW": ("int16", 2.0**-15),
    "ALAW": ("int16", 2.0**-15),
    "PCM_24": ("int32", 2.0**-31),
    "PCM_32": ("int32", 2.0**-31),
}
UNDECODABLE = "The file could not be decoded as audio; it may be damaged or in another format."


class AudioDecodeError(ValueError):
    """The file is not audio Relay can read; the message is shown to users as it is."""


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int | None  # as the header declares; None when it does not (decoding counts them)
    format: str  # "wav", "flac", "mp3", "ogg", "m4a", "aac", "webm", or FFmpeg's demuxer name


def probe(path: Path) -> AudioInfo:
    """Reads the header only. Raises AudioDecodeError for an empty, unreadable or channel-less
    file."""
    if path.stat().st_size == 0:
        raise AudioDecodeError("The file is empty (0 bytes).")
    found = _soundfile_info(path)
    if found is None:
        return _probe_with_pyav(path)
    info, _subtype = found
    if info.channels < 1 or info.sample_rate < 1:
        raise AudioDecodeError("The file has no audio channels.")
    return info


def iter_blocks(
    path: Path, *, block_frames: int = 65_536, reuse_buffer: bool = False
) -> Iterator[npt.NDArray[np.float32]]:
    """Float32 blocks of shape (frames, channels) with values in [-1, 1], `block_frames` frames
    each except the last. Each block is a new array unless `reuse_buffer`, which lets soundfile
    decode every block into the same memory (the caller must be done with a block before asking
    for the next). Raises AudioDecodeError when the data turns out to be damaged partway."""
    found = _soundfile_info(path)
    if found is None:
        yield from _pyav_blocks(path, block_frames)
    else:
        info, subtype = found
        yield from _soundfile_blocks(
            path, block_frames, channels=info.channels, subtype=subtype, reuse_buffer=reuse_buffer
        )


def _soundfile_info(path: Path) -> tuple[AudioInfo, str] | None:
    """libsndfile's view of the file and its subtype ("PCM_16", "VORBIS", ...), or None when it
    cannot open the file or names a container we leave to FFmpeg."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None
    if info.format not in SOUNDFILE_FORMATS:
        return None
    audio_format = SOUNDFILE_FORMATS[info.format]
    return AudioInfo(info.samplerate, info.channels, info.frames, audio_format), info.subtype


def _soundfile_blocks(
    path: Path, block_frames: int, *, channels: int, subtype: str, reuse_buffer: bool
) -> Iterator[npt.NDArray[np.float32]]:
    raw_dtype, scale = INTEGER_READS.get(subtype, ("float32", None))
    shape = (block_frames, channels)
    if scale is None:  # float and lossy subtypes: decode straight to float32, clip in place
        buffer = np.empty(shape, np.float32) if reuse_buffer else None
        for block in _soundfile_reads(path, block_frames, np.float32, buffer):
            yield _into_range(block)
        return
    raw = np.empty(shape, raw_dtype)
    samples = np.empty(shape, np.float32) if reuse_buffer else None
    for block in _soundfile_reads(path, block_frames, raw_dtype, raw):
        out = None if samples is None else samples[: len(block)]
        yield np.multiply(block, np.float32(scale), out=out, dtype=np.float32)


def _soundfile_reads(
    path: Path, block_frames: int, dtype: npt.DTypeLike, buffer: npt.NDArray[np.generic] | None
) -> Iterator[npt.NDArray[np.generic]]:
    """(frames, channels) blocks as libsndfile returns them, in `buffer` when given."""
    try:
        with sf.SoundFile(str(path)) as audio:
            while True:
                block = audio.read(block_frames, np.dtype(dtype).name, always_2d=True, out=buffer)
                if not len(block):
                    return
                yield block
    except (sf.LibsndfileError, RuntimeError) as error:
        raise AudioDecodeError(f"The audio data is damaged partway through ({error}).") from None


def _probe_with_pyav(path: Path) -> AudioInfo:
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioDecodeError("The file holds no audio stream.")
            stream = container.streams.audio[0]
            demuxer = container.format.name.split(",")[0]
            sample_rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
            frames = None
            if demuxer in EXACT_LENGTH_DEMUXERS:
                frames = _declared_frames(stream.duration, stream.time_base, sample_rate)
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError, IndexError, UnicodeDecodeError):
        raise AudioDecodeError(UNDECODABLE) from None
    if not sample_rate or not channels:
        raise AudioDecodeError("The file's audio stream has no sample rate or no channels.")
    return AudioInfo(sample_rate, channels, frames, PYAV_FORMATS.get(demuxer, demuxer))


def _declared_frames(
    duration: int | None, time_base: Fraction | None, sample_rate: int | None
) -> int | None:
    if not duration or not time_base or not sample_rate or duration < 0:
        return None
    return round(duration * time_base * sample_rate)


def _pyav_blocks(path: Path, block_frames: int) -> Iterator[npt.NDArray[np.float32]]:
    pending: list[npt.NDArray[np.float32]] = []  # each (frames, channels)
    pending_frames = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            # Packed float32 at the stream's first rate keeps (frames, channels) one reshape away,
            # even if a broken stream changes rate or layout partway.
            context = stream.codec_context
            resampler = av.AudioResampler(format="flt", layout=context.layout, rate=context.rate)
            channels = context.channels
            for decoded in container.decode(stream):
                for frame in resampler.resample(decoded):
                    pending.append(frame.to_ndarray().reshape(-1, channels))
                    pending_frames += frame.samples
                while pending_frames >= block_frames:
                    joined = np.concatenate(pending)
                    yield _into_range(joined[:block_frames])
                    pending, pending_frames = [joined[block_frames:]], len(joined) - block_frames
    except (av.FFmpegError, IndexError) as error:
        raise AudioDecodeError(f"The audio data is damaged partway through ({error}).") from None
    if pending_frames:
        yield _into_range(np.concatenate(pending))


def _into_range(block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Clips float and lossy samples into [-1, 1] in place (NaN becomes 0)."""
    np.nan_to_num(block, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(block, -1.0, 1.0, out=block)
