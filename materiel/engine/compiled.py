"""Keeping numba's on-disk cache honest about the engine's sources.

numba checks a cached function against the file it is defined in, but the kernel compiles in the
flows and constants of other modules (engine/mechanisms/, engine/variables.py …): edit one of those
and numba would load stale machine code (at worst reading past a chunk's arrays). `refresh` forgets
a function's cached code whenever any source of the engine changed since it was cached.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ENGINE = Path(__file__).resolve().parent


def sources_digest() -> str:
    """A digest of every Python source of the engine package."""
    h = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*.py")):
        h.update(path.relative_to(ENGINE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def refresh(dispatcher) -> None:
    """Drop `dispatcher`'s cached code (numba's own cache, `cache=True`) unless it was compiled from
    the engine's present sources, and note the sources it will be compiled from."""
    cache = getattr(dispatcher, "_cache", None)  # numba's cache of this function (not a public API)
    if cache is None:  # NUMBA_DISABLE_JIT: plain Python, nothing cached
        return
    stamp = Path(cache._cache_path) / f"{dispatcher.py_func.__qualname__}.materiel-sources"
    digest = sources_digest()
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    cache.flush()
    try:
        stamp.write_text(digest)
    except OSError:  # a read-only cache: numba will not save there either
        pass
