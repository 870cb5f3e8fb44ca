"""Page anchors: the ids at known positions of an annotation set's id order (oldest first), so
that reading any page skips at most about a stride of index entries. No Django imports.

An anchor is `[position, id]` (JSON on the set). Publishing computes them afresh; a draft keeps
them true as it changes: adding rows after the newest moves no anchor and may add new ones, and
removing rows moves each later anchor back by the rows removed before it.
"""

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

Anchor = list[int | str]  # [position, id]


def anchor_before(anchors: Sequence[Anchor], position: int) -> tuple[int, str] | None:
    """The anchor at or before `position`, or None."""
    at = bisect_right([anchor[0] for anchor in anchors], position) - 1
    if at < 0:
        return None
    anchor_position, anchor_id = anchors[at]
    return anchor_position, anchor_id


def after_appending(
    anchors: Sequence[Anchor], appended_ids: Sequence[uuid.UUID], *, rows_before: int, stride: int
) -> list[Anchor]:
    """Anchors once `appended_ids` (increasing, all after every id already in the set) are
    added to a set of `rows_before` rows: the old ones stay, new ones every `stride` rows."""
    kept = [list(anchor) for anchor in anchors]
    position = kept[-1][0] + stride if kept else 0
    position = max(position, rows_before)  # rows with no known id lie between
    while position < rows_before + len(appended_ids):
        kept.append([position, str(appended_ids[position - rows_before])])
        position += stride
    return kept


def after_removing(anchors: Sequence[Anchor], removed_ids: Sequence[uuid.UUID]) -> list[Anchor]:
    """Anchors once the rows `removed_ids` are gone: an anchor whose own row went is dropped,
    the others move back by the number of removed rows before them."""
    removed = sorted(removed_ids)
    kept = []
    for position, anchor_id in anchors:
        key = uuid.UUID(anchor_id)
        earlier = bisect_left(removed, key)
        if earlier < len(removed) and removed[earlier] == key:
            continue
        kept.append([position - earlier, anchor_id])
    return kept
