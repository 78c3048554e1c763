"""Run the engine benchmarks (the same code as `materiel bench`): python bench/bench_engine.py [--max-runs N] [--json FILE]."""

from materiel.cli import main

if __name__ == "__main__":
    import sys

    main(["bench", *sys.argv[1:]])
