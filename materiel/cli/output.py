"""Where the command line prints: Rich consoles for stdout and stderr.

Piped or redirected output is laid out 120 columns wide rather than Rich's default of 80, so
tables written to files keep whole ids and dates. Neither reads Rich markup or highlights: names
from scenarios and registries are printed as written (a scenario named `[/]` is just that).
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

console = Console(width=None if sys.stdout.isatty() else 120, markup=False, highlight=False)
errors = Console(stderr=True, markup=False, highlight=False)


COMPILING = "compiling the engine once (about half a minute; later runs load it from the cache)"


class progress_bar:
    """A progress bar on stderr that appears only once a job has taken more than a second; before
    it, while the engine is compiled (first run after an install or upgrade), a spinner says so."""

    DELAY = 1.0

    def __init__(self, quiet: bool):
        self.quiet, self.bar, self.task, self.began = quiet, None, None, time.monotonic()
        self.spinner = None

    def __enter__(self):
        if self.quiet:
            return self.update
        from materiel.engine.kernel import compiled_on_disk

        if not compiled_on_disk():
            if errors.is_terminal:
                self.spinner = Progress(SpinnerColumn(), TextColumn(COMPILING), console=errors, transient=True)
                self.spinner.start()
            else:
                errors.print(COMPILING)
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.spinner is not None:
            self.spinner.stop()
            self.spinner = None
        if self.quiet or not errors.is_terminal:
            return
        if self.bar is None and time.monotonic() - self.began > self.DELAY and done < total:
            self.bar = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                console=errors, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("runs", total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)  # a command may run several ensembles

    def __exit__(self, *exc):
        if self.spinner is not None:
            self.spinner.stop()
        if self.bar is not None:
            self.bar.stop()
        return False
