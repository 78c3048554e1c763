"""Shared test helpers: running the command line in a subprocess, finding ../shared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The project's ../shared folder (or $MATERIEL_SHARED)."""
    return Path(os.environ.get("MATERIEL_SHARED", ROOT.parent / "shared"))


def shared_data() -> Path:
    """The public data copies in ../shared/data; skips the test, saying where it looked, if absent."""
    data = shared_dir() / "data"
    if not ((data / "petroivaniuk").is_dir() and (data / "oryx_mauforonda").is_dir()):
        pytest.skip(f"the shared data copies are not at {data} (set MATERIEL_SHARED to the shared folder)")
    return data


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m materiel ARGS` as a user would; returns the completed process."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "materiel", *args], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
