"""Managers: SyncManager, what `minimp.Manager()` starts, and the proxies of what it holds.

    with minimp.Manager() as manager:               # a SyncManager, started (basemanager.py)
        counts = manager.dict()                     # a dict there, a DictProxy here
        with minimp.Pool(4) as pool:
            pool.map(count, [(counts, word) for word in words])   # every worker writes into it
        print(counts.copy())

A SyncManager holds dict, list, Namespace, Value, Array, Queue and JoinableQueue (both a
`queue.Queue`), and threading's Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition
and Barrier. In the server they are the ordinary objects, shared by its threads (one per
client connection, server.py) as by the threads of one program; here, each is its proxy,
whose methods are named as in `multiprocessing.managers`. A proxy type is a list of the
methods it forwards (`forward`, proxies.py), plus what cannot be forwarded as it is: `value`
as a property, `lst += [...]`, a lock's `with` block.

Unlike minimp's own Queue, Lock or Value, these go anywhere a pickle goes: into a pool's
task, onto a queue, into another proxy's dict. Unlike `multiprocessing`, a manager offers no
`Pool()`; `Value` and `Array` check their type codes (a Value's is otherwise unused).

Limits, as in the standard library: a client that dies holding a manager's Lock leaves it
locked (in the server it is a threading.Lock, which knows nothing of clients), and each operation is a round trip:
`lst.append(x)` in a loop of a million costs seconds where a list of one's own costs
milliseconds.

Read next: `runtime/groups.py`, a pool's worker and the processes it starts, ended together.
"""

from __future__ import annotations

import array
import queue
import threading
import time

from .basemanager import BaseManager
from .errors import RemoteError
from .proxies import AutoProxy, BaseProxy, forward
from .serialize import register as register_reducer
from .server import Token
from .sharedctypes import TYPECODES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable

__all__ = ["Manager", "SyncManager", "BaseManager", "BaseProxy", "AutoProxy", "Token", "Namespace", "Value",
           "Array", "DictProxy", "ListProxy", "IteratorProxy", "ValueProxy", "ArrayProxy", "NamespaceProxy",
           "AcquirerProxy", "ConditionProxy", "EventProxy", "BarrierProxy", "RemoteError"]


# -- the objects a SyncManager holds that are not in the standard library -----------------------


class Namespace:
    """Attributes, and nothing else: what `manager.Namespace()` holds."""

    def __init__(self, **kwargs: Any):
        self.__dict__.update(kwargs)

    def __repr__(self) -> str:
        items = sorted(f"{name}={value!r}" for name, value in self.__dict__.items() if not name.startswith("_"))
        return f"{type(self).__name__}({', '.join(items)})"


class Value:
    """A value and its type code, what `manager.Value('i', 0)` holds (not in shared memory)."""

    def __init__(self, typecode: Any, value: Any, lock: bool = True):
        if typecode not in TYPECODES and not isinstance(typecode, type):
            raise TypeError(f"Value(typecode={typecode!r}): expected a type code (one of {''.join(TYPECODES)!r}) "
                            f"or a ctypes type such as ctypes.c_int")
        self._typecode, self._value = typecode, value

    def get(self) -> Any:
        return self._value

    def set(self, value: Any) -> None:
        self._value = value

    value = property(get, set)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._typecode!r}, {self._value!r})"


def Array(typecode: str, sequence: Iterable, lock: bool = True) -> array.array:  # noqa: N802 - as multiprocessing
    """An `array.array`, what `manager.Array('i', [1, 2])` holds (not in shared memory)."""
    if typecode not in array.typecodes:
        raise ValueError(f"Array(typecode={typecode!r}): expected one of the array module's {array.typecodes!r}")
    return array.array(typecode, sequence)


# A dict's keys(), values() and items() are views, which pickle cannot copy: they travel as lists,
# as in multiprocessing.
for _view in (type({}.keys()), type({}.values()), type({}.items())):
    register_reducer(_view, lambda view: (list, (list(view),)))


# -- their proxies -------------------------------------------------------------------------------


class DictProxy(BaseProxy):
    """A dict in the manager's process: `d[k] = v` stores there, `d[k]` is a copy from there."""

    _exposed_ = ("__contains__", "__delitem__", "__getitem__", "__iter__", "__len__", "__setitem__", "clear",
                 "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values")
    _method_to_typeid_ = {"__iter__": "Iterator"}  # `for k in d` reads the dict there, key by key

    __getitem__, __setitem__, __delitem__ = forward("__getitem__"), forward("__setitem__"), forward("__delitem__")
    __contains__, __len__, __iter__ = forward("__contains__"), forward("__len__"), forward("__iter__")
    get, setdefault, pop, popitem = forward("get"), forward("setdefault"), forward("pop"), forward("popitem")
    keys, values, items, copy = forward("keys"), forward("values"), forward("items"), forward("copy")
    clear, update = forward("clear"), forward("update")


class ListProxy(BaseProxy):
    """A list in the manager's process. `for x in lst` asks for lst[0], lst[1], ... until IndexError,
    one request each, and so sees changes made meanwhile, as in `multiprocessing`."""

    _exposed_ = ("__add__", "__contains__", "__delitem__", "__getitem__", "__len__", "__mul__", "__reversed__",
                 "__rmul__", "__setitem__", "append", "count", "extend", "index", "insert", "pop", "remove",
                 "reverse", "sort", "__imul__")

    __getitem__, __setitem__, __delitem__ = forward("__getitem__"), forward("__setitem__"), forward("__delitem__")
    __contains__, __len__, __reversed__ = forward("__contains__"), forward("__len__"), forward("__reversed__")
    __add__, __mul__, __rmul__ = forward("__add__"), forward("__mul__"), forward("__rmul__")
    append, extend, insert, pop, remove = (forward("append"), forward("extend"), forward("insert"),
                                           forward("pop"), forward("remove"))
    count, index, reverse, sort = forward("count"), forward("index"), forward("reverse"), forward("sort")

    def __iadd__(self, other):  # lst += [...]: the list there grows, and lst stays this proxy
        self._callmethod("extend", (other,))
        return self

    def __imul__(self, n):
        self._callmethod("__imul__", (n,))
        return self


class IteratorProxy(BaseProxy):
    """An iterator in the manager's process (a dict's keys, as they are read)."""

    _exposed_ = ("__next__", "send", "throw", "close")
    __next__, send, throw, close = forward("__next__"), forward("send"), forward("throw"), forward("close")

    def __iter__(self):
        return self


class ValueProxy(BaseProxy):
    """A value in the manager's process. Unlike minimp.Value, it is not in shared memory: each read is a
    request, and `v.value += 1` in two processes at once can lose an update (it is a get, then a set)."""

    _exposed_ = ("get", "set")
    get, set = forward("get"), forward("set")
    value = property(get, set)


class ArrayProxy(BaseProxy):
    """An `array.array` in the manager's process."""

    _exposed_ = ("__len__", "__getitem__", "__setitem__")
    __len__, __getitem__, __setitem__ = forward("__len__"), forward("__getitem__"), forward("__setitem__")


class NamespaceProxy(BaseProxy):
    """A Namespace in the manager's process: `ns.x = 1` sets its attribute there. Names that start
    with '_' are the proxy's own (its token, its authkey), as in `multiprocessing`."""

    _exposed_ = ("__getattribute__", "__setattr__", "__delattr__")

    def __getattr__(self, name: str):
        if name.startswith("_"):
            return object.__getattribute__(self, name)
        return self._callmethod("__getattribute__", (name,))

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            return object.__setattr__(self, name, value)
        self._callmethod("__setattr__", (name, value))

    def __delattr__(self, name: str) -> None:
        if name.startswith("_"):
            return object.__delattr__(self, name)
        self._callmethod("__delattr__", (name,))


class AcquirerProxy(BaseProxy):
    """A Lock, RLock, Semaphore or BoundedSemaphore in the manager's process (threading's): the
    acquire() waits there. An RLock is owned by one thread of one client, as its connection is."""

    _exposed_ = ("acquire", "release")

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        return self._callmethod("acquire", (blocking,) if timeout is None else (blocking, timeout))

    def release(self) -> None:
        return self._callmethod("release")

    def __enter__(self) -> bool:
        return self._callmethod("acquire")

    def __exit__(self, *exc_info) -> None:
        return self._callmethod("release")


class ConditionProxy(AcquirerProxy):
    """A threading.Condition in the manager's process; `wait_for` tests its predicate here."""

    _exposed_ = ("acquire", "release", "wait", "notify", "notify_all")
    wait, notify, notify_all = forward("wait"), forward("notify"), forward("notify_all")

    def wait_for(self, predicate, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (result := predicate()):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            self.wait(remaining)
        return result


class EventProxy(BaseProxy):
    """A threading.Event in the manager's process."""

    _exposed_ = ("is_set", "set", "clear", "wait")
    is_set, set, clear, wait = forward("is_set"), forward("set"), forward("clear"), forward("wait")


class BarrierProxy(BaseProxy):
    """A threading.Barrier in the manager's process."""

    _exposed_ = ("__getattribute__", "wait", "abort", "reset")
    wait, abort, reset = forward("wait"), forward("abort"), forward("reset")
    parties = property(lambda self: self._callmethod("__getattribute__", ("parties",)))
    n_waiting = property(lambda self: self._callmethod("__getattribute__", ("n_waiting",)))
    broken = property(lambda self: self._callmethod("__getattribute__", ("broken",)))


# -- SyncManager ---------------------------------------------------------------------------------


class SyncManager(BaseManager):
    """The manager `minimp.Manager()` starts: containers, queues and threading's locks, shared."""


SyncManager.register("dict", dict, DictProxy)
SyncManager.register("list", list, ListProxy)
SyncManager.register("Namespace", Namespace, NamespaceProxy)
SyncManager.register("Value", Value, ValueProxy)
SyncManager.register("Array", Array, ArrayProxy)
SyncManager.register("Queue", queue.Queue)  # AutoProxy: put, get, qsize, ... as queue.Queue has them
SyncManager.register("JoinableQueue", queue.Queue)  # which has task_done() and join() too
SyncManager.register("Lock", threading.Lock, AcquirerProxy)
SyncManager.register("RLock", threading.RLock, AcquirerProxy)
SyncManager.register("Semaphore", threading.Semaphore, AcquirerProxy)
SyncManager.register("BoundedSemaphore", threading.BoundedSemaphore, AcquirerProxy)
SyncManager.register("Event", threading.Event, EventProxy)
SyncManager.register("Condition", threading.Condition, ConditionProxy)
SyncManager.register("Barrier", threading.Barrier, BarrierProxy)
SyncManager.register("Iterator", proxytype=IteratorProxy, create_method=False)  # what a dict's __iter__ returns


def Manager() -> SyncManager:  # noqa: N802 - the name mirrors multiprocessing
    """A started SyncManager, as `multiprocessing.Manager()` returns: use it in a `with` block, or shutdown() it."""
    manager = SyncManager()
    manager.start()
    return manager
