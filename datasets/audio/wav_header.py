"""What a WAV file's header promises, against what the file holds. No Django imports.

libsndfile quietly reads a truncated WAV up to where it ends, so a file cut off in transfer
decodes "fine". The RIFF header still says how long the audio was meant to be.
"""

import struct
from dataclasses import dataclass
from pathlib import Path

# Streaming writers that do not know the length yet put 0 or 0xFFFFFFFF in the data size.
UNKNOWN_SIZES = frozenset({0, 0xFFFFFFFF})
MAX_CHUNKS = 64


@dataclass(frozen=True)
class Truncation:
    declared_ms: int
    present_ms: int


def wav_truncation(path: Path) -> Truncation | None:
    """How much audio the header declares and how much is present, when less is present than
    declared; None for a complete file, a file that is not a RIFF/WAVE, or one whose writer left
    the size unknown."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate = None
        for _ in range(MAX_CHUNKS):
            chunk = handle.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, chunk_size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"fmt ":
                fmt = handle.read(chunk_size + chunk_size % 2)
                if len(fmt) < 12:
                    return None
                byte_rate = struct.unpack("<I", fmt[8:12])[0]
                continue
            if chunk_id == b"data":
                if not byte_rate or chunk_size in UNKNOWN_SIZES:
                    return None
                present = size - handle.tell()
                if present >= chunk_size:
                    return None
                return Truncation(
                    declared_ms=chunk_size * 1000 // byte_rate,
                    present_ms=max(present, 0) * 1000 // byte_rate,
                )
            handle.seek(chunk_size + chunk_size % 2, 1)
    return None


def truncation_warning(path: Path) -> str | None:
    """A sentence for users about a truncated WAV, or None."""
    found = wav_truncation(path)
    if found is None:
        return None
    declared, present = found.declared_ms / 1000, found.present_ms / 1000
    return (
        f"The file is truncated: its header declares {declared:.2f} s of audio but only "
        f"{present:.2f} s are present. The audio that is present was kept; upload the whole "
        "file again for the rest."
    )
