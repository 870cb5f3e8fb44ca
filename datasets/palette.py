"""Colours for artifact types created without one. No Django imports."""

from collections.abc import Iterable

# Distinct on a dark waveform and to colour-blind readers (Okabe-Ito, then Tableau extras).
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#E15759",
    "#76B7B2",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
)


def next_color(used: Iterable[str]) -> str:
    """The first palette colour not in `used`, cycling when every colour is taken."""
    taken = [color.upper() for color in used]
    for color in PALETTE:
        if color not in taken:
            return color
    return PALETTE[len(taken) % len(PALETTE)]
