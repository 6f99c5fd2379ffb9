"""Plain data across the sandbox wall: values as JSON, arrays as raw bytes with dtype and shape.

What a hidden test's probe returns from the student's kernel travels to the trusted side in this
form, and so do the arguments the trusted side sends in. Nothing here ever unpickles, imports or
calls what it reads: decoding builds only `None`, `bool`, `int`, `float`, `str`, `list`, `tuple`,
`dict`, numpy arrays and torch tensors (from their raw bytes), and refuses anything else, anything
too large and anything nested too deep. The kernel side imports this module too, so it needs only
the standard library (numpy and torch are imported when an array is met).

An encoded value is JSON: scalars and strings as themselves, lists as arrays, and every JSON object
a tagged node `{"$": tag, ...}`:

    {"$": "tuple", "v": [...]}                  {"$": "dict", "v": [[key, value], ...]}
    {"$": "float", "v": "nan" | "inf" | "-inf"}  {"$": "dtype", "v": "float32"}  (a torch dtype)
    {"$": "tensor" | "ndarray", "dtype": "float32", "shape": [2, 3], "data": "<base64 of the bytes>"}
    {"$": "name", "v": "build_vocab"}           (requests only: a global of the student's notebook)
"""

from __future__ import annotations

import base64
import json
import math

MAX_BYTES = 64 * 1024 * 1024  # one encoded message
MAX_DEPTH = 32
MAX_NODES = 2_000_000
MAX_ARRAY_ELEMENTS = 32 * 1024 * 1024
DTYPES = {  # name -> bytes per element; bfloat16 travels as float32 and is cast back
    "bool": 1,
    "uint8": 1,
    "int8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "float16": 2,
    "float32": 4,
    "float64": 8,
    "bfloat16": 4,
}
KEY_TYPES = (str, int, float, bool, type(None), tuple)


class CodecError(ValueError):
    """A value that cannot cross the sandbox wall; the message says what it was."""


class Name:
    """A global of the student's notebook, named in a request and looked up in the kernel."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<the student's {self.name}>"


def dumps(value) -> str:
    """`value` encoded as JSON text; CodecError when it holds anything but plain data."""
    text = json.dumps(encode(value), separators=(",", ":"), allow_nan=False)
    if len(text) > MAX_BYTES:
        raise CodecError(f"the value is {len(text)} bytes encoded, over the {MAX_BYTES} cap")
    return text


def loads(text: str | bytes, names: dict | None = None):
    """The value in JSON `text`; `names` resolves `Name` nodes (absent: looking one up is an error)."""
    if len(text) > MAX_BYTES:
        raise CodecError(f"a message of {len(text)} bytes is over the {MAX_BYTES} cap")
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise CodecError(f"not JSON ({type(err).__name__})") from None
    return decode(tree, names)


def encode(value, depth: int = 0):
    """The JSON-ready tree of `value` (see the module docstring)."""
    if depth > MAX_DEPTH:
        raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Name):
        return {"$": "name", "v": value.name}
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"$": "float", "v": repr(float(value))}
    if isinstance(value, list):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [encode(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {"$": "dict", "v": [[encode_key(k), encode(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        return encode_torch(value, depth)
    if module == "numpy":
        return encode_numpy(value, depth)
    raise CodecError(f"a {type(value).__name__} is not plain data")


def encode_key(key):
    """A dict key: a plain scalar, or a tuple of them."""
    if not isinstance(key, KEY_TYPES):
        raise CodecError(f"a dict key of type {type(key).__name__} is not plain data")
    return encode(key)


def encode_torch(value, depth: int):
    """A tensor as raw bytes, a torch.Size as a tuple, a dtype by name."""
    import torch

    if isinstance(value, torch.Size):
        return encode(tuple(int(n) for n in value), depth)
    if isinstance(value, torch.dtype):
        return {"$": "dtype", "v": str(value).removeprefix("torch.")}
    if not isinstance(value, torch.Tensor):
        raise CodecError(f"a {type(value).__name__} is not plain data")
    dtype = str(value.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise CodecError(f"a tensor of dtype {dtype} cannot be sent")
    tensor = value.detach().to("cpu")
    if dtype == "bfloat16":
        tensor = tensor.float()
    array = tensor.contiguous().numpy()
    return array_node("tensor", dtype, array)


def encode_numpy(value, depth: int):
    """An array as raw bytes; a numpy scalar as the Python scalar it holds."""
    import numpy

    if isinstance(value, numpy.generic):
        return encode(value.item(), depth)
    if not isinstance(value, numpy.ndarray):
        raise CodecError(f"a {type(value).__name__} is not plain data")
    dtype = str(value.dtype)
    if dtype not in DTYPES or dtype == "bfloat16":
        raise CodecError(f"an array of dtype {dtype} cannot be sent")
    return array_node("ndarray", dtype, numpy.ascontiguousarray(value))


def array_node(kind: str, dtype: str, array) -> dict:
    if array.size > MAX_ARRAY_ELEMENTS:
        raise CodecError(f"an array of {array.size} elements is over the {MAX_ARRAY_ELEMENTS} cap")
    data = base64.b64encode(array.astype(array.dtype.newbyteorder("<")).tobytes()).decode("ascii")
    return {"$": kind, "dtype": dtype, "shape": [int(n) for n in array.shape], "data": data}


def decode(tree, names: dict | None = None):
    """The value of an encoded tree, built only from the types the module docstring lists."""
    budget = [MAX_NODES]

    def walk(node, depth: int):
        budget[0] -= 1
        if budget[0] < 0:
            raise CodecError(f"more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [walk(item, depth + 1) for item in node]
        if not isinstance(node, dict):
            raise CodecError(f"unexpected JSON {type(node).__name__}")
        tag = node.get("$")
        if tag == "tuple":
            return tuple(walk(item, depth + 1) for item in checked_list(node.get("v")))
        if tag == "dict":
            pairs = [checked_pair(pair) for pair in checked_list(node.get("v"))]
            return {hashable(walk(k, depth + 1)): walk(v, depth + 1) for k, v in pairs}
        if tag == "float" and node.get("v") in ("nan", "inf", "-inf"):
            return float(node["v"])
        if tag == "dtype":
            return decode_dtype(node.get("v"))
        if tag in ("tensor", "ndarray"):
            return decode_array(node)
        if tag == "name" and isinstance(node.get("v"), str):
            if names is None:
                raise CodecError("a name of the student's notebook cannot be read here")
            return names.get(node["v"])
        raise CodecError(f"unknown node {str(tag)[:40]!r}")

    return walk(tree, 0)


def checked_list(value) -> list:
    if not isinstance(value, list):
        raise CodecError("a tagged node without its list")
    return value


def checked_pair(value) -> list:
    if not isinstance(value, list) or len(value) != 2:
        raise CodecError("a dict entry that is not a [key, value] pair")
    return value


def hashable(key):
    if not isinstance(key, KEY_TYPES):
        raise CodecError(f"a dict key of type {type(key).__name__}")
    return key


def decode_dtype(name):
    import torch

    if name not in DTYPES:
        raise CodecError(f"unknown dtype {str(name)[:40]!r}")
    return getattr(torch, name)


def decode_array(node: dict):
    """A numpy array or torch tensor from its raw little-endian bytes, checked against dtype and shape."""
    import numpy

    dtype, shape, data = node.get("dtype"), node.get("shape"), node.get("data")
    if dtype not in DTYPES or not isinstance(shape, list) or not isinstance(data, str):
        raise CodecError("an array node without a known dtype, a shape and data")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise CodecError("an array shape that is not a list of sizes")
    count = math.prod(shape)
    if count > MAX_ARRAY_ELEMENTS:
        raise CodecError(f"an array of {count} elements is over the {MAX_ARRAY_ELEMENTS} cap")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise CodecError("array data that is not base64") from None
    if len(raw) != count * DTYPES[dtype]:
        raise CodecError("array data whose length does not match its dtype and shape")
    stored = "float32" if dtype == "bfloat16" else dtype
    array = numpy.frombuffer(raw, dtype=numpy.dtype(stored).newbyteorder("<")).reshape(shape)
    array = array.astype(numpy.dtype(stored), copy=True)
    if node["$"] == "ndarray":
        return array
    import torch

    tensor = torch.from_numpy(array)
    return tensor.to(torch.bfloat16) if dtype == "bfloat16" else tensor
