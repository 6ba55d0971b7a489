"""Functions for chapter 3 (Pipes and queues) that a spawned child can import.

The standard library's spawn start method sends a function *by name*, and a
function defined in a notebook cell has no file to import: the chapter's
standard-library children run the functions of this file instead. (minimp's
children get notebook functions by value, so the chapter's minimp examples
define theirs in the notebook.)

This file sits next to the notebooks, in the kernel's working directory, where
a spawned child, which receives the parent's `sys.path` and working directory,
finds it.
"""


def worker(q):
    """The primer's worker, exactly as the primer writes it."""
    q.put("Worker has finished")


def put_big(q, size):
    """Put one message of `size` bytes on the queue `q`, then return: the child is done."""
    q.put(b"x" * size)
