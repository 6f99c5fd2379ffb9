"""`hw3 bench NAME`: time a reference notebook and report its metrics (see tools/bench_<name>.py)."""
import importlib
import sys

BENCHMARKS = ("hafez", "apple_stock")


def main(argv=None) -> int:
    argv = list(argv or [])
    if not argv or argv[0] not in BENCHMARKS:
        print(f"usage: hw3 bench {{{','.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(f"tools.bench_{argv[0]}").main(argv[1:]) or 0
