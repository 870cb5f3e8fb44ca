"""Reading a stored features file (a 2-D .npy) a block of rows at a time. No Django imports.

A memory map would do the same with less code, but every page it touches stays in the process's
resident set until the map closes, so a worker's peak memory would grow with the file: 52 MB for
an hour of 73 float16 columns. Reads here go through one small buffer and leave nothing behind.
"""

from pathlib import Path
from typing import IO, BinaryIO

import numpy as np
import numpy.typing as npt

BLOCK_ROWS = 16_384  # 2.4 MB of 73 float16 columns: what a whole-column read holds at a time


def read_npy_header(file: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order, dtype) of the .npy array starting at `file`'s position, which is
    left at the array's first byte of data."""
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(file)
    return np.lib.format.read_array_header_2_0(file)


def read_stored_features_header(file: IO[bytes]) -> tuple[tuple[int, int], np.dtype]:
    """(shape, dtype) of a stored features file: a 2-D array in C order of plain numbers.
    Raises ValueError for anything else."""
    shape, fortran_order, dtype = read_npy_header(file)
    if len(shape) != 2 or fortran_order or dtype.hasobject:
        raise ValueError(f"not a stored features file: shape {shape}, dtype {dtype}")
    return shape, dtype


class StoredFeatures:
    """The rows of a (frames, columns) .npy file, read on demand: `len()`, `shape`, `dtype`, and
    `[start:stop]` or `[start:stop, column(s)]` with a step-1 row slice, each returning a new
    in-memory array. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path | str) -> None:
        self.file: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by close())
        try:
            shape, dtype = read_stored_features_header(self.file)
        except BaseException:
            self.file.close()
            raise
        self.shape: tuple[int, int] = shape
        self.dtype = dtype
        self.data_offset = self.file.tell()
        self.row_bytes = shape[1] * dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __enter__(self) -> "StoredFeatures":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.file.close()

    def __getitem__(self, key: slice | tuple[slice, object]) -> npt.NDArray[np.generic]:
        rows, columns = key if isinstance(key, tuple) else (key, slice(None))
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("StoredFeatures reads a step-1 slice of rows")
        start, stop, _ = rows.indices(len(self))
        count = max(0, stop - start)
        if columns == slice(None):
            return self._read(start, count)
        # Copies, not views: a view would keep its whole block of rows alive.
        blocks = [
            self._read(block, min(BLOCK_ROWS, start + count - block))[:, columns].copy()
            for block in range(start, start + count, BLOCK_ROWS)
        ]
        if not blocks:
            return self._read(start, 0)[:, columns].copy()
        return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]

    def _read(self, start: int, count: int) -> npt.NDArray[np.generic]:
        self.file.seek(self.data_offset + start * self.row_bytes)
        values = np.fromfile(self.file, dtype=self.dtype, count=count * self.shape[1])
        if len(values) != count * self.shape[1]:
            raise ValueError("the stored features file is shorter than its header says")
        return values.reshape(count, self.shape[1])
