"""Exercises: the checkers that the chapters' notebooks call.

A chapter's exercise is two cells: a stub the learner edits, then a check::

    from minimp.course.exercises import check_terminated_exit_code
    check_terminated_exit_code(terminated_exit_code)

A checker receives the learner's function (or value), runs it, and *prints*
one verdict:

    ✅ Correct — <what the answer shows>
    ❌ Not yet: <what is wrong, and what to try>

It prints rather than raising AssertionError, so that the hint stays in the
notebook next to the stub, and so that nbval, which compares a notebook's
stored outputs with fresh ones, checks the hints as well as the solutions.

The learner's code can be wrong in ways that would spoil the notebook: a
join() on a child that never ends, a child left running, a Pool never
closed. So a checker runs the learner's function in a helper thread and
waits at most `timeout` seconds for it (`run_learner_code`), then
terminates every minimp Pool or ProcessPoolExecutor the function left
running, and stops every child process it left running, with terminate()
and, if that is not enough, kill(). The helper thread carries the cell's
`contextvars` context, so what the function prints still appears in the
cell that called the checker.

Limits: a function stuck in a loop of its own (not waiting for a child)
cannot be stopped from outside; the checker reports it and leaves the
thread running in the background.

Each chapter's checkers live in a module of their own (ch01.py: chapter 1),
in the order the chapter asks for them; what they share is in _base.py,
and what the "predict, then run" checkers share (check a prediction's
shape, compare it with a trace, draw it over the timeline) in predict.py.

Read next: the notebooks; this package is where they come to check.
"""

from .ch00 import *  # noqa: F403
from .ch01 import *  # noqa: F403
from .ch02 import *  # noqa: F403
from .ch03 import *  # noqa: F403
from .ch04 import *  # noqa: F403
from .ch05 import *  # noqa: F403
from .ch06 import *  # noqa: F403
from .ch07 import *  # noqa: F403
from .ch08 import *  # noqa: F403
from .ch09 import *  # noqa: F403
from .ch10 import *  # noqa: F403
# A new chapter adds one line above: from .chNN import *  # noqa: F403

__all__ = sorted(name for name in dir() if name.startswith("check_"))
