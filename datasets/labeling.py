"""What the labeling page reads about one audio file beyond its peaks: spectrogram tiles and the
suspicious times to jump to. Each reads only the part of the stored arrays it needs."""

import hashlib
from dataclasses import dataclass

from datasets.audio.cues import Cue, find_cues
from datasets.audio.features import FeatureRecipe
from datasets.audio.tiles import (
    TILE_RENDERING,
    FeatureRows,
    encode_png,
    overview_columns,
    to_image,
    zoomed_columns,
)
from datasets.models import AudioFile
from datasets.services import _ensure_ready as ensure_ready
from relay.errors import Invalid
from relay.storage import get_object_store


@dataclass(frozen=True)
class Tile:
    png: bytes
    etag: str
    source: str  # "log-mels" (stored, overview zoom) or "stft" (the normalized audio)


def _recipe(audio: AudioFile) -> FeatureRecipe:
    return FeatureRecipe.from_dict(audio.feature_recipe or {})


def spectrogram_etag(
    *, audio: AudioFile, start_ms: int, end_ms: int, width: int, height: int
) -> str:
    """Names the tile's pixels: the file as processed, its feature recipe, the window and size,
    and the rendering. A ready file never changes, so a tile with this tag never does either."""
    recipe = _recipe(audio)
    processed = audio.processed_at.isoformat() if audio.processed_at else ""
    parts = [TILE_RENDERING, recipe.version, audio.pk, processed, start_ms, end_ms, width, height]
    key = "|".join(str(part) for part in parts)
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def spectrogram_tile(
    *, audio: AudioFile, start_ms: int, end_ms: int, width: int, height: int
) -> Tile:
    """The tile of [start_ms, end_ms) as a width x height PNG: stored log-mels when a pixel spans
    at least one feature frame, else the normalized audio's log-mels at each pixel."""
    ensure_ready(audio, "Spectrograms")
    if start_ms >= audio.duration_ms:
        raise Invalid(
            [
                {
                    "loc": ["query", "start_ms"],
                    "msg": "start_ms must be before the end of the audio "
                    f"({audio.duration_ms} ms).",
                    "type": "value_error",
                }
            ]
        )
    recipe = _recipe(audio)
    store = get_object_store()
    if (end_ms - start_ms) / width >= recipe.hop_ms:
        source = "log-mels"
        with store.open(audio.features_key) as features:
            columns = overview_columns(
                FeatureRows(features), recipe=recipe, start_ms=start_ms, end_ms=end_ms, width=width
            )
    else:
        source = "stft"
        with store.open(audio.normalized_key) as wav:
            columns = zoomed_columns(
                wav, recipe=recipe, start_ms=start_ms, end_ms=end_ms, width=width
            )
    etag = spectrogram_etag(
        audio=audio, start_ms=start_ms, end_ms=end_ms, width=width, height=height
    )
    return Tile(png=encode_png(to_image(columns, height)), etag=etag, source=source)


def audio_cues(
    *, audio: AudioFile, after_ms: int | None, before_ms: int | None, limit: int
) -> list[Cue]:
    """The next (after_ms) or previous (before_ms) suspicious times of the file."""
    ensure_ready(audio, "Cues")
    with get_object_store().open(audio.features_key) as features:
        return find_cues(
            FeatureRows(features),
            recipe=_recipe(audio),
            after_ms=after_ms,
            before_ms=before_ms,
            limit=limit,
        )
