"""Test configuration for the notebooks (nbval).

Two things differ from nbval's defaults.

The kernel runs in Binder's environment. `make test` builds that
environment from binder/requirements.txt and names its Python in
MINIMP_KERNEL_PYTHON; every chapter then runs with exactly the packages a
workshop gets on Binder. Without the variable, the kernel runs in the
environment pytest runs in (nbval's --nbval-current-env).

The kernel starts without PYTEST_CURRENT_TEST. ipykernel forwards what child
processes write to its stdout and stderr into the notebook, except when it
finds that variable in its environment: then it assumes pytest captures that
output, and forwards nothing. nbval starts its kernel from inside a test, so
the kernel would inherit the variable, and output that JupyterLab shows (and
the stored notebooks hold) would be missing under test. Start nbval's kernel
without it, as JupyterLab would.
"""

import os

import nbval.kernel
import pytest

KERNEL_PYTHON = os.environ.get("MINIMP_KERNEL_PYTHON")
if KERNEL_PYTHON and not os.access(KERNEL_PYTHON, os.X_OK):
    raise pytest.UsageError(f"MINIMP_KERNEL_PYTHON={KERNEL_PYTHON}: no Python there (make test builds it)")


class _KernelSpecs(nbval.kernel.NbvalKernelspecManager):
    """nbval's kernel, started with MINIMP_KERNEL_PYTHON when that is set."""

    def get_kernel_spec(self, kernel_name):
        spec = super().get_kernel_spec(kernel_name)
        if KERNEL_PYTHON:
            spec.argv = [KERNEL_PYTHON, *spec.argv[1:]]
        return spec


nbval.kernel.NbvalKernelspecManager = _KernelSpecs
_start_new_kernel = nbval.kernel.start_new_kernel


def _start_kernel_as_jupyterlab_would(*args, **kwargs):
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}
    return _start_new_kernel(*args, env=env, **kwargs)


nbval.kernel.start_new_kernel = _start_kernel_as_jupyterlab_would
