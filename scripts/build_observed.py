"""Write the observed series that ship inside materiel (materiel/observe/builtin/).

Reads the public copies in a data folder (General Staff: `petroivaniuk/`, Oryx's change log:
`oryx_mauforonda/`) with materiel's own loaders and writes each as a compact daily cumulative
table (gzipped CSV: date, then one integer column per field), cut at the built-in scenarios'
knowledge horizon. `materiel.observe.load_builtin` reads them back as the loaders return them.

Usage:  python scripts/build_observed.py [--data DIR]   (default: $MATERIEL_DATA, else ../shared/data)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd

from materiel.observe import BUILTIN_FOLDERS, BUILTIN_UNTIL, builtin_path, load_observed

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("MATERIEL_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the public data copies")
    args = parser.parse_args()
    for kind, folder in BUILTIN_FOLDERS.items():
        frame = load_observed(args.data / folder)
        frame = frame.loc[: pd.Timestamp(BUILTIN_UNTIL)].round().astype("Int64")
        target = builtin_path(kind)
        frame.to_csv(target, index_label="date", compression={"method": "gzip", "mtime": 0})
        print(f"{target.relative_to(ROOT)}: {len(frame)} days × {frame.shape[1]} fields, "
              f"{frame.index.min().date()} to {frame.index.max().date()}, {target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
