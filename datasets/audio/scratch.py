"""Reusable work arrays for block loops. No Django imports.

A fresh megabyte-sized array per block is mapped and unmapped by glibc (or trimmed off the heap),
and every touch of the new pages faults: about a quarter of the pipeline's CPU time on 44.1 kHz
stereo until the large per-block arrays were reused (docs/benchmarks.md).
"""

import numpy as np
import numpy.typing as npt


class Scratch:
    def __init__(self) -> None:
        self._arrays: dict[str, npt.NDArray[np.generic]] = {}

    def take(self, name: str, size: int, dtype: npt.DTypeLike) -> npt.NDArray[np.generic]:
        """An uninitialised 1-D array of `size` elements; the next call with the same name hands
        out the same memory, so the caller must be done with it by then."""
        array = self._arrays.get(name)
        if array is None or len(array) < size or array.dtype != dtype:
            array = np.empty(max(size, 1), dtype)
            self._arrays[name] = array
        return array[:size]
