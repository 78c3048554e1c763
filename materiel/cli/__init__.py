"""The `materiel` command line: thin wiring of scenario → engine → analysis → report.

Bad input (an `InputError`) prints one line per problem and exits with status 2; Ctrl-C
exits with status 130. Each command group lives in its own module of this package.
"""

from __future__ import annotations

import signal
import sys

import typer

from materiel.errors import InputError

INTERRUPTED = 130  # the exit status of a command stopped by Ctrl-C or SIGTERM

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Model a country's wartime defense industry against what the front loses and consumes.")


def _version(asked: bool) -> None:
    if asked:
        from materiel.version import __version__

        typer.echo(f"materiel {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="Print materiel's version and exit.")) -> None:
    """Model a country's wartime defense industry against what the front loses and consumes."""


from materiel.cli import core, runs  # noqa: E402,F401  (registers commands on `app`)
from materiel.cli import sources  # noqa: E402,F401  (registers `materiel sources`)
from materiel.cli import interop  # noqa: E402,F401  (registers `materiel export`)
from materiel.cli import calibrate  # noqa: E402,F401  (registers `materiel calibrate` and `backtest`)
from materiel.cli import bench  # noqa: E402,F401  (registers `materiel bench`)
from materiel.cli import whatif  # noqa: E402,F401  (registers `materiel compare`, `scenarios copy` and `diff`)
from materiel.cli import ingest  # noqa: E402,F401  (registers `materiel ingest`)
from materiel.cli import sensitivity  # noqa: E402,F401  (registers `materiel sensitivity` and `discover`)
from materiel.cli import serve  # noqa: E402,F401  (registers `materiel serve`)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `materiel` command."""
    signal.signal(signal.SIGTERM, _terminate)
    if not (sys.argv[1:] if argv is None else argv):  # bare `materiel`: the help, and success
        argv = ["--help"]
    try:
        code = app(args=argv, prog_name="materiel", standalone_mode=False)
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument …
        exc.show()
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        _interrupted()
    if code == INTERRUPTED:  # Typer turns Ctrl-C inside a command into this exit code
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted() -> None:
    """Ctrl-C or SIGTERM: a run is recorded whole or not at all, so nothing was."""
    print("interrupted — nothing recorded", file=sys.stderr)
    sys.exit(INTERRUPTED)


def _terminate(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so open files and the registry are closed properly."""
    raise KeyboardInterrupt
