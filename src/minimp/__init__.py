"""minimp: multiprocessing you can read.

A small re-implementation of the core of Python's `multiprocessing`, written
to be read, whose public names mirror the standard library's: `import minimp
as multiprocessing` works for everything in `__all__`. Each idea has its own
module; start with `process.py` and follow the "Read next" line at the
bottom of each module's docstring.

Every spawned child imports this package before it runs anything, so
importing it must cost little. The names below are therefore looked up
lazily (PEP 562): `minimp.Queue` imports queues.py the first time it is
used, and a child pays only for the modules its process really needs.
"""

import importlib

__version__ = "0.1.0"

# Each public name, and the module (in this package) that defines it.
_where = {
    "Process": "runtime.process", "current_process": "runtime.process", "parent_process": "runtime.process",
    "active_children": "runtime.process", "get_context": "pools.context", "get_start_method": "runtime.start",
    "set_start_method": "runtime.start", "get_all_start_methods": "runtime.start", "set_executable": "runtime.start",
    "set_forkserver_preload": "runtime.forkserver",
    "Pipe": "runtime.connection", "connection": "runtime.connection",
    "Queue": "runtime.queues", "JoinableQueue": "runtime.joinable", "SimpleQueue": "runtime.joinable",
    "Lock": "runtime.synchronize", "RLock": "runtime.synchronize", "Semaphore": "runtime.synchronize",
    "BoundedSemaphore": "runtime.synchronize", "Event": "runtime.conditions", "Condition": "runtime.conditions",
    "Barrier": "runtime.barrier", "Manager": "runtime.managers", "managers": "runtime.managers",
    "Value": "runtime.sharedctypes", "Array": "runtime.sharedctypes", "RawValue": "runtime.sharedctypes",
    "RawArray": "runtime.sharedctypes", "cpu_count": "runtime.cpus",
    "get_logger": "runtime.logs", "log_to_stderr": "runtime.logs", "SUBDEBUG": "runtime.logs", "SUBWARNING": "runtime.logs",
    "Pool": "pools.pool", "ProcessPoolExecutor": "pools.futures", "trace": "tracing", "traced": "tracing", "mark": "pools.marks",
    "live_timeline": "views.widgets.timeline", "widgets": "views.widgets",
    "ProcessError": "runtime.errors", "BufferTooShort": "runtime.errors", "TimeoutError": "runtime.errors",
    "AuthenticationError": "runtime.errors", "RemoteTraceback": "runtime.errors", "TaskExitError": "runtime.errors",
    "ManagerGoneError": "runtime.errors", "LockOwnerDiedError": "runtime.errors",
    "WorkerDiedError": "runtime.errors", "WorkerStartError": "runtime.errors", "PoolTerminatedError": "runtime.errors",
    "CallCancelledError": "runtime.errors", "MinimpExtraWarning": "runtime.extras",
}  # fmt: skip

__all__ = [*_where, "freeze_support"]


def __getattr__(name: str):
    """Import the module behind `name` on first use (Python calls this for missing names)."""
    if name not in _where:
        raise AttributeError(f"module 'minimp' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_where[name]}")
    if name == "ProcessPoolExecutor":  # not in multiprocessing: warn once (runtime/extras.py)
        importlib.import_module(f"{__name__}.runtime.extras").warn_extra("minimp.ProcessPoolExecutor")
    value = module if _where[name].endswith("." + name) else getattr(module, name)
    globals()[name] = value  # found: later lookups no longer come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def freeze_support() -> None:
    """Does nothing, as in `multiprocessing` everywhere but frozen Windows programs."""
