"""The arena: one shared file that many small objects share, so that they cost no descriptor.

A `SharedBuffer` (memory.py) is a file of its own, and every file is a descriptor. A Value
needs 8 bytes; giving it a file each would run out of descriptors at about a thousand Values
(descriptors.py). So small blocks are cut from a process-wide *arena*: one 1 MiB shared file,
as the standard library's `multiprocessing.heap` does::

    arena (one memfd, one descriptor)
    [Value 'i'][Value 'd'][a Lock's owner][Array 'i' * 10        ][  free ...          ]
     offset 0   16         32              96                      176

`allocate(size)` returns a `Block`: the arena and an offset. A Block travels to a spawned
child as the arena's descriptor (passed once, however many blocks use it: `serialize.pass_fd`
passes a number once) and the offset; the child maps the arena once (`_arena_for`) and finds
the block in it. A forked child inherits the mapping, and must not allocate from its parent's
arena, whose free space the parent still counts as its own: at fork it starts an arena of its
own, the first time it needs one.

A block is free again when the object that allocated it is gone in the process that allocated
it, as in the standard library: a child still using a block its parent has dropped may see it
reused. A block larger than a quarter of an arena gets an arena of its own, which closes with it.

Read next: `runtime/sharedctypes.py`, which lays numbers over these blocks.
"""

from __future__ import annotations

import os
import threading
import weakref
from weakref import finalize

from . import descriptors, serialize
from .memory import SharedBuffer

__all__ = ["Arena", "Block", "allocate"]

ARENA_SIZE = 1 << 20
ALIGN = 16  # any C number (long double included) may start at a multiple of 16


class Arena(SharedBuffer):
    """A shared file cut into blocks: a bump pointer, and freed blocks kept by size for reuse."""

    def __init__(self, size: int = ARENA_SIZE):
        super().__init__(size)
        self._creator = os.getpid()  # only it allocates from this arena
        self._next = 0  # where the next new block starts
        self._free: dict[int, list[int]] = {}  # size: offsets of freed blocks of that size
        self._live = 0  # blocks in use
        descriptors.hold(self, "shared-memory arena", 1)

    def take(self, size: int) -> int | None:
        """The offset of a new block of `size` bytes (a multiple of ALIGN), or None if full."""
        if self._free.get(size):
            offset = self._free[size].pop()
        elif self._next + size <= self.size:
            offset, self._next = self._next, self._next + size
        else:
            return None
        memoryview(self.map).cast("B")[offset : offset + size] = bytes(size)  # every block starts as zeros
        self._live += 1
        return offset

    def give_back(self, offset: int, size: int) -> None:
        if os.getpid() != self._creator:
            return  # a forked child's copy of the parent's books: not ours to change
        with _books:
            self._give_back(offset, size)

    def _give_back(self, offset: int, size: int) -> None:
        self._live -= 1
        if self._live == 0:  # all free: start again from the beginning
            self._next, self._free = 0, {}
        else:
            self._free.setdefault(size, []).append(offset)

    def __reduce__(self):
        return _arena_for, (serialize.pass_fd(self.fd, "shared memory"), self.size)


# In a spawned child: the parent's arenas by descriptor, each mapped once however many
# objects arrive in it.
_mapped: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _arena_for(fd: int, size: int) -> SharedBuffer:
    arena = _mapped.get(fd)
    if arena is None:
        arena = SharedBuffer.__new__(SharedBuffer)
        arena.__setstate__({"fd": fd, "size": size})
        _mapped[fd] = arena
    return arena


class Block:
    """`size` bytes at `offset` in `arena`'s map; given back when the Block is gone."""

    def __init__(self, arena: SharedBuffer, offset: int, size: int):
        self.arena, self.offset, self.size = arena, offset, size

    @property
    def map(self):
        return self.arena.map

    @property
    def fd(self) -> int:
        return self.arena.fd

    def __reduce__(self):
        return Block, (self.arena, self.offset, self.size)


_current: Arena | None = None  # this process's arena for new blocks
# Threads may allocate at once; an RLock, as a block given back by the garbage collector
# may arrive in the middle of an allocation, in the same thread.
_books = threading.RLock()


def _forget_current() -> None:
    global _current, _books
    _current, _books = None, threading.RLock()


os.register_at_fork(after_in_child=_forget_current)


def allocate(size: int) -> Block:
    """A zeroed block of at least `size` bytes, shared with the children started later."""
    global _current
    size = max(ALIGN, -(-size // ALIGN) * ALIGN)
    with _books:
        if size > ARENA_SIZE // 4:
            arena = Arena(size)  # its own arena: closed when its one block is gone
        else:
            arena = _current = _current or Arena()
        offset = arena.take(size)
        if offset is None:  # full: a new arena; the old one closes once its blocks are gone
            arena = _current = Arena()
            offset = arena.take(size)
    block = Block(arena, offset, size)
    finalize(block, arena.give_back, offset, size)
    return block


def current_arena() -> Arena:
    """This process's arena, made now if need be (tests make it before counting descriptors)."""
    global _current
    _current = _current or Arena()
    return _current
