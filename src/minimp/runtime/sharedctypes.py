"""Value and Array: numbers that several processes read and write in place.

`Value('i', 0)` is a C int that lives in shared memory (memory.py): a child that adds 1
to it changes the parent's number, with no message sent. It is a `ctypes` object placed
on the shared pages with `from_buffer`::

    Value('d', 1.5)  ─▶  ctypes.c_double ─ from_buffer ─▶ a Block of the arena (16 bytes)

Type codes are those of the `array` module ('i' int, 'd' double, 'c' char, ...), or any
ctypes type. Shared memory has no protection of its own: `v.value += 1` is a read, an
addition and a write, and two processes doing it at once lose updates (chapter 04 shows
it) unless they hold the lock that `Value` and `Array` come with::

    with counter.get_lock():
        counter.value += 1

The lock is an RLock from synchronize.py unless you pass one; `lock=False`, `RawValue`
and `RawArray` give the bare ctypes objects.

As in `multiprocessing.sharedctypes`, the numbers live in a block of a process-wide
*arena* (arena.py), one shared file for many objects: a RawValue costs no descriptor, and a
Value only its lock's pipe (2; descriptors.py).

Read next: `runtime/barrier.py`, processes that wait for each other.
"""

from __future__ import annotations

import ctypes

from . import descriptors, serialize
from .arena import Block, allocate
from .synchronize import RLock

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any

__all__ = ["RawValue", "RawArray", "Value", "Array"]

TYPECODES = {
    "c": ctypes.c_char, "u": ctypes.c_wchar,
    "b": ctypes.c_byte, "B": ctypes.c_ubyte,
    "h": ctypes.c_short, "H": ctypes.c_ushort,
    "i": ctypes.c_int, "I": ctypes.c_uint,
    "l": ctypes.c_long, "L": ctypes.c_ulong,
    "q": ctypes.c_longlong, "Q": ctypes.c_ulonglong,
    "f": ctypes.c_float, "d": ctypes.c_double,
}  # fmt: skip


def _ctype(typecode_or_type: Any, caller: str) -> type:
    ctype = TYPECODES.get(typecode_or_type, typecode_or_type)
    try:
        ctypes.sizeof(ctype)  # only ctypes types (and their objects) have a size
    except TypeError:
        ctype = None
    if not isinstance(ctype, type):
        raise TypeError(f"{caller}(typecode_or_type={typecode_or_type!r}): expected a type code "
                        f"(one of {''.join(TYPECODES)!r}) or a ctypes type such as ctypes.c_int")
    return ctype


def _on_shared_memory(ctype: type, block: Block | None = None) -> Any:
    """A `ctype` object laid over `block`, or over a new, zeroed block of the arena."""
    if block is None:
        block = allocate(ctypes.sizeof(ctype))
    obj = ctype.from_buffer(block.map, block.offset)
    obj._shared_buffer = block  # keeps the memory alive as long as the object
    serialize.register(ctype, _reduce)  # how it travels to a spawned child
    return obj


# A child must get the *same* memory, not a copy of its numbers: pickle the block (the
# arena's descriptor and an offset) and the type to map on it. An array type such as c_int * 4 is made on
# the fly, and pickle cannot find it by name: it travels as its item type and length.
def _reduce(obj: Any) -> tuple:
    if not hasattr(obj, "_shared_buffer"):
        return obj.__reduce__()  # an ordinary ctypes object of the same type: a copy
    if isinstance(obj, ctypes.Array):
        return _rebuild, (obj._type_, obj._length_, obj._shared_buffer)
    return _rebuild, (type(obj), None, obj._shared_buffer)


def _rebuild(ctype: type, length: int | None, block: Block) -> Any:
    return _on_shared_memory(ctype if length is None else ctype * length, block)


def RawValue(typecode_or_type: Any, *args: Any) -> Any:
    """A ctypes object in shared memory, initialised with `args`; no lock."""
    return _new_value(typecode_or_type, args, "RawValue")


def RawArray(typecode_or_type: Any, size_or_initializer: Any) -> Any:
    """A ctypes array in shared memory: `size` zeros, or a copy of a sequence; no lock."""
    return _new_array(typecode_or_type, size_or_initializer, "RawArray")


def _new_value(typecode_or_type: Any, args: tuple, caller: str) -> Any:
    obj = _on_shared_memory(_ctype(typecode_or_type, caller))
    obj.__init__(*args)
    return obj


def _new_array(typecode_or_type: Any, size_or_initializer: Any, caller: str) -> Any:
    ctype = _ctype(typecode_or_type, caller)
    if isinstance(size_or_initializer, int):
        if size_or_initializer < 0:
            raise ValueError(f"{caller}(size_or_initializer={size_or_initializer}): an array size must be >= 0")
        return _on_shared_memory(ctype * size_or_initializer)
    try:
        values = list(size_or_initializer)
    except TypeError:
        raise TypeError(f"{caller}(size_or_initializer={size_or_initializer!r}): expected an int "
                        f"(the size) or a sequence of initial values") from None
    array = _on_shared_memory(ctype * len(values))
    array.__init__(*values)
    return array


def Value(typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
    """A shared value with a lock: `.value`, `get_lock()`. lock=False gives a RawValue."""
    value = _new_value(typecode_or_type, args, "Value")
    wrapper = SynchronizedStructure if isinstance(value, ctypes.Structure) else Synchronized
    return _synchronized(value, lock, wrapper)


def Array(typecode_or_type: Any, size_or_initializer: Any, *, lock: Any = True) -> Any:
    """A shared array with a lock: indexing, slicing, `get_lock()`. An Array of 'c' also
    has `.value` and `.raw`, as a C string."""
    array = _new_array(typecode_or_type, size_or_initializer, "Array")
    wrapper = SynchronizedString if array._type_ is ctypes.c_char else SynchronizedArray
    return _synchronized(array, lock, wrapper)


def _synchronized(obj: Any, lock: Any, wrapper: type) -> Any:
    if lock is False:
        return obj
    ours = lock in (True, None)  # as in the standard library, 1 counts as True
    if ours:
        lock = RLock()
    if not hasattr(lock, "acquire"):
        raise AttributeError(f"{lock!r} has no method 'acquire'")
    synchronized = wrapper(obj, lock)
    if ours:  # its descriptors are the Value's (or the Array's)
        kind = "Array" if isinstance(obj, ctypes.Array) else "Value"
        descriptors.hold(synchronized, kind, 2, parts=(lock,))
    return synchronized


class SynchronizedBase:
    """A shared ctypes object and the lock that protects it."""

    def __init__(self, obj: Any, lock: Any):
        self._obj = obj
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release

    def get_obj(self) -> Any:
        return self._obj

    def get_lock(self) -> Any:
        return self._lock

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc_info) -> None:
        self._lock.__exit__(*exc_info)

    def __reduce__(self):
        serialize.assert_spawning(type(self).__name__)
        return type(self), (self._obj, self._lock)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} wrapper for {self._obj}>"


class Synchronized(SynchronizedBase):
    """A shared number and its lock. Reading or writing `.value` takes the lock for that
    one access; take it yourself (`with v.get_lock():`) around a read-modify-write (`+=`)."""

    @property
    def value(self) -> Any:
        with self._lock:
            return self._obj.value

    @value.setter
    def value(self, value: Any) -> None:
        with self._lock:
            self._obj.value = value


class SynchronizedArray(SynchronizedBase):
    """A shared ctypes array and its lock; each index or slice access takes the lock."""

    def __len__(self) -> int:
        return len(self._obj)

    def __getitem__(self, index: Any) -> Any:
        with self._lock:
            return self._obj[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        with self._lock:
            self._obj[index] = value


class SynchronizedString(SynchronizedArray, Synchronized):
    """A shared char array: `.value` (up to the first NUL, from Synchronized) and `.raw`
    (all bytes); each access takes the lock."""

    @property
    def raw(self) -> bytes:
        with self._lock:
            return self._obj.raw

    @raw.setter
    def raw(self, value: bytes) -> None:
        with self._lock:
            self._obj.raw = value


class SynchronizedStructure(SynchronizedBase):
    """A shared ctypes Structure and its lock: each field access takes the lock."""

    def __getattr__(self, name: str) -> Any:
        # Called only for names the wrapper itself lacks: the structure's fields.
        if name.startswith("_"):
            raise AttributeError(name)
        with self._lock:
            return getattr(self._obj, name)

    def __setattr__(self, name: str, value: Any) -> None:
        obj = self.__dict__.get("_obj")
        if obj is not None and name in {field[0] for field in obj._fields_}:
            with self._lock:
                setattr(obj, name, value)
        else:
            super().__setattr__(name, value)
