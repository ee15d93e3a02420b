"""Process-wide allocator settings for `chatlog import`: freed memory is kept for reuse.

An import allocates and frees many arrays of megabytes (NumPy in `store/fills.py`, Arrow buffers, DuckDB
results). Memory handed back to the kernel must be faulted in (and zeroed) again when next used, and on a
virtual machine such as the benchmark's, first touches of fresh memory ran at a few hundred MB/s at times.

- glibc's malloc (NumPy, DuckDB) serves each allocation of 128 KB or more with fresh pages and returns them
  when freed. Serving allocations below 32 MB from the heap and keeping up to 512 MB of freed heap took a
  1M-message JD log from 6.11 to 5.31 s (interleaved medians of 5) and a 300k-row Taobao workbook from 4.39
  to 4.17 s, for 20-60 MB more peak memory.
- pyarrow's default pool, mimalloc, returns freed pages 10 ms after they are freed; its jemalloc pool keeps
  them for a second. With jemalloc (medians of 5 runs): JD log 4.85 -> 4.71 s, Pinduoduo CSV 2.57 -> 2.25 s,
  Taobao workbook 4.12 -> 3.83 s, peak memory about the same.

A library call leaves the process's allocators alone: the command decides.
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
    """Have glibc's malloc and Arrow reuse freed memory rather than return it at once.

    Returns whether glibc accepted its settings (False elsewhere: macOS, musl). Arrow's pool becomes its
    jemalloc one wherever pyarrow was built with it.
    """
    import pyarrow as pa

    if "jemalloc" in pa.supported_memory_backends():
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all(mallopt(option, value) == 1 for option, value in _SETTINGS)
