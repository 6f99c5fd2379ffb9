"""What one function of a parso tree binds: the names `hw3`'s mutation operators may swap or drop.

A mutant that uses a name before it is bound, or one bound only in another function, fails at
once and tells nothing about the hidden tests; so the operators ask this module which names a
function binds, where each binding takes effect, which names are siblings (a student could write
one for the other), what kind of value each is seen to hold, and whether an assignment rebinds
something that already holds a value.

An analysis refers to places by (line, column) only, never to tree nodes, so it stays valid for
every fresh parse of the same source (cosmic-ray parses the source again for each mutant).
"""

from __future__ import annotations

from dataclasses import dataclass

from parso.python import tree

Position = tuple[int, int]  # (line, column), as parso counts them

COMPREHENSION = ("sync_comp_for", "comp_for", "comp_if")
START: Position = (0, 0)  # parameters are bound before the body's first line
ARITHMETIC = ("arith_expr", "term", "comparison", "power")
NUMBER_CALLS = {"int", "float", "len", "round"}  # calls whose value is a number
NOT_READ_IN = (
    "parameters",
    "import_from",
    "import_name",
    "global_stmt",
    "nonlocal_stmt",
    "decorator",
)
# kinds of value a name is seen to hold; a name of one kind is never swapped for a name of another
CALLABLE, SEQUENCE, NUMBER = "callable", "sequence", "number"


@dataclass(frozen=True, kw_only=True)
class Binding:
    """One place a name is bound in a function."""

    name: str
    effective: Position  # from here on the new value is visible
    statement: Position  # where the assignment, loop or parameter list that binds it starts
    region: tuple[Position, Position] | None  # the comprehension it is local to, or None


def function_of(node) -> tree.Function | None:
    """The function whose own scope holds `node`, or None (module level, class body, lambda)."""
    scope = node.search_ancestor("funcdef", "lambdef", "classdef")
    return scope if scope is not None and scope.type == "funcdef" else None


def leaves(node):
    """Every leaf of `node`, in source order."""
    leaf, last = node.get_first_leaf(), node.get_last_leaf()
    while leaf is not None:
        yield leaf
        if leaf is last:
            return
        leaf = leaf.get_next_leaf()


def inside(node, region: tuple[Position, Position]) -> bool:
    return region[0] <= node.start_pos and node.end_pos <= region[1]


def is_load(leaf) -> bool:
    """A name leaf that reads a variable: not bound here, not an attribute, keyword or parameter default."""
    if leaf.type != "name" or leaf.is_definition():
        return False
    parent = leaf.parent
    if parent.type == "trailer" and parent.children[0] == ".":  # `.name`
        return False
    if parent.type == "argument" and parent.children[0] is leaf and parent.children[1] == "=":
        return False  # f(name=...)
    return leaf.search_ancestor(*NOT_READ_IN) is None


def literal_kind(node) -> str | None:
    """The kind of a literal or obviously typed expression: 0, -1, 1.5, True, len(x) -> number; [], {} -> sequence."""
    if node.type == "number" or (node.type == "keyword" and node.value in ("True", "False")):
        return NUMBER
    if node.type == "factor" and node.children[-1].type == "number":
        return NUMBER
    if node.type == "atom" and node.children[0] in ("[", "{"):
        return SEQUENCE
    first = node.children[0] if node.type == "atom_expr" else None
    if first is not None and first.type == "name" and first.value in NUMBER_CALLS:
        return NUMBER
    return None


def argument_of(leaf) -> str | None:
    """When `leaf` is itself an argument of a call to a plain name (`len(x)`, `range(0, n)`), that name."""
    parent = leaf.parent
    if parent.type == "arglist":
        parent = parent.parent
    if parent.type == "trailer" and parent.children[0] == "(":
        callee = parent.get_previous_sibling()
        return callee.value if callee is not None and callee.type == "name" else None
    return None


def name_tokens(name: str) -> tuple[str, ...]:
    return tuple(part for part in name.split("_") if part)


def similar(a: str, b: str) -> bool:
    """Names that share their first or their last word (`X`/`X_val`, `train_close`/`val_close`, `h`/`h_new`)."""
    ta, tb = name_tokens(a), name_tokens(b)
    return bool(ta and tb) and (ta[0] == tb[0] or ta[-1] == tb[-1])


def default_kind(default) -> str | None:
    """The kind of a parameter's default value: None without one, "none" for None."""
    if default is None:
        return None
    if default.get_code().strip() == "None":
        return "none"
    return literal_kind(default) or default.type


class FunctionScope:
    """The parameters, bindings and kinds of one parso function node."""

    def __init__(self, funcdef: tree.Function):
        params = funcdef.get_params()
        self.parameters = [param.name.value for param in params]
        self.defaults = {param.name.value: default_kind(param.default) for param in params}
        self.bindings: dict[str, list[Binding]] = {}
        # (code, effective) of assigned attributes (`self.x`), for `rebinds`
        self.targets: list[tuple[str, Position]] = []
        body = [
            leaf
            for leaf in leaves(funcdef.children[-1])
            if leaf.type == "name" and function_of(leaf) is funcdef
        ]
        for leaf in body:
            if not leaf.is_definition():
                continue
            definition = leaf.get_definition()
            if definition is None or definition.type in ("funcdef", "classdef"):
                continue
            binding = self._binding(leaf, definition)
            if leaf.parent.type == "trailer":  # self.x = ...: an attribute, not a variable
                self.targets.append((leaf.parent.parent.get_code().strip(), binding.effective))
            else:
                self.bindings.setdefault(leaf.value, []).append(binding)
        self.kinds = self._kinds(body)

    @staticmethod
    def _binding(leaf, definition) -> Binding:
        if definition.type in COMPREHENSION:
            region = definition
            while region.parent.type in COMPREHENSION:
                region = region.parent
            return Binding(
                name=leaf.value,
                effective=START,
                statement=definition.start_pos,
                region=(region.parent.start_pos, region.parent.end_pos),
            )
        if definition.type == "for_stmt":  # visible in the body, after the iterable
            effective = definition.children[3].end_pos
        elif (
            definition.type == "expr_stmt"
        ):  # after the statement: its right side reads the old value
            effective = definition.end_pos
        else:
            effective = leaf.end_pos
        return Binding(
            name=leaf.value, effective=effective, statement=definition.start_pos, region=None
        )

    def _kinds(self, body: list) -> dict[str, str]:
        """What each name is seen to hold: called -> callable; indexed, measured or iterated ->
        sequence; an index, a number literal, an `int(...)` or `range(...)` argument, or in
        arithmetic with a number -> number. The first of these that applies."""
        seen: dict[str, set[str]] = {}

        def note(name: str, kind: str | None) -> None:
            if kind is not None:
                seen.setdefault(name, set()).add(kind)

        for name, kind in self.defaults.items():
            note(name, kind if kind in (NUMBER, SEQUENCE) else None)
        for leaf in body:
            if leaf.is_definition():
                statement = leaf.get_definition()
                if statement is not None and statement.type == "expr_stmt":
                    note(leaf.value, assigned_kind(leaf, statement))
                continue
            parent, after = leaf.parent, leaf.get_next_sibling()
            if parent.type == "atom_expr" and parent.children[0] is leaf and after is not None:
                opener = after.children[0]
                note(leaf.value, CALLABLE if opener == "(" else SEQUENCE if opener == "[" else None)
            function = argument_of(leaf)
            note(
                leaf.value,
                SEQUENCE if function == "len" else NUMBER if function == "range" else None,
            )
            if parent.type in ("for_stmt", "sync_comp_for") and parent.children[3] is leaf:
                note(leaf.value, SEQUENCE)
            if parent.type == "subscript" or (
                parent.type == "trailer" and parent.children[0] == "["
            ):
                note(leaf.value, NUMBER)  # an index or a slice bound
        for _ in range(2):  # numbers spread through arithmetic: n = len(x) - 1; m = b * n
            for leaf in body:
                if leaf.parent.type in ARITHMETIC and not leaf.is_definition():
                    others = [
                        c for c in leaf.parent.children if c is not leaf and c.type != "operator"
                    ]
                    if any(
                        literal_kind(o) == NUMBER
                        or (o.type == "name" and NUMBER in seen.get(o.value, ()))
                        for o in others
                    ):
                        note(leaf.value, NUMBER)
        return {
            name: next(k for k in (CALLABLE, SEQUENCE, NUMBER) if k in kinds)
            for name, kinds in seen.items()
        }

    def compatible(self, a: str, b: str) -> bool:
        """Whether names `a` and `b` were seen holding the same kind of value (or one was not seen)."""
        ka, kb = self.kinds.get(a), self.kinds.get(b)
        if CALLABLE in (ka, kb):
            return ka == kb
        return ka is None or kb is None or ka == kb

    def binds(self, name: str) -> bool:
        return name in self.parameters or name in self.bindings

    def bound_at(self, name: str, leaf) -> bool:
        """Whether `name` holds a value of this function where `leaf` stands (a parameter, or bound before)."""
        if name in self.parameters:
            return True
        return any(
            b.effective <= leaf.start_pos and (b.region is None or inside(leaf, b.region))
            for b in self.bindings.get(name, ())
        )

    def rebinds(self, target, statement) -> bool:
        """Whether assigning `target` in `statement` replaces a value it already holds (or updates a container)."""
        if target.type == "name":
            return target.value in self.parameters or any(
                b.effective <= statement.start_pos and b.region is None
                for b in self.bindings.get(target.value, ())
            )
        if target.type == "atom_expr" and target.children[-1].type == "trailer":
            if target.children[-1].children[0] == "[":
                return True  # history["step"] = ...: a container that exists
            code = target.get_code().strip()
            return any(t == code and e <= statement.start_pos for t, e in self.targets)
        return False

    def siblings(self, name: str) -> list[str]:
        """Names of this function a student could write for `name`, in a stable order.

        Bound by the same statement (`inputs, targets = ...`), neighbours in the parameter list
        with defaults of one kind (`stoi, itos`; `batch_size=64, eval_every=25`), or sharing their
        first or last word (`X`, `X_val`); and never seen holding another kind of value.
        """
        statements = {b.statement for b in self.bindings.get(name, ())}
        found = []
        if name in self.parameters:
            i = self.parameters.index(name)
            found += [
                p
                for p in self.parameters[max(i - 1, 0) : i + 2]
                if self.defaults[p] == self.defaults[name]
            ]
        for other, bindings in self.bindings.items():
            if any(b.statement in statements for b in bindings):
                found.append(other)
        found += [other for other in (*self.parameters, *self.bindings) if similar(name, other)]
        return [
            n
            for n in dict.fromkeys(found)
            if n not in (name, "self", "_") and self.compatible(name, n)
        ]


def assigned_kind(leaf, statement) -> str | None:
    """The kind of the value `statement` (`x = 0`, `a, b = [], 1`) gives the target `leaf`, if a literal."""
    if statement.children[1] != "=":
        return None
    target, value = statement.children[0], statement.children[2]
    if target is leaf:
        return literal_kind(value)
    if target.type == "testlist_star_expr" and value.type in ("testlist_star_expr", "testlist"):
        targets, values = target.children[::2], value.children[::2]
        if leaf in targets and len(targets) == len(values):
            return literal_kind(values[targets.index(leaf)])
    return None


def attribute_siblings(classdef, attribute: str) -> list[str]:
    """Other `self.<name>` attributes the class assigns that a student could write for `attribute`.

    Assigned by the same statement (`self.mean_, self.std_ = ...`) or sharing their first or last
    word (`weight_ih`, `weight_hh`, `bias_ih`).
    """
    assigned: dict[str, set[Position]] = {}
    for leaf in leaves(classdef):
        if leaf.type != "name" or leaf.parent.type != "trailer" or not leaf.is_definition():
            continue
        owner = leaf.parent.get_previous_sibling()
        if owner is not None and owner.get_code().strip() == "self":
            assigned.setdefault(leaf.value, set()).add(leaf.get_definition().start_pos)
    statements = assigned.get(attribute, set())
    return [
        other
        for other, where in assigned.items()
        if other != attribute and (where & statements or similar(attribute, other))
    ]
