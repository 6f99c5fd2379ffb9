"""Tripwires run before the tests: a tampered kernel, or anything but plain data crossing the wall.

Both are checks that no correct solution can pass. The first asks the student's kernel for
comparisons whose answer is plainly False (`torch.allclose` of zeros and ones, ...): a kernel whose
library functions have been patched says True, and a notebook has no honest reason to patch them.
The second compares what a probe sends back with a random nonce drawn here: nothing the kernel can
send decodes to an object equal to a value it never saw, unless the wall lets objects through.
Each tripped canary is named in the result (`tampered(...)` flags); the automatic score of such a
notebook is withheld for review.
"""

from __future__ import annotations

import secrets

from hw3.grading.auto.session import ProbeError, StudentRaised

ENVIRONMENT_PROBE = """
def probe_environment():
    import math
    import operator

    import numpy
    import torch

    zeros, ones = torch.zeros(3), torch.ones(3)
    return {
        "torch.allclose": bool(torch.allclose(zeros, ones)),
        "torch.equal": bool(torch.equal(zeros, ones)),
        "torch.isclose": bool(torch.isclose(zeros, ones).any()),
        "torch.Tensor.__eq__": bool((zeros == ones).any()),
        "numpy.isclose": bool(numpy.isclose(0.0, 1.0)),
        "numpy.allclose": bool(numpy.allclose(0.0, 1.0)),
        "numpy.array_equal": bool(numpy.array_equal([0.0], [1.0])),
        "math.isclose": bool(math.isclose(0.0, 1.0)),
        "operator.eq": bool(operator.eq(0, 1)),
        "bool": bool(0),
        "isinstance": isinstance(0, str),
    }
"""
ECHO_PROBE = """
def probe_echo():
    return "hw3 canary"
"""


def run(remote) -> list[str]:
    """The names of the canaries that tripped; `remote(function, source)` makes a probe (harness.Session)."""
    tripped = []
    try:
        answers = remote("probe_environment", ENVIRONMENT_PROBE)()
        if not isinstance(answers, dict):
            tripped.append("environment")
        else:
            tripped += sorted(
                str(name)[:40] for name, value in answers.items() if value is not False
            )
        nonce = secrets.token_hex(16)
        if remote("probe_echo", ECHO_PROBE)() == nonce:
            tripped.append("plain-data")
    except (
        ProbeError
    ) as err:  # a kernel that is gone or raises here: the tests will fail on their own
        if isinstance(err, StudentRaised):
            tripped.append("environment")
    return tripped
