"""Suspicious times in a file, from its stored frame statistics, for the labeling page's `.` and
`,` keys: sudden jumps (clicks), runs of exact zeros after sound (dropouts) and flat tops
(clipping). No Django imports.

A cue is where such a run of frames begins: a frame that trips a rule after one that did not.
That depends on two neighbouring frames only, so a scan can start anywhere and read forwards or
backwards a block of rows at a time, stopping once it has enough.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from datasets.audio.features import FeatureRecipe
from datasets.audio.tiles import FeatureRows

JUMP_MIN = 0.45  # the largest sample-to-sample step in a frame; speech rarely passes 0.4
ZERO_FRACTION_MIN = 0.5  # at least half the frame is exact zeros ...
SOUND_BEFORE_ZEROS = 0.05  # ... right after a frame this loud: a dropout, not a fade to silence
FLAT_FRACTION_MIN = 0.1  # a tenth of the frame repeats its loud neighbour
FULL_SCALE_FRACTION_MIN = 0.01
CUE_KINDS = ("jump", "zero_run", "flat_top")
BLOCK_FRAMES = 16_384


@dataclass(frozen=True)
class Cue:
    time_ms: int
    kind: str
    strength: float  # the statistic that tripped the rule: a jump's size, a fraction


def cue_starts(
    statistics: npt.NDArray[np.float32], names: list[str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """Per frame and kind, whether a run of frames that trip the rule begins there, and the
    frame's strength: each (frames, len(CUE_KINDS)). `statistics` holds the columns `names`
    (the recipe's); the first frame is taken to begin a run when it trips a rule."""

    def column(name: str) -> npt.NDArray[np.float32]:
        return statistics[:, names.index(name)]

    peak, jump = column("peak"), column("max_jump")
    zeros, flat = column("zero_fraction"), column("flat_fraction")
    full = column("full_scale_fraction")
    flags = np.stack(
        [
            jump >= JUMP_MIN,
            zeros >= ZERO_FRACTION_MIN,
            (flat >= FLAT_FRACTION_MIN) | (full >= FULL_SCALE_FRACTION_MIN),
        ],
        axis=1,
    )
    starts = flags & ~np.r_[np.zeros((1, len(CUE_KINDS)), bool), flags[:-1]]
    # A zero run counts only when it begins right after sound.
    starts[:, 1] &= np.r_[False, peak[:-1] >= SOUND_BEFORE_ZEROS]
    strengths = np.stack([jump, zeros, np.maximum(flat, full)], axis=1)
    return starts, strengths


def find_cues(
    rows: FeatureRows,
    *,
    recipe: FeatureRecipe,
    after_ms: int | None = None,
    before_ms: int | None = None,
    limit: int = 10,
) -> list[Cue]:
    """Up to `limit` cues starting after `after_ms` (ascending) or before `before_ms` (nearest
    first); exactly one of the two is given."""
    if (after_ms is None) == (before_ms is None):
        raise ValueError("find_cues takes exactly one of after_ms and before_ms")
    names = recipe.feature_names
    hop = recipe.hop_ms
    found: list[Cue] = []
    forwards = after_ms is not None
    for start, count in _blocks(rows.frames, after_ms, before_ms, hop):
        # One frame before the block, so a run that begins at its first frame is seen as such.
        lead = 1 if start > 0 else 0
        statistics = rows.read(start - lead, count + lead)
        starts, strengths = cue_starts(statistics, names)
        frames, kinds = np.nonzero(starts[lead:])
        cues = [
            Cue(int((start + f) * hop), CUE_KINDS[k], round(float(strengths[lead + f, k]), 4))
            for f, k in zip(frames, kinds, strict=True)
        ]
        if forwards:
            cues = [cue for cue in cues if cue.time_ms > after_ms]
        else:
            cues = [cue for cue in reversed(cues) if cue.time_ms < before_ms]
        found.extend(cues)
        if len(found) >= limit:
            break
    return found[:limit]


def _blocks(
    frames: int, after_ms: int | None, before_ms: int | None, hop_ms: int
) -> Iterator[tuple[int, int]]:
    """(first frame, frame count) blocks walking away from the position."""
    if after_ms is not None:
        start = max(0, after_ms // hop_ms)
        while start < frames:
            yield start, min(BLOCK_FRAMES, frames - start)
            start += BLOCK_FRAMES
        return
    assert before_ms is not None
    end = min(frames, -(-max(0, before_ms) // hop_ms))
    while end > 0:
        start = max(0, end - BLOCK_FRAMES)
        yield start, end - start
        end = start
