"""glibc's malloc told to give large blocks back to the system as soon as they are freed.

glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so after one
big upload decode the next ones come from the heap and stay in the process: the upload
benchmark's worker kept 70–145 MB more after the same uploads than with a fixed threshold
(bench/results/upload_exhaustion_mmap.json). A fixed threshold (M_MMAP_THRESHOLD, which also
turns the dynamic raising off) maps every block of MALLOC_MMAP_THRESHOLD_BYTES or more on its
own and unmaps it when freed. The MALLOC_MMAP_THRESHOLD_ environment variable does the same;
this sets it for every way the service is started. Not glibc: nothing to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3


def malloc_tune() -> bool:
    threshold = settings.MALLOC_MMAP_THRESHOLD_BYTES
    if threshold <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if not ok:
        logger.warning("mallopt(M_MMAP_THRESHOLD) refused %s", threshold)
    return ok
