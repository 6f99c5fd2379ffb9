"""Command line of `hw3 bench`.

hw3 bench [--repo DIR] NAME [OPTIONS...] [--out FILE]

NAME is an assignment whose `reference/<name>/assignment.toml` names a bench (`bench = "module"`): a
module with `add_arguments(parser)`, `run(repo=, args=) -> dict` and
`table(report) -> str`, whose docstring's first line describes it. `hw3 bench NAME --help` lists
its options.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from types import ModuleType

from hw3.common.atomic import write_atomic
from hw3.errors import EXIT_OK, Hw3Error, run_verb
from hw3.project import find_repository
from hw3.registry import Declaration

RESULTS_DIR = Path("bench-results")  # under the repository, not committed
HOOK = ("add_arguments", "run", "table")  # what a bench module provides


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="hw3 bench",
        description="Time the reference notebooks and report their metrics against baselines.",
        epilog="Each benchmark prints its numbers as it goes and writes them as JSON to --out "
        "(default: REPO/bench-results/<name>.json). `hw3 bench NAME --help` lists a benchmark's "
        "options. Exit 0 done, 1 a notebook or otter run failed, 2 usage error.",
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    parser.add_argument(
        "name",
        metavar="NAME",
        help="an assignment whose reference/NAME/assignment.toml names a bench",
    )
    parser.add_argument("options", nargs=argparse.REMAINDER, help="the benchmark's own options")
    return parser.parse_args(argv)


def bench_hook(declaration: Declaration) -> ModuleType:
    """The module the declaration's `bench` names; Hw3Error naming the file when it has none or is not one."""
    if not declaration.bench:
        raise Hw3Error(
            f'{declaration.file}: {declaration.name} declares no bench: add bench = "module" to '
            "benchmark it"
        )
    try:
        module = importlib.import_module(declaration.bench)
    except ImportError as err:
        raise Hw3Error(
            f"{declaration.where('bench')} = {declaration.bench!r}: cannot be imported ({err}): "
            "name an installed module"
        ) from None
    missing = [name for name in HOOK if not hasattr(module, name)]
    if missing:
        raise Hw3Error(
            f"{declaration.where('bench')} = {declaration.bench!r}: defines no {missing[0]}: a bench "
            f"module provides {', '.join(HOOK)}"
        )
    return module


def bench_parser(name: str, module: ModuleType) -> argparse.ArgumentParser:
    """`hw3 bench NAME`'s own options: the module's, and --out."""
    parser = argparse.ArgumentParser(
        prog=f"hw3 bench {name}",
        description=module.__doc__.splitlines()[0],
        epilog="Prints the numbers as it goes and a table, and writes them as JSON to --out. Exit 0 "
        "done, 1 a notebook or otter run failed, 2 usage error.",
    )
    module.add_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"JSON report (default: REPO/{RESULTS_DIR}/{name}.json)",
    )
    return parser


def bench_main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> int:
        repo = find_repository(args.repo)
        module = bench_hook(repo.registry()[args.name])
        options = bench_parser(args.name, module).parse_args(args.options)
        report = module.run(repo=repo, args=options)
        print(module.table(report))
        out = (
            options.out
            if options.out is not None
            else repo.root / RESULTS_DIR / f"{args.name}.json"
        )
        write_atomic(out, json.dumps(report, indent=2) + "\n")
        print(f"wrote {out}")
        return EXIT_OK

    return run_verb("hw3 bench", body)
