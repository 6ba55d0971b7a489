"""minimp: multiprocessing you can read.

A small re-implementation of the core of Python's `multiprocessing`, written
to be read. Its public names mirror the standard library's, so

    import minimp as multiprocessing

works for everything listed in `__all__`. Each idea has its own module;
start with `process.py` and follow the "Read next" line at the bottom of
each module's docstring.

Every spawned child imports this package before it runs anything, so
importing it must cost little. The names below are therefore looked up
lazily (PEP 562): `minimp.Queue` imports queues.py the first time it is
used, and a child pays only for the modules its process really needs.
"""

import importlib

__version__ = "0.1.0"

# Each public name, and the module (in this package) that defines it.
_where = {
    "Process": "process", "current_process": "process",
    "parent_process": "process", "active_children": "process",
    "get_context": "context", "get_start_method": "start",
    "set_start_method": "start", "get_all_start_methods": "start",
    "Pipe": "connection", "connection": "connection",
    "Queue": "queues", "JoinableQueue": "queues", "SimpleQueue": "queues",
    "Lock": "synchronize", "RLock": "synchronize", "Semaphore": "synchronize",
    "BoundedSemaphore": "synchronize", "Event": "synchronize",
    "Condition": "synchronize",
    "Value": "sharedctypes", "Array": "sharedctypes",
    "RawValue": "sharedctypes", "RawArray": "sharedctypes",
    "cpu_count": "cpus",
    "Pool": "pool", "ProcessPoolExecutor": "futures",
    "trace": "tracing", "traced": "tracing",
    "live_timeline": "widgets.timeline", "widgets": "widgets",
    "ProcessError": "errors", "BufferTooShort": "errors",
    "TimeoutError": "errors", "AuthenticationError": "errors",
    "RemoteTraceback": "errors", "TaskExitError": "errors", "WorkerDiedError": "errors",
    "WorkerStartError": "errors", "PoolTerminatedError": "errors",
}  # fmt: skip

__all__ = [*_where, "freeze_support"]


def __getattr__(name: str):
    """Import the module behind `name` on first use (Python calls this for missing names)."""
    if name not in _where:
        raise AttributeError(f"module 'minimp' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_where[name]}")
    value = module if name == _where[name] else getattr(module, name)
    globals()[name] = value  # found: later lookups no longer come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def freeze_support() -> None:
    """Does nothing, as in `multiprocessing` everywhere but frozen Windows programs."""
