"""Where the command line prints: Rich consoles for stdout and stderr.

Piped or redirected output is laid out 120 columns wide rather than Rich's default of 80, so
tables written to files keep whole ids and dates.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console(width=None if sys.stdout.isatty() else 120)
errors = Console(stderr=True)


class progress_bar:
    """A progress bar on stderr that appears only once a job has taken more than a second."""

    DELAY = 1.0

    def __init__(self, quiet: bool):
        self.quiet, self.bar, self.task, self.began = quiet, None, None, time.monotonic()

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.quiet or not errors.is_terminal:
            return
        if self.bar is None and time.monotonic() - self.began > self.DELAY and done < total:
            self.bar = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                console=errors, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("runs", total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
