"""Shared memory: a file that lives only in RAM, mapped into several processes.

Two processes normally never see each other's memory. To share some, minimp creates a
file with no name (`memfd_create` on Linux; elsewhere a temporary file deleted at once),
sets its size, and maps it with `mmap`. Every process that has the file's descriptor
maps the same pages: a byte written by one is read by all, with no copy in between::

    parent ─ mmap ─┐
                   ├──▶ the same physical pages (the anonymous file)
    child  ─ mmap ─┘

With no name, no other user can open the file, and the kernel frees it with its last
descriptor and mapping: nothing to clean up, even after a crash. A child gets it like
any descriptor: fork copies it, spawn passes it (serialize.py).

The map is made with the C library's mmap(2) (`map_shared`), not Python's `mmap.mmap`,
which, before Python 3.13's `trackfd=False`, keeps a duplicate of the descriptor for
itself: every shared file would cost two descriptors (descriptors.py).

Read next: `runtime/descriptors.py`, what such files and pipes cost in descriptors, before
the arena that shares one file among many small objects.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
from weakref import finalize

from . import descriptors, serialize

__all__ = ["SharedBuffer", "map_shared", "grow", "write_at", "read_at", "read_reused", "move_within"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
MAP_FAILED = ctypes.c_void_p(-1).value


def map_shared(fd: int, size: int) -> ctypes.Array:
    """The first `size` bytes of file `fd`, mapped shared, as a ctypes char array: slices,
    struct.pack_into and ctypes' from_buffer work on it as on an mmap. The pages are unmapped
    when the array is gone, and every object laid over it keeps it alive."""
    address = _libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
    if address in (None, MAP_FAILED):
        raise OSError(ctypes.get_errno(), f"mmap of a shared file ({size} bytes): {os.strerror(ctypes.get_errno())}")
    pages = (ctypes.c_char * size).from_address(address)
    finalize(pages, _libc.munmap, address, size)
    return pages


def _anonymous_file() -> int:
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create("minimp")
        except OSError as error:
            raise descriptors.explain(error) from None
    import tempfile  # only where there is no memfd_create
    fd, path = tempfile.mkstemp(prefix="minimp-")  # mode 0600: ours alone
    os.unlink(path)  # gone from the file system, alive while open
    return fd


class SharedBuffer:
    """`size` bytes of memory, zero-filled, shared with the children started later.
    `fd` is the file, `map` the `mmap` over its first `size` bytes."""

    def __init__(self, size: int):
        if size < 0:
            raise ValueError(f"SharedBuffer(size={size}): size must be >= 0")
        self.size = size
        self.fd = _anonymous_file()
        os.ftruncate(self.fd, max(size, 1))  # mmap cannot map an empty file
        self._map()

    def _map(self) -> None:
        self.map = map_shared(self.fd, max(self.size, 1))
        finalize(self, os.close, self.fd)

    def __getstate__(self) -> dict:
        return {"fd": serialize.pass_fd(self.fd, "shared memory"), "size": self.size}

    def __setstate__(self, state: dict) -> None:
        self.fd, self.size = state["fd"], state["size"]
        self._map()


# Large pieces (a queue's big messages) go in and out of the file with one
# system call each, instead of through a map.

def grow(fd: int, old: int, new: int) -> int:
    """Make file `fd`, `old` bytes long, `new` bytes long; return `new`."""
    if hasattr(os, "posix_fallocate"):
        # Reserve the memory now: if there is none, this raises OSError
        # here, instead of a crash (SIGBUS) when the map is written.
        os.posix_fallocate(fd, old, new - old)
    else:
        os.ftruncate(fd, new)
    return new


def write_at(fd: int, parts: list, offset: int) -> None:
    # pwritev takes at most IOV_MAX (1024 on Linux) pieces at once: a pickle of many big
    # bytes objects is written a few hundred pieces at a time.
    for first in range(0, len(parts), 512):
        group = parts[first : first + 512]
        size = sum(map(len, group))
        if os.pwritev(fd, group, offset) != size:  # only a full disk does this
            raise OSError(f"short write to a shared file at offset {offset}")
        offset += size


def read_at(fd: int, size: int, offset: int) -> bytes:
    # One read(2) moves at most about 2 GiB, hence the loop.
    parts, got = [], 0
    while got < size:
        chunk = os.pread(fd, size - got, offset + got)
        if not chunk:
            raise EOFError("a shared file ended in the middle of a message")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


_reused = threading.local()  # each thread's buffer for read_reused
KEEP_AT_MOST = 16 << 20  # a buffer larger than this is not kept


def read_reused(fd: int, size: int, offset: int) -> memoryview:
    """`size` bytes of file `fd` at `offset`, read into this thread's buffer, kept for the next
    call: valid until then. Why: a queue's get() reads a big pickle, then unpickles it, which
    makes the objects it holds; a fresh buffer for the pickle as well, freed with them, made
    malloc give both back to the system each time and fault fresh pages in for the next: a
    Queue of (index, 1 MB) tuples moved 190-210 MB/s, and 460-780 with this buffer.)"""
    buffer = getattr(_reused, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = bytearray(size)
        if size <= KEEP_AT_MOST:
            _reused.buffer = buffer
    view, got = memoryview(buffer)[:size], 0
    while got < size:
        step = os.preadv(fd, [view[got:]], offset + got)
        if not step:
            raise EOFError("a shared file ended in the middle of a message")
        got += step
    return view


def move_within(fd: int, size: int, source: int, target: int) -> None:
    """Copy `size` bytes of file `fd` from offset `source` to `target` (the two ranges must not
    overlap). With copy_file_range(2) (Linux) the kernel copies from page to page, with no buffer
    of ours: three times faster than read_at and write_at, whose buffer's fresh pages must be
    faulted in (16 MiB: 7 ms against 21 ms)."""
    if not hasattr(os, "copy_file_range"):
        for offset in range(0, size, 16 << 20):
            write_at(fd, [read_at(fd, min(16 << 20, size - offset), source + offset)], target + offset)
        return
    moved = 0
    while moved < size:
        step = os.copy_file_range(fd, fd, size - moved, source + moved, target + moved)
        if step == 0:
            raise EOFError("a shared file ended in the middle of a move")
        moved += step
