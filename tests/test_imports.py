"""Every module of `hw3` imports on its own, first, in a fresh interpreter: no circular imports, no
module that only works because another one happened to be imported before it."""

import subprocess
import sys
from pathlib import Path

import hw3

PACKAGE_DIR = Path(hw3.__file__).parent

# Each module is imported with every hw3 module forgotten first, as a fresh interpreter would meet it.
IMPORT_EACH_FIRST = """
import importlib, sys
failures = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "hw3" or m.startswith("hw3.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failures.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__main__":  # runs the command line when imported
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(("hw3",) + parts))
    return names


def test_every_module_imports_first_in_a_fresh_interpreter():
    names = module_names()
    assert len(names) > 50, f"found only {len(names)} modules under {PACKAGE_DIR}"
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_FIRST, *names], capture_output=True, text=True
    )
    assert done.returncode == 0, (
        f"modules that fail to import on their own:\n{done.stdout}{done.stderr[-2000:]}"
    )
