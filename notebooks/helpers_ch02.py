"""Functions for chapter 2 (How a process starts) that a spawned child can import.

The standard library's spawn start method sends a function *by name*: the
pickle says "the function `power` of the module `helpers_ch02`", and the new
interpreter imports this file to find it. A function defined in a notebook
cell has no file to import, so under spawn the standard library cannot send
it; a function defined here, it can.

This file sits next to the notebooks, in the kernel's working directory: the
notebook imports it with `import helpers_ch02`, and a spawned child, which
receives the parent's `sys.path` and working directory, finds it the same way.
"""


def power(x, exp):
    """x to the power exp."""
    return x**exp


def square(x):
    """x times x."""
    return x * x

