"""Plain data across the sandbox wall: what round-trips, and what is refused on either side."""

import base64
import json
import math

import numpy as np
import pytest
import torch

from hw3.grading.auto import codec


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -3,
        2.5,
        "شیر\n",
        [1, [2, (3, "x")]],
        {"a": 1, 2: [3.0], (1, "b"): None},
        math.inf,
        torch.arange(6, dtype=torch.int64).reshape(2, 3),
        torch.randn(3, 4, dtype=torch.float64),
        torch.tensor([True, False]),
        np.linspace(0, 1, 5, dtype=np.float32),
        torch.Size([2, 3]),
        torch.long,
    ],
)
def test_plain_values_round_trip_with_their_types(value):
    back = codec.loads(codec.dumps(value))
    if isinstance(value, torch.Tensor):
        assert (
            isinstance(back, torch.Tensor)
            and back.dtype == value.dtype
            and torch.equal(back, value)
        )
    elif isinstance(value, np.ndarray):
        assert (
            isinstance(back, np.ndarray)
            and back.dtype == value.dtype
            and np.array_equal(back, value)
        )
    elif isinstance(value, torch.Size):
        assert back == tuple(value)
    else:
        assert back == value and type(back) is type(value)


def test_a_nan_and_a_bfloat16_tensor_survive():
    assert math.isnan(codec.loads(codec.dumps(float("nan"))))
    value = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    back = codec.loads(codec.dumps(value))
    assert back.dtype == torch.bfloat16 and torch.equal(back, value)


def test_a_tensor_that_needs_grad_comes_back_detached():
    back = codec.loads(codec.dumps(torch.ones(2, requires_grad=True) * 2))
    assert not back.requires_grad and back.tolist() == [2.0, 2.0]


class Anything:
    """What a forger would like to send: equal to whatever it is compared with."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


@pytest.mark.parametrize(
    "value",
    [Anything(), torch.nn.Linear(2, 2), [1, Anything()], {"k": torch.Generator()}, {Anything(): 1}],
)
def test_objects_that_are_not_plain_data_are_refused_when_sent(value):
    with pytest.raises(codec.CodecError):
        codec.dumps(value)


@pytest.mark.parametrize(
    "tree, why",
    [
        ({"$": "pickle", "v": "gASVAAAA"}, "unknown node"),
        ({"$": "tensor", "dtype": "object", "shape": [1], "data": ""}, "dtype"),
        (
            {
                "$": "tensor",
                "dtype": "float32",
                "shape": [4],
                "data": base64.b64encode(b"\0" * 8).decode(),
            },
            "length",
        ),
        ({"$": "tensor", "dtype": "float32", "shape": [2**20, 2**20], "data": ""}, "cap"),
        ({"$": "ndarray", "dtype": "int64", "shape": [-1], "data": ""}, "shape"),
        ({"$": "dict", "v": [[[1, 2], 3]]}, "key"),
        ({"$": "name", "v": "build_vocab"}, "cannot be read here"),
        ({"a": 1}, "unknown node"),
    ],
)
def test_what_the_sandbox_sends_is_decoded_only_into_plain_types(tree, why):
    with pytest.raises(codec.CodecError, match=why):
        codec.loads(json.dumps(tree))


def test_deep_nesting_and_huge_messages_are_refused():
    deep = "[" * (codec.MAX_DEPTH + 5) + "]" * (codec.MAX_DEPTH + 5)
    with pytest.raises(codec.CodecError):
        codec.loads(deep)
    with pytest.raises(codec.CodecError, match="cap"):
        codec.loads(" " * (codec.MAX_BYTES + 1))


def test_names_resolve_in_the_namespace_given_and_missing_ones_are_none():
    tree = codec.encode([codec.Name("double"), codec.Name("missing")])
    assert codec.decode(tree, names={"double": print}) == [print, None]
