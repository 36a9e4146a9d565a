"""Freed memory given back to the system, where the C library allows it (glibc); elsewhere, nothing.

glibc serves a large block from the heap once a block that size has been freed (its mmap threshold
moves up, to 32 MB), and keeps what is freed there for later use: a process's size stays at its
high-water mark. ONNX Runtime takes and frees a few MB per long text, so embedding 16 passages on two
threads left the process 74 MB larger, and `serve` held 19 MB of free pages once loaded. Fixing the
threshold (blocks of 128 KB and more are mapped, and unmapped when freed) took the first to 3 MB, and
trimming the heap after each load returns the rest.
"""

from __future__ import annotations

import ctypes
from functools import cache

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from then on


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def return_large_blocks() -> None:
    """From now on, every large block goes back to the system when freed. Call it first thing."""
    if (mallopt := getattr(_libc(), "mallopt", None)) is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_freed_memory() -> None:
    """The small blocks freed so far, back to the system (after a load, which frees many)."""
    if (trim := getattr(_libc(), "malloc_trim", None)) is not None:
        trim(0)
