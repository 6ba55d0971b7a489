"""The observation layer: traces of what pools did (records.py)."""

from .records import *  # noqa: F403
from .records import __all__  # noqa: F401
