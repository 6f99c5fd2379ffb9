"""hw3's cosmic-ray operators: each makes the mistakes it models on a small source, and nothing else."""

import ast

import nbformat
import pytest
from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator, operator_names
from support import REPOSITORY, released

from hw3.calibration import mutation, operators
from hw3.common.answers import answer_cells

# one function with a bit of everything the operators look for
SOURCE = """def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    x = encode(prompt, stoi).unsqueeze(0).to(device)
    state, generated = None, []
    for _ in range(length):
        logits, state = model(x, state)
        last = logits[0, -1] / temperature
        if top_k is not None:
            kth = torch.topk(last, top_k).values[-1]
        probs = torch.softmax(last.double(), dim=-1)
        next_id = int(torch.multinomial(probs, 1, generator=generator))
        generated.append(next_id)
        x = torch.tensor([[next_id]], dtype=torch.long, device=device)
    return decode(generated, itos)
"""


def mutated_sources(name: str, source: str) -> list[str]:
    """Every mutant of `source` by hw3's operator `name`, in cosmic-ray's order of occurrences."""
    operator = get_operator(f"hw3/{name}")()
    count = sum(1 for node in ast_nodes(get_ast(source)) for _ in operator.mutation_positions(node))
    return [mutate_code(source, operator, occurrence) for occurrence in range(count)]


def mutants(name: str, source: str = SOURCE) -> list[str]:
    """Every mutant of `source` by hw3's operator `name`, as its changed lines `old -> new`."""
    found = []
    for mutated in mutated_sources(name, source):
        _, removed, added = mutation.changed_lines(source, mutated)
        found.append(
            " | ".join(line.strip() for line in removed)
            + " -> "
            + " | ".join(line.strip() for line in added)
        )
    return found


def test_every_operator_is_registered_with_cosmic_ray_and_used_by_mutate():
    registered = {name for name in operator_names() if name.startswith("hw3/")}
    assert registered == {f"hw3/{name}" for name in operators.OPERATORS}
    used = mutation.operators()
    assert registered <= set(used)
    assert not set(mutation.EXCLUDED_OPERATORS) & set(used)


@pytest.mark.parametrize("name", sorted(operators.OPERATORS))
def test_each_operator_makes_its_documented_examples(name):
    cls = operators.OPERATORS[name]
    for example in cls.examples():
        assert (
            mutate_code(example.pre_mutation_code, cls(), example.occurrence)
            == example.post_mutation_code
        )


def test_drop_call_argument_leaves_out_the_state_and_keywords_but_not_a_lone_argument_dtype_or_device():
    found = mutants("DropCallArgument")
    assert "logits, state = model(x, state) -> logits, state = model(x)" in found
    assert (
        "next_id = int(torch.multinomial(probs, 1, generator=generator)) -> "
        "next_id = int(torch.multinomial(probs, 1))"
    ) in found
    assert (
        "probs = torch.softmax(last.double(), dim=-1) -> probs = torch.softmax(last.double())"
        in found
    )
    assert not any(
        "device" not in after and "device" in before
        for before, after in (m.split(" -> ") for m in found)
    )
    assert not any(
        "dtype" not in after and "dtype" in before
        for before, after in (m.split(" -> ") for m in found)
    )
    assert not any(m.endswith("range()") or "int()" in m for m in found), (
        "a lone argument is not optional"
    )


def test_drop_tuple_target_discards_a_carried_value_not_a_first_binding():
    assert mutants("DropTupleTarget") == [
        "logits, state = model(x, state) -> logits, _ = model(x, state)"
    ]


def test_remove_statement_forgets_updates_and_effects_but_keeps_first_bindings_and_returns():
    assert mutants("RemoveStatement") == [
        "generated.append(next_id) -> pass",
        "x = torch.tensor([[next_id]], dtype=torch.long, device=device) -> pass",
    ]


def test_replace_name_swaps_siblings_of_one_kind_that_are_bound_there():
    found = mutants("ReplaceName")
    assert "return decode(generated, itos) -> return decode(generated, stoi)" in found
    assert (
        "x = encode(prompt, stoi).unsqueeze(0).to(device) -> x = encode(prompt, itos).unsqueeze(0).to(device)"
        in found
    )
    assert not any(
        "model(" in m.split(" -> ")[0] and "model(" not in m.split(" -> ")[1] for m in found
    ), "the model is called: only another callable may take its place"
    assert not any("/ top_k" in m or "/ generator" in m for m in found), "defaults of another kind"
    assert not any(
        "(probs," in m.split(" -> ")[1] and "(probs," not in m.split(" -> ")[0] for m in found
    )
    attributes = mutants(
        "ReplaceName",
        "class Cell:\n    def __init__(self):\n        self.w_ih, self.w_hh, self.head = 1, 2, 3\n"
        "    def forward(self, x):\n        return x * self.w_ih\n",
    )
    assert attributes == [
        "return x * self.w_ih -> return x * self.w_hh",
        "return x * self.w_ih -> return x * self.head",
    ]


def test_replace_name_never_reads_a_name_before_it_is_bound():
    found = mutants(
        "ReplaceName",
        "def f(ids):\n    head = ids[0]\n    inputs, targets = ids[:-1], ids[1:]\n    return inputs\n",
    )
    assert found == ["return inputs -> return targets"]


def test_take_end_passes_one_end_of_a_sequence_parameter_only():
    assert mutants("TakeEnd") == [
        "x = encode(prompt, stoi).unsqueeze(0).to(device) -> x = encode(prompt[-1], stoi).unsqueeze(0).to(device)",
        "x = encode(prompt, stoi).unsqueeze(0).to(device) -> x = encode(prompt[0], stoi).unsqueeze(0).to(device)",
        "x = encode(prompt, stoi).unsqueeze(0).to(device) -> x = encode(prompt, stoi[-1]).unsqueeze(0).to(device)",
        "x = encode(prompt, stoi).unsqueeze(0).to(device) -> x = encode(prompt, stoi[0]).unsqueeze(0).to(device)",
        "return decode(generated, itos) -> return decode(generated, itos[-1])",
        "return decode(generated, itos) -> return decode(generated, itos[0])",
    ], "not `length` (a number), `model` (called) or the parameters with defaults"


def test_drop_end_index_uses_the_whole_where_one_end_was_taken():
    assert mutants("DropEndIndex") == [
        "kth = torch.topk(last, top_k).values[-1] -> kth = torch.topk(last, top_k).values"
    ], "logits[0, -1] is not one end"


def test_swap_int_round_swaps_both_ways_and_not_the_tensor_method():
    assert mutants("SwapIntRound") == [
        "next_id = int(torch.multinomial(probs, 1, generator=generator)) -> "
        "next_id = round(torch.multinomial(probs, 1, generator=generator))"
    ]
    assert mutants("SwapIntRound", "n = round(x.int() * 0.7)\n") == [
        "n = round(x.int() * 0.7) -> n = int(x.int() * 0.7)"
    ]


def test_drop_dtype_conversion_leaves_out_casts_but_not_a_move_to_a_device():
    assert mutants("DropDtypeConversion") == [
        "probs = torch.softmax(last.double(), dim=-1) -> probs = torch.softmax(last, dim=-1)",
        "x = torch.tensor([[next_id]], dtype=torch.long, device=device) -> "
        "x = torch.tensor([[next_id]], device=device)",
    ]
    assert mutants(
        "DropDtypeConversion",
        "z = ((r - m) / s).astype(np.float32)\ny = x.to(torch.float32).to(device)\n",
    ) == [
        "z = ((r - m) / s).astype(np.float32) -> z = ((r - m) / s)",
        "y = x.to(torch.float32).to(device) -> y = x.to(device)",
    ]


@pytest.mark.parametrize("name", REPOSITORY.mastered_assignments())
def test_no_mutant_of_the_reference_answers_fails_to_parse(name):
    nb = nbformat.read(released("autograder", name), as_version=4)
    sources = [nb.cells[i].source for indices in answer_cells(nb).values() for i in indices]
    made = 0
    for source in sources:
        for operator in operators.OPERATORS:
            for mutated in mutated_sources(operator, source):
                ast.parse(mutated)
                made += 1
    assert made, "the answers have calls, names and assignments to mutate"
