"""Test configuration for the notebooks (nbval).

ipykernel forwards what child processes write to its stdout and stderr into
the notebook, except when it finds PYTEST_CURRENT_TEST in its environment:
then it assumes pytest captures that output, and forwards nothing. nbval
starts its kernel from inside a test, so the kernel would inherit that
variable, and output that JupyterLab shows (and the stored notebooks hold)
would be missing under test. Start nbval's kernel without it, as
JupyterLab would.
"""

import os

import nbval.kernel

_start_new_kernel = nbval.kernel.start_new_kernel


def _start_kernel_as_jupyterlab_would(*args, **kwargs):
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}
    return _start_new_kernel(*args, env=env, **kwargs)


nbval.kernel.start_new_kernel = _start_kernel_as_jupyterlab_would
