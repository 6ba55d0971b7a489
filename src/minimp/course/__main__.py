"""python -m minimp.course DIR: see command.py."""

import sys

from .command import main

sys.exit(main())
