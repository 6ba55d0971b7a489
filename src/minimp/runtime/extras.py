"""Extras: what minimp runs that the standard library would refuse, and the warning it gives.

`import minimp as multiprocessing` runs code written for the standard library.
The other direction does not hold: minimp also accepts a few names the
standard library lacks, most of them the ones a well-known primer imagines
(`pool.submit`, `AsyncResult.id`, `multiprocessing.ProcessPoolExecutor`).
Code that practises them breaks on the standard library with AttributeError
or TypeError. So the first use of each extra warns, once per extra, naming
the portable spelling, at the learner's line (the first frame outside
minimp's package, however deep inside minimp the extra is noticed):

    MinimpExtraWarning: Pool.submit() is minimp's: multiprocessing.Pool has no
    submit() (AttributeError). Portable: pool.apply_async(f, args).get(), ...

A chapter (or program) that uses extras on purpose turns them off in one line:

    warnings.simplefilter("ignore", minimp.MinimpExtraWarning)

What warns, and what does not (the rule: warn where the standard library
has another spelling for the same thing; stay silent where the name *is*
minimp's feature, so that no code could mistake it for portable):

- warned: `minimp.ProcessPoolExecutor`, `Pool.submit()`, the `id` of a
  result, a future or an imap iterator, `progress=` on any map, and
  `buffersize=` on `Pool.imap`/`imap_unordered` (the standard library's
  arrives in Python 3.16);
- silent, minimp's own features: `trace`, `traced`, `live_timeline`,
  `widgets`, `mark`, `Pool.stacks()` (the course's instruments: nothing in the
  standard library looks like them); the errors minimp raises where the standard library hangs or
  says less (`WorkerDiedError`, `CallCancelledError`, ...: there is no
  portable spelling of an error that does not happen there); `Lock.get_value()`
  (chapter 4's look at the token inside minimp's lock, a semaphore of one);
- silent, because Python 3.14's standard library has them: `Process.interrupt()`,
  the executor's `terminate_workers()`, `kill_workers()` and `map(buffersize=)`.

Limits: "once" is once per process and per extra, whatever the warnings
filters say (a filtered-out first use still counts); minimp's own uses of an
extra's attribute do not warn.

Read next: `runtime/cpus.py`, how many workers a pool should start.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["MinimpExtraWarning", "warn_extra", "ExtraAttribute", "EXTRAS"]


class MinimpExtraWarning(UserWarning):
    """minimp ran a name that the standard library's `multiprocessing` lacks."""


# Each extra: what the standard library does with it, and the portable spelling.
EXTRAS = {
    "minimp.ProcessPoolExecutor": (
        "multiprocessing has no ProcessPoolExecutor (AttributeError)",
        "from concurrent.futures import ProcessPoolExecutor"),
    "Pool.submit()": (
        "multiprocessing.Pool has no submit() (AttributeError)",
        "pool.apply_async(f, args), whose get() waits for the result; or submit() "
        "on a concurrent.futures.ProcessPoolExecutor"),
    "AsyncResult.id": (
        "the standard library's AsyncResult has no id (AttributeError)",
        "keep your own label beside each result, e.g. {result: item}"),
    "Future.id": (
        "a concurrent.futures Future has no id (AttributeError)",
        "keep your own label beside each future, e.g. {future: item}"),
    "imap iterator .id": (
        "the standard library's imap iterator has no id (AttributeError)",
        "keep your own label beside the iterator"),
    "progress=": (
        "the standard library's maps take no progress= (TypeError)",
        "tqdm.tqdm(pool.imap(f, items), total=len(items))"),
    "Pool.imap(buffersize=)": (
        "multiprocessing.Pool.imap takes no buffersize= before Python 3.16 (TypeError)",
        "feed imap slices of the iterable (itertools.islice), or ProcessPoolExecutor.map(buffersize=) on 3.14+"),
}

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # .../minimp/
_warned: set[str] = set()  # the extras that have warned in this process


def warn_extra(name: str) -> None:
    """Warn, the first time only, that extra `name` (a key of EXTRAS) was used, at the learner's line."""
    if name in _warned:
        return
    _warned.add(name)
    refused, portable = EXTRAS[name]
    warnings.warn(f"{name} is minimp's: {refused}. Portable: {portable}", MinimpExtraWarning,
                  stacklevel=_learners_level())


def _learners_level() -> int:
    """The stacklevel, seen from warn_extra's call of warnings.warn, of the first frame outside minimp."""
    level, frame = 2, sys._getframe(2)  # 1 is warn_extra, 2 its caller (inside minimp)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    return level


class ExtraAttribute:
    """An instance attribute that warns (warn_extra) when code outside minimp reads it.

    Its value lives in the instance's `__dict__`, where `self.id = id` puts it;
    minimp's own reads (a repr, a wait) stay silent."""

    def __init__(self, extra: str):
        self._extra = extra

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if not sys._getframe(1).f_code.co_filename.startswith(_PACKAGE):
            warn_extra(self._extra)
        try:
            return instance.__dict__[self._name]
        except KeyError:
            raise AttributeError(self._name) from None

    def __set__(self, instance, value) -> None:
        instance.__dict__[self._name] = value
