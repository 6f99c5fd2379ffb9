"""One error root and one exit-code policy for every verb.

| exit | meaning |
| --- | --- |
| 0 | done |
| 1 | done, with findings: an invalid or ungraded submission, a failed calibration gate, a rule broken |
| 2 | usage or setup error: a bad option or path, a missing release or tool; nothing was done |
| 130 | interrupted (Ctrl-C) |

A verb's API raises `Hw3Error` (or a subclass) with one line that names the file and the fix;
`run_verb` turns it, and the OSErrors of files the user named, into that line and the exit code.
Standard library only (and Python 3.8 syntax): the students' `submit.py` follows the same policy.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Hw3Error(Exception):
    """A usage or setup problem that stops a verb before it does anything; the message is one line."""

    exit_code = EXIT_USAGE


def run_verb(prog: str, body: Callable[[], int]) -> int:
    """Run a verb's body and map its errors to one line on stderr and the exit code above."""
    try:
        return body()
    except Hw3Error as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(
            f"{prog}: {where}{err.strerror or err}: check the path, its permissions and the free space",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
