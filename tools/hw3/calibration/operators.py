"""hw3's cosmic-ray operators: the mistakes students make, beside cosmic-ray's numeric and comparison ones.

cosmic-ray changes one operator, number or keyword at a time. The wrong solutions that get past
graders are of other kinds: an argument left out (the state not passed back into the model,
`generator=`), a result not kept (`logits, _ = model(x, state)`, a counter not reset), an update
forgotten, one of two similar names written for the other, one element where the whole sequence is
meant or the reverse, `round` for `int`, a dtype conversion left out. Each is a cosmic-ray
`Operator` on parso's tree; `OperatorProvider` is registered under the entry point
`cosmic_ray.operator_providers` as `hw3`, so they are `hw3/<Name>` to cosmic-ray as to
`hw3 calibrate --mutate`.

Every operator lists a node's mutations with `choices(node)` and applies one with
`apply(node, choice)`; cosmic-ray walks the tree and applies one occurrence per mutant.
"""

from __future__ import annotations

import parso
from cosmic_ray.operators.operator import Example, Operator
from parso.python import tree

from hw3.calibration.scope import (
    CALLABLE,
    NUMBER,
    FunctionScope,
    Position,
    attribute_siblings,
    function_of,
    is_load,
)

DTYPE_NAMES = {
    "float16", "float32", "float64", "half", "double", "bfloat16",
    "int8", "int16", "int32", "int64", "uint8", "long", "bool_",
}  # fmt: skip
CONVERSION_METHODS = {"astype", "float", "double", "half", "long", "int"}  # x.float() etc.
# arguments that only choose a device: grading runs on the CPU, where leaving them out changes nothing
DEVICE_WORDS = {"device"}


def parsed(code: str, prefix: str):
    """The parso node of one expression or statement `code`, with `prefix` (the whitespace before it)."""
    node = parso.parse(code).children[0]
    node.get_first_leaf().prefix = prefix
    return node


def replace(old, new):
    """Put `new` where `old` stands in its parent, in place, and return it.

    In place, so that the leaves the walk visits after a mutation still find their neighbours.
    """
    siblings = old.parent.children
    siblings[siblings.index(old)] = new
    new.parent = old.parent
    return new


def call_arguments(trailer) -> list:
    """The argument nodes of a call trailer `( ... )`, in order."""
    if len(trailer.children) == 2:
        return []
    inner = trailer.children[1]
    if inner.type == "arglist":
        return [child for child in inner.children if child.type != "operator"]
    return [inner]


def is_call(node) -> bool:
    return node.type == "trailer" and node.children[0] == "("


def is_keyword(argument) -> bool:
    return (
        argument.type == "argument" and len(argument.children) == 3 and argument.children[1] == "="
    )


def keyword_name(argument) -> str | None:
    return argument.children[0].value if is_keyword(argument) else None


def is_positional(argument) -> bool:
    return not is_keyword(argument) and not (
        argument.type == "argument" and argument.children[0] == "**"
    )


def is_dtype(expression) -> bool:
    """`np.float32`, `torch.long`, ...: an attribute naming a dtype."""
    return (
        expression.type == "atom_expr"
        and expression.children[-1].type == "trailer"
        and expression.children[-1].children[0] == "."
        and expression.children[-1].children[1].value in DTYPE_NAMES
    )


def is_device(argument) -> bool:
    value = argument.children[2] if is_keyword(argument) else argument
    return keyword_name(argument) in DEVICE_WORDS or value.get_code().strip() in DEVICE_WORDS


def remove_argument(trailer, argument) -> None:
    """Take `argument` and one comma beside it out of the call `trailer`, in place."""
    inner = trailer.children[1]
    if inner is argument:
        trailer.children = [trailer.children[0], trailer.children[-1]]
        return
    items = inner.children
    at = items.index(argument)
    if at + 1 < len(
        items
    ):  # with the comma after it; the next one takes its place and its prefix if first
        del items[at : at + 2]
        if at == 0:
            items[0].get_first_leaf().prefix = argument.get_first_leaf().prefix
    else:
        del items[at - 1 : at + 1]


class RewriteOperator(Operator):
    """An operator whose mutations of a node are `choices(node)`, each applied by `apply(node, choice)`.

    cosmic-ray parses the source afresh for every mutant and visits the module node first; the
    analyses of its functions and classes are kept while the source stays the same.
    """

    def __init__(self):
        self._source: str | None = None
        self._scopes: dict[Position, FunctionScope] = {}
        self._attributes: dict[tuple[Position, str], list[str]] = {}

    def scope(self, funcdef) -> FunctionScope:
        found = self._scopes.get(funcdef.start_pos)
        if found is None:
            found = self._scopes[funcdef.start_pos] = FunctionScope(funcdef)
        return found

    def attribute_siblings(self, classdef, attribute: str) -> list[str]:
        key = (classdef.start_pos, attribute)
        if key not in self._attributes:
            self._attributes[key] = attribute_siblings(classdef, attribute)
        return self._attributes[key]

    def choices(self, node) -> list:
        raise NotImplementedError

    def apply(self, node, choice):
        raise NotImplementedError

    def mutation_positions(self, node):
        if node.type == "file_input" and node.get_code() != self._source:
            self._source, self._scopes, self._attributes = node.get_code(), {}, {}
        for _ in self.choices(node):
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        return self.apply(node, self.choices(node)[index])


class DropCallArgument(RewriteOperator):
    """Leave out one optional argument of a call: any keyword argument, or the last of two or more positional ones.

    `model(x, state)` -> `model(x)`, `multinomial(p, 1, generator=g)` -> `multinomial(p, 1)`.
    Dtype arguments are `DropDtypeConversion`'s; device arguments are left alone.
    """

    def choices(self, node):
        if not is_call(node):
            return []
        arguments = [a for a in call_arguments(node) if not is_device(a)]
        positional = [a for a in call_arguments(node) if is_positional(a)]
        found = [a for a in arguments if not is_positional(a) and keyword_name(a) != "dtype"]
        last = positional[-1] if len(positional) > 1 else None
        if last is not None and last in arguments and not is_dtype(last):
            found.append(last)
        return sorted(found, key=lambda a: a.start_pos)

    def apply(self, node, choice):
        remove_argument(node, choice)
        return node

    @classmethod
    def examples(cls):
        return (
            Example("y = model(x, state)", "y = model(x)"),
            Example("y = f(a, generator=g)", "y = f(a)"),
            Example("y = f(a, b, k=1)", "y = f(a, k=1)", occurrence=0),
            Example("y = f(a, b, k=1)", "y = f(a, b)", occurrence=1),
        )


class DropTupleTarget(RewriteOperator):
    """Discard one target of a tuple assignment that rebinds it: the new value is not carried on.

    `logits, state = model(x, state)` -> `logits, _ = model(x, state)`;
    `best, stale = copy(m), 0` -> `best, _ = copy(m), 0` (a counter not reset).
    """

    def choices(self, node):
        if (
            node.type != "expr_stmt"
            or node.children[1] != "="
            or node.children[0].type != "testlist_star_expr"
        ):
            return []
        funcdef = function_of(node)
        if funcdef is None:
            return []
        scope = self.scope(funcdef)
        return [
            t
            for t in node.children[0].children
            if t.type != "operator" and t.get_code().strip() != "_" and scope.rebinds(t, node)
        ]

    def apply(self, node, choice):
        replace(choice, tree.Name("_", choice.start_pos, choice.get_first_leaf().prefix))
        return node

    @classmethod
    def examples(cls):
        return (
            Example(
                "def f(x, state):\n    logits, state = model(x, state)\n",
                "def f(x, state):\n    logits, _ = model(x, state)\n",
            ),
        )


class RemoveStatement(RewriteOperator):
    """Leave out one update in a function: a call made for its effect, or an assignment that rebinds.

    `optimizer.zero_grad()` -> `pass`, `stale += 1` -> `pass`, `x = next_x` -> `pass` (when `x`
    held a value already). First bindings are kept: removing them only raises a NameError.
    """

    def choices(self, node):
        if node.type != "simple_stmt" or function_of(node) is None:
            return []
        scope = self.scope(function_of(node))
        return [small for small in node.children if self.removable(small, scope)]

    @staticmethod
    def removable(small, scope) -> bool:
        if small.type == "atom_expr":
            return is_call(small.children[-1])
        if small.type != "expr_stmt" or small.children[1].type != "operator":
            return False
        if small.children[1] != "=":
            return True  # +=, -=, ...: an update of a value that exists
        targets = small.children[:-1:2]
        names = [
            t
            for target in targets
            for t in (target.children[::2] if target.type == "testlist_star_expr" else [target])
        ]
        return all(scope.rebinds(t, small) for t in names)

    def apply(self, node, choice):
        replace(choice, tree.Keyword("pass", choice.start_pos, choice.get_first_leaf().prefix))
        return node

    @classmethod
    def examples(cls):
        return (
            Example("def f(m):\n    m.zero_grad()\n", "def f(m):\n    pass\n"),
            Example("def f(n):\n    n += 1\n", "def f(n):\n    pass\n"),
            Example("def f(x):\n    x = g(x)\n", "def f(x):\n    pass\n"),
        )


class ReplaceName(RewriteOperator):
    """Read a sibling of a variable instead: another name of the same function, bound at that point.

    Siblings are names bound by the same statement, neighbours in the parameter list, or names
    sharing their first or last word (`inputs`/`targets`, `stoi`/`itos`, `X`/`X_val`,
    `train_close`/`val_close`); likewise `self.<attribute>` for attributes the class assigns
    (`self.bias_ih`/`self.bias_hh`, `self.mean_`/`self.std_`). cosmic-ray's VariableReplacer
    replaces a variable named in the configuration by a random number; this replaces every
    variable, deterministically, by what a student could have written instead.
    """

    def choices(self, node):
        if node.type != "name" or node.value == "self":
            return []
        if node.parent.type == "trailer":
            return self.attribute_choices(node)
        funcdef = function_of(node)
        if funcdef is None or not is_load(node):
            return []
        scope = self.scope(funcdef)
        if not scope.binds(node.value):
            return []
        return [other for other in scope.siblings(node.value) if scope.bound_at(other, node)]

    def attribute_choices(self, node):
        trailer = node.parent
        before = trailer.get_previous_sibling()
        if (
            trailer.children[0] != "."
            or before is None
            or before.get_code().strip() != "self"
            or node.is_definition()
        ):
            return []
        classdef = node.search_ancestor("classdef")
        return self.attribute_siblings(classdef, node.value) if classdef is not None else []

    def apply(self, node, choice):
        return replace(node, tree.Name(choice, node.start_pos, node.prefix))

    @classmethod
    def examples(cls):
        return (
            Example(
                "def f(stoi, itos):\n    return itos[0]\n",
                "def f(stoi, itos):\n    return stoi[0]\n",
            ),
            Example(
                "def f(ids):\n    inputs, targets = ids[:-1], ids[1:]\n    return targets\n",
                "def f(ids):\n    inputs, targets = ids[:-1], ids[1:]\n    return inputs\n",
            ),
        )


class TakeEnd(RewriteOperator):
    """Pass one end of a parameter where the whole is used: `encode(prompt)` -> `encode(prompt[-1])`, `prompt[0]`.

    Only parameters that may hold a sequence: not those seen as numbers or callables, nor those
    whose default is a number, a flag or None.
    """

    ENDS = ("[-1]", "[0]")

    def choices(self, node):
        if node.type != "name" or node.value == "self" or not is_load(node):
            return []
        funcdef = function_of(node)
        if funcdef is None or node.value not in self.scope(funcdef).parameters:
            return []
        scope = self.scope(funcdef)
        if (
            scope.kinds.get(node.value) in (NUMBER, CALLABLE)
            or scope.defaults[node.value] is not None
        ):
            return []
        followed = (
            node.parent.type == "atom_expr" and node.parent.children[0] is node
        )  # x[...], x.attr, x(...)
        return [] if followed else list(self.ENDS)

    def apply(self, node, choice):
        return replace(node, parsed(node.value + choice, node.prefix))

    @classmethod
    def examples(cls):
        return (
            Example("def f(p):\n    return g(p)\n", "def f(p):\n    return g(p[-1])\n"),
            Example(
                "def f(p):\n    return g(p)\n", "def f(p):\n    return g(p[0])\n", occurrence=1
            ),
        )


class DropEndIndex(RewriteOperator):
    """Use the whole where one end was taken: `hidden[-1]` -> `hidden`, `state[0]` -> `state`."""

    def choices(self, node):
        if node.type != "trailer" or node.children[0] != "[" or node.get_previous_sibling() is None:
            return []
        return [None] if node.children[1].get_code().strip() in ("0", "-1") else []

    def apply(self, node, choice):
        return None  # cosmic-ray's walk drops a node its operator returns None for

    @classmethod
    def examples(cls):
        return (
            Example("y = hidden[-1].sum()", "y = hidden.sum()"),
            Example("y = state[0]", "y = state"),
        )


class SwapIntRound(RewriteOperator):
    """`int(x)` <-> `round(x)`: truncation for rounding and the reverse."""

    SWAP = {"int": "round", "round": "int"}

    def choices(self, node):
        if node.type != "name" or node.value not in self.SWAP or node.parent.type != "atom_expr":
            return []
        after = node.get_next_sibling()
        return [self.SWAP[node.value]] if node.parent.children[0] is node and is_call(after) else []

    def apply(self, node, choice):
        return replace(node, tree.Name(choice, node.start_pos, node.prefix))

    @classmethod
    def examples(cls):
        return (
            Example("n = int(0.7 * t)", "n = round(0.7 * t)"),
            Example("n = round(0.7 * t)", "n = int(0.7 * t)"),
        )


class DropDtypeConversion(RewriteOperator):
    """Leave a dtype conversion out: `dtype=`, a positional `np.float32`, `.astype(...)`,
    `.to(torch.float32)`, `.float()`, `.long()`."""

    def choices(self, node):
        if is_call(node):
            return [
                a
                for a in call_arguments(node)
                if keyword_name(a) == "dtype"
                or (is_positional(a) and is_dtype(a) and len(call_arguments(node)) > 1)
            ]
        if node.type != "atom_expr":
            return []
        found = []
        for at in range(1, len(node.children) - 1):
            name, call = node.children[at], node.children[at + 1]
            if name.type != "trailer" or name.children[0] != "." or not is_call(call):
                continue
            method, arguments = name.children[1].value, call_arguments(call)
            # .to(dtype=...) is left to the call rule: without its argument .to() converts nothing
            if method in CONVERSION_METHODS or (
                method == "to" and len(arguments) == 1 and is_dtype(arguments[0])
            ):
                found.append(at)
        return found

    def apply(self, node, choice):
        if is_call(node):
            remove_argument(node, choice)
        else:
            del node.children[choice : choice + 2]
        return node

    @classmethod
    def examples(cls):
        return (
            Example("z = (r / s).astype(np.float32)", "z = (r / s)"),
            Example("z = np.asarray(p, dtype=np.float64)", "z = np.asarray(p)"),
            Example("z = x.to(torch.float32).sum()", "z = x.sum()"),
        )


OPERATORS = {
    cls.__name__: cls
    for cls in (
        DropCallArgument,
        DropTupleTarget,
        RemoveStatement,
        ReplaceName,
        TakeEnd,
        DropEndIndex,
        SwapIntRound,
        DropDtypeConversion,
    )
}


class OperatorProvider:
    """cosmic-ray's operator provider for hw3's operators (entry point `cosmic_ray.operator_providers`: `hw3`)."""

    def __iter__(self):
        return iter(OPERATORS)

    def __getitem__(self, name):
        return OPERATORS[name]
