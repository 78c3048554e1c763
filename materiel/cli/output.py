"""Where the command line prints: Rich consoles for stdout and stderr.

Piped or redirected output is laid out 120 columns wide rather than Rich's default of 80, so
tables written to files keep whole ids and dates.
"""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(width=None if sys.stdout.isatty() else 120)
errors = Console(stderr=True)
