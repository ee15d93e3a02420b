"""Process-wide malloc settings for `chatlog import`: freed memory is kept for reuse.

glibc's malloc serves each allocation of 128 KB or more with fresh pages from the kernel and hands them back
when freed, so the next array of that size faults its pages in again (and the kernel zeroes them). An import
allocates and frees many arrays of megabytes (NumPy in `store/fills.py`, Arrow buffers, DuckDB results); on
a virtual machine such as the benchmark's, first touches of fresh memory ran at a few hundred MB/s at times.
Serving allocations below 32 MB from the heap and keeping up to 512 MB of freed heap took a 1M-message JD
log from 6.11 to 5.31 s (interleaved medians of 5) and a 300k-row Taobao workbook from 4.39 to 4.17 s, for
20-60 MB more peak memory. A library call leaves the process's allocator alone: the command decides.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

# mallopt() parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD: Final = -1
_M_TOP_PAD: Final = -2
_M_MMAP_THRESHOLD: Final = -3

_SETTINGS: Final = (
    (_M_MMAP_THRESHOLD, 32 << 20),  # glibc's largest: allocations below it come from the heap
    (_M_TRIM_THRESHOLD, 512 << 20),  # free memory at the heap's top returned to the kernel only above this
    (_M_TOP_PAD, 64 << 20),  # the heap grows in steps of this much
)


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to reuse freed memory rather than return it; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all(mallopt(option, value) == 1 for option, value in _SETTINGS)
