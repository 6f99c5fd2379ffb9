"""Runs inside the student's kernel: one probe of a hidden test, its result shown as plain data.

The sandboxed runner executes `answer(REQUEST)` as a cell after the notebook. REQUEST is the JSON
the trusted side sent: `{"source": ..., "function": ..., "args": <encoded list>}`, where `source`
defines the probe (and the test's fixtures it uses) and the arguments name the student's globals
(`{"$": "name", ...}`, looked up as otter does: a missing name is None). The reply is displayed as
one output of MIME type `MIME`: `{"value": <encoded>}`, or `{"raised": {"type", "message"}}` when
the student's code (or the probe) raised. Everything here runs in the student's process, so the
trusted side treats the reply as untrusted data and computes every verdict itself.
"""

MIME = "application/x-hw3-probe+json"
MAX_MESSAGE_CHARS = 2000


def answer(request_json: str) -> None:
    """Run one probe in a fresh namespace beside the notebook's globals and display its reply."""
    import builtins
    import json

    from IPython import get_ipython
    from IPython.display import display

    from hw3.grading.auto import codec

    try:
        request = json.loads(request_json)
        namespace = {"__builtins__": builtins, "__name__": "hw3_probe"}
        exec(compile(request["source"], "<hidden test probe>", "exec"), namespace)
        args = codec.decode(request["args"], names=get_ipython().user_ns)
        reply = {"value": codec.encode(namespace[request["function"]](*args))}
    except BaseException as err:  # noqa: BLE001 - whatever the student's code raises is the reply
        reply = {"raised": {"type": type(err).__name__, "message": str(err)[:MAX_MESSAGE_CHARS]}}
    display({MIME: json.dumps(reply, allow_nan=False)}, raw=True)
