"""Pickling: how Python objects become bytes that another process can read.

Everything that crosses a process boundary in minimp (a message on a Pipe, an item on a
Queue, the Process object a spawned child starts from) goes through `dumps` and `loads`.

Plain `pickle` stores a function or a class *by reference* ("`mymodule.square`": the receiver
imports `mymodule` and looks `square` up). That fails for what the receiver cannot import:

- functions and classes defined in a notebook or a script (`__main__`): a spawned child has
  another `__main__`, so the standard library fails with
  "Can't get attribute 'square' on <module '__main__'>";
- lambdas and functions defined inside other functions.

For exactly those, minimp asks cloudpickle to store the object *by value* (its code, defaults
and the globals it uses), nested inside the ordinary pickle; the rest is plain, fast pickle.

The second half is about file descriptors. A Pipe, a Lock or a Queue is a handful of them,
and its bytes mean nothing without them. They can only travel to a child being *started*
(fork copies them all; spawn passes those listed by `pickle_for_child`); sending them later,
through a queue, is refused with a clear error, as in the standard library.

Read next: `runtime/output.py`, where a child's print() goes.
"""

from __future__ import annotations

import contextvars
import io
import os
import pickle
import sys
import threading
import types

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any, Callable

__all__ = ["dumps", "dumps_parts", "loads", "register", "pickle_for_child", "pickle_process", "spawning", "assert_spawning",
           "pass_fd"]

PROTOCOL = pickle.HIGHEST_PROTOCOL


def _importable(obj: Any) -> bool:
    """Would `pickle` find `obj` again by its module and qualified name?"""
    module_name = getattr(obj, "__module__", None)
    if module_name in (None, "__main__"):
        return False
    if module_name == "builtins":  # NoneType and friends: pickle knows them
        return True
    found = sys.modules.get(module_name)
    for part in obj.__qualname__.split("."):
        found = getattr(found, part, None)  # '<locals>' and '<lambda>' end as None
    return found is obj


def _by_value(obj: Any) -> tuple:
    """A reduce tuple that rebuilds `obj` from its cloudpickle bytes."""
    import cloudpickle  # imported only when a by-value object turns up
    payload = cloudpickle.dumps(obj, protocol=PROTOCOL)
    if not isinstance(obj, types.FunctionType):
        return pickle.loads, (payload,)
    # cloudpickle names the file of a by-value function "<dynamic-code>", so a traceback in the
    # child could not show its lines. Send the file name along, and the lines themselves when the
    # child cannot read them from disk (a notebook cell exists only in the kernel's memory).
    import linecache
    filename = obj.__code__.co_filename
    lines = None if os.path.exists(filename) else linecache.getlines(filename)
    return _load_function, (payload, filename, lines)


def _load_function(payload: bytes, filename: str, lines: list[str] | None) -> types.FunctionType:
    import linecache
    function = pickle.loads(payload)
    function.__code__ = _renamed(function.__code__, filename)
    if lines:
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    return function


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


_reducers: dict[type, Callable[[Any], tuple]] = {}


def register(cls: type, reduce: Callable[[Any], tuple]) -> None:
    """Pickle objects of exactly type `cls` with `reduce(obj)`, as copyreg does, but only
    in minimp's own pickles (sharedctypes.py uses it)."""
    _reducers[cls] = reduce


class _Pickler(pickle.Pickler):
    # The C pickler calls reducer_override for objects that are not plain data (numbers,
    # strings, bytes, lists, tuples, dicts and sets skip it): free on the common path.
    def reducer_override(self, obj: Any) -> Any:
        reduce = _reducers.get(type(obj))
        if reduce is not None:
            return reduce(obj)
        if isinstance(obj, (types.FunctionType, type)) and not _importable(obj):
            return _by_value(obj)
        return NotImplemented


class _Reused:
    """A thread's picklers and their files, kept for its next message: making them costs more
    than pickling a small message does. The big pickler writes into a BytesIO; the pieces
    pickler hands what it writes to a list's append. It writes data of 64 KiB or more (protocol
    4 and up) past its own buffer: a big bytes object inside the pickled object arrives in the
    list as that very object, not copied."""

    __slots__ = ("buffer", "pickler", "pieces", "pieces_pickler", "busy")

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.pickler = _Pickler(self.buffer, PROTOCOL)
        self.pieces: list = []
        self.pieces_pickler = _Pickler(types.SimpleNamespace(write=self.pieces.append), PROTOCOL)
        self.busy = False  # True while pickling: a nested dumps() needs its own


_threads = threading.local()


def _reused() -> _Reused:
    """This thread's _Reused. (One look into a threading.local, then plain slots: a subclass of
    threading.local, looked into five times per message, made pickling a small tuple 0.55 µs
    instead of 0.34: bench_core.py's "queue, small" and "pipe, small" pay it per message.)"""
    try:
        return _threads.reused
    except AttributeError:
        _threads.reused = reused = _Reused()
        return reused


def dumps(obj: Any) -> bytes:
    """Pickle `obj`; functions and classes that cannot be imported go by value."""
    reused = _reused()
    if reused.busy:  # a reducer pickling something itself: a pickler of its own
        buffer = io.BytesIO()
        _Pickler(buffer, PROTOCOL).dump(obj)
        return buffer.getvalue()
    reused.busy = True
    try:
        reused.pickler.dump(obj)
        return reused.buffer.getvalue()
    finally:
        reused.pickler.clear_memo()  # forget this message's objects
        reused.buffer.seek(0)
        reused.buffer.truncate()
        reused.busy = False


def dumps_parts(obj: Any) -> list:
    """Pickle `obj` as `dumps` does, into a list of pieces to write one after the other
    (os.pwritev): the big bytes objects inside `obj` are pieces themselves, not copied. Pickling
    (7, 1 MB) and writing it to a shared file: 0.5-0.8 ms, against 1.0-1.1 through a BytesIO."""
    reused = _reused()
    if reused.busy:
        return [dumps(obj)]
    reused.busy = True
    pieces = reused.pieces
    try:
        reused.pieces_pickler.dump(obj)
    finally:  # also after an error: the next message starts empty
        reused.pieces_pickler.clear_memo()
        reused.busy = False
        taken = pieces.copy()
        pieces.clear()
    if len(taken) > 1:  # a bytearray, or a PickleBuffer over a numpy array: as bytes, so that
        taken = [_as_bytes(piece) for piece in taken]  # len() counts bytes
    return taken


def _as_bytes(piece) -> bytes | memoryview:
    if type(piece) is bytes:
        return piece
    view = memoryview(piece)  # its memory order is the pickle's
    return view.cast("B") if view.c_contiguous else view.tobytes(order="A")


loads = pickle.loads


# -- file descriptors that travel with a pickle --------------------------------

# While a child is being spawned, the file descriptors it must inherit; None the rest of the time.
# A context variable, not a global, so that two threads starting children do not mix their lists.
_fds_for_child = contextvars.ContextVar("fds_for_child", default=None)


def pickle_for_child(obj: Any) -> tuple[bytes, list[int]]:
    """Pickle `obj` for a child being spawned. Returns the bytes and the file descriptors
    that pickling asked to pass (see `pass_fd`); the spawner hands those to the child."""
    fds: list[int] = []
    token = _fds_for_child.set(fds)
    try:
        return dumps(obj), fds
    finally:
        _fds_for_child.reset(token)


def pickle_process(process: Any, method: str) -> tuple[bytes, list[int]]:
    """Pickle a Process for a child started by spawn or forkserver; if that fails, say which part
    (target, args[i], kwargs[key]) cannot be pickled."""
    try:
        return pickle_for_child(process)
    except Exception as exc:
        error = exc
    parts = [("target", process._target), *[(f"args[{i}]", arg) for i, arg in enumerate(process._args)]]
    parts += [(f"kwargs[{key!r}]", value) for key, value in process._kwargs.items()]
    culprit = "the process object"
    for label, part in parts:
        try:
            pickle_for_child(part)
        except Exception:
            culprit = f"{label} ({part!r:.60})"
            break
    message = (f"cannot start {process.name} with the {method} start method: {culprit} cannot be pickled "
               f"({error}). Under {method}, the child receives everything it needs as a pickle; pass "
               f"picklable values, or use the fork start method.")
    try:
        better = type(error)(message)  # keep the exception type pickle raised
    except Exception:
        better = pickle.PicklingError(message)
    raise better from error


def spawning() -> bool:
    """Is this pickle for a child being spawned? (Then descriptors and authkeys may go in it.)"""
    return _fds_for_child.get() is not None


def assert_spawning(kind: str) -> None:
    """Refuse to pickle a `kind` object unless a child is being spawned."""
    if not spawning():
        raise RuntimeError(f"{kind} objects should only be shared between processes through inheritance: pass "
                           f"the {kind} to the Process (args=... or an attribute) when you create it, not "
                           f"through a Queue, a Pipe or a pool's task later; a manager's objects "
                           f"(minimp.Manager()) may go anywhere")


def pass_fd(fd: int, kind: str) -> int:
    """Called while pickling a `kind` object: ask for `fd` to reach the child. The child
    receives the descriptor under the same number, so the number is what gets pickled.
    A descriptor several objects share (arena.py) is passed once."""
    assert_spawning(kind)
    fds = _fds_for_child.get()
    if fd not in fds:
        fds.append(fd)
    return fd
