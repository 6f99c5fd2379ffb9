"""Synthetic submissions for `hw3 similarity --bench` and its tests: copies in disguise and a class.

`disguise` is what a student hiding a copy does: rename the local variables, respace the operators,
add comments and blank lines. `write_class` writes a class of Quera zips built from the released
notebooks. Independent students are of two kinds. Pool students compose their answers from the
pool of independently written steps (`pool.py`), each in their own disguise, plus helpers of their
own and snippets a few classmates share. Variant students answer with the real independent
solutions of `reference/variants/` (`hw3.calibration.variants`), one per question, disguised: as
many as there are variants, in a Latin square, so no two of them hand in the same variant of any
question (two honest students never write one text). Every run prints its own training log,
timings, progress bars, sampled text and plots. Planted among them: one student in 15 copies the
reference solution and one in 30 an earlier term's submission (written beside the class, to pass
with --against), each lightly disguised with one small change; one in 50 copies a classmate's
executed notebook, outputs and all.
"""

import base64
import keyword
import random
import tokenize
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hw3.calibration.variants import load_variants
from hw3.common.answers import answer_cells
from hw3.common.pdfwrite import one_page_pdf
from hw3.registry import release_registry
from hw3.similarity import fingerprints, pool
from hw3.similarity.sources import REFERENCE, reference_answers
from hw3.similarity.stubs import defined_names
from hw3.submission.rules import PDF_NAME, zip_name

PDF_PLACEHOLDER = one_page_pdf("synthetic theory answers")
COPY_EVERY = 50  # one student in this many copies a classmate's notebook
REFERENCE_COPY_EVERY = 15  # one in this many copies the reference solution
EARLIER_COPY_EVERY = 30  # one in this many copies the earlier term's submission
MIN_INDEPENDENT = (
    2  # a class too small to keep this many independent students plants no source copies
)
EARLIER_TERM = (
    "399000001",
    "EarlierTermStudent",
)  # the earlier term's submission, written beside the class
EARLIER_FOLDER = "earlier-term"
POOL, VARIANT, COPY, SOURCE_COPY = "pool", "variant", "copy", "source copy"  # kinds of student
SHARED_SNIPPETS_PER_STUDENT = (
    1  # per answer: two alike would be most of what the two wrote there, a false copy
)
OWN_HELPER_LINES, SNIPPET_LINES = (
    (3, 5),
    (1, 2),
)  # a snippet shared with a few is smaller than the student's own helper
IMAGE_BYTES = 45_000  # a matplotlib PNG of a loss curve is about this size
PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی "
METHODS = (
    "sum",
    "mean",
    "float",
    "detach",
    "abs",
    "exp",
    "log1p",
    "sqrt",
    "clamp",
    "softmax",
    "norm",
    "max",
    "min",
    "flatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "contiguous",
    "cumsum",
    "argmax",
    "tanh",
    "sigmoid",
    "relu",
    "round",
    "sign",
    "neg",
    "square",
    "std",
    "var",
    "prod",
    "cumprod",
    "argmin",
    "amax",
    "amin",
    "median",
    "logsumexp",
    "log_softmax",
    "log",
    "log2",
    "expm1",
    "rsqrt",
    "reciprocal",
    "floor",
    "ceil",
    "trunc",
    "frac",
    "sin",
    "cos",
    "atan",
    "sinh",
    "erf",
    "sigmoid_",
    "double",
    "half",
    "clone",
    "t",
    "ravel",
    "diag",
    "tril",
    "triu",
    "nan_to_num",
    "isfinite",
    "count_nonzero",
    "any",
    "all",
    "logical_not",
    "bool",
    "long",
    "int",
    "cpu",
    "relu_",
    "abs_",
    "exp_",
    "sort",
    "msort",
    "diff",
    "fliplr",
    "rot90",
    "trace",
)
OPERATORS = ("+", "-", "*", "/", "@", "//")
FIRST_NAMES = (
    "Ali",
    "Sara",
    "Reza",
    "Maryam",
    "Hossein",
    "Zahra",
    "Mohammad",
    "Fatemeh",
    "Amir",
    "Narges",
)
NAME_WORDS = (
    "val",
    "tmp",
    "res",
    "out",
    "buf",
    "acc",
    "cur",
    "nxt",
    "item",
    "part",
    "data",
    "vec",
    "arr",
)
DEBUG_WORDS = ("here", "check", "shape ok", "debug", "got")
OPEN_LINE = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
WORDLIKE = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING}


@dataclass
class SyntheticClass:
    """What `write_class` planted, by zip file name."""

    origins: dict[str, str] = field(
        default_factory=dict
    )  # zip -> whose code it is: itself, a source, an original
    pair_copies: list[tuple[str, str]] = field(
        default_factory=list
    )  # (original, copy), outputs copied too
    source_copies: dict[str, list[str]] = field(
        default_factory=dict
    )  # source name -> the zips that copied it
    against: list[Path] = field(
        default_factory=list
    )  # the earlier term's zip, to pass with --against
    kinds: dict[str, str] = field(default_factory=dict)  # zip -> POOL, VARIANT, COPY or SOURCE_COPY


def disguise(source: str, rng: random.Random, keep: frozenset = fingerprints.BUILTIN_NAMES) -> str:
    """`source` with local names renamed, operators respaced, comments and blank lines added.

    Names in `keep`, attributes and keyword arguments are left alone, so what the code calls stays.
    """
    raw = fingerprints.raw_tokens(source)
    renames: dict[str, str] = {}
    brackets: list[str] = []  # "call" or "def" for each open parenthesis, "[" / "{" for the others
    out, at = [], 0
    for index, (kind, text, start, end) in enumerate(raw):
        if start < at:
            continue
        gap = source[at:start]
        previous = raw[index - 1] if index else None
        if (
            previous
            and previous[0] not in OPEN_LINE
            and "\n" not in gap
            and not gap.strip()
            and gap != ""
        ):
            both_words = previous[0] in WORDLIKE and kind in WORDLIKE
            gap = " " if both_words or rng.random() < 0.5 else ""
        out.append(gap)
        if kind == tokenize.OP and text in "([{":
            after_def = index > 1 and raw[index - 2][1] == "def"
            brackets.append(("def" if after_def else "call") if text == "(" else text)
        elif kind == tokenize.OP and text in ")]}" and brackets:
            brackets.pop()
        following = raw[index + 1][1] if index + 1 < len(raw) else ""
        keyword_argument = (
            following == "="
            and brackets[-1:] == ["call"]
            and previous is not None
            and previous[1] in ("(", ",")
        )
        renameable = (
            kind == tokenize.NAME
            and text not in keep
            and text != fingerprints.SELF
            and not text.isupper()
            and not text.startswith("__")
            and not keyword_argument
            and not (previous and previous[1] in (".", "def", "class"))
            and not is_keyword(text)
        )
        if renameable:
            text = renames.setdefault(
                text, f"{rng.choice(NAME_WORDS)}_{len(renames)}{rng.choice('abcxyz')}"
            )
        if kind == tokenize.NEWLINE and rng.random() < 0.25:
            text = f"  # {rng.choice(('why not', 'works', 'check', 'see lecture'))}{text}"
        if kind == tokenize.NEWLINE and rng.random() < 0.15:
            text += "\n"
        out.append(text)
        at = end
    out.append(source[at:])
    return "".join(out)


def is_keyword(text: str) -> bool:
    """Python keywords, soft ones included (`match`, `case`, `_`)."""
    return keyword.iskeyword(text) or keyword.issoftkeyword(text)


def small_change(source: str, rng: random.Random) -> str:
    """`source` with the one line a copier adds: a debugging print before one of its `return`s, or at its end."""
    lines = source.splitlines(keepends=True)
    returns = [n for n, line in enumerate(lines) if line.lstrip().startswith("return ")]
    added = f'print("{rng.choice(DEBUG_WORDS)}")\n'
    if not returns:
        return source.rstrip("\n") + "\n" + added
    at = rng.choice(returns)
    lines.insert(at, lines[at][: len(lines[at]) - len(lines[at].lstrip())] + added)
    return "".join(lines)


def helper_source(rng: random.Random, tag: str, size: tuple[int, int] = OWN_HELPER_LINES) -> str:
    """A small helper function: between size[0] and size[1] random lines of tensor arithmetic.

    Each line starts with two chained calls, so that no run of tokens between two lines is one
    many students write by chance: their own code is their own, as it is in a real class.
    """
    lines = [f"def check_{tag}(values, scale={rng.randint(2, 9)}):"]
    for _ in range(rng.randint(*size)):
        lines.append(
            f"    values = values.{rng.choice(METHODS)}().{rng.choice(METHODS)}() {rng.choice(OPERATORS)} "
            f"values.{rng.choice(METHODS)}() * scale + {rng.randint(1, 99)}"
        )
    lines.append(f"    return values.{rng.choice(METHODS)}()")
    return "\n".join(lines) + "\n"


def stream(text: str):
    """A stdout stream output."""
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def student_outputs(stub, rng: random.Random) -> dict[int, list]:
    """{cell index: outputs} of one student's run: logs and timings that differ from run to run."""
    outputs: dict[int, list] = {}
    for index, cell in enumerate(stub.cells):
        if cell.cell_type != "code" or "grader.check" in cell.source:
            continue
        cell_outputs = []
        if "print(" in cell.source:
            cell_outputs.append(
                stream(f"torch 2.13.0 on cpu; cell {index} ran\n")
            )  # the same for everyone
        if "loss" in cell.source and "print(" in cell.source:
            loss = rng.uniform(2.8, 3.4)
            lines = []
            for step in range(50, 251, 50):
                loss *= rng.uniform(0.8, 0.95)
                lines.append(
                    f"| step {step:5d} | loss {loss:5.2f} | ppl {2.718**loss:6.2f} | "
                    f"val ppl {2.718**loss * rng.uniform(1.0, 1.2):6.2f} |\n"
                )
            lines.append(
                f"250 steps in {rng.randint(20, 200)} s; test perplexity {rng.uniform(6, 11):.2f}\n"
            )
            cell_outputs.append(stream("".join(lines)))
            rate = rng.uniform(3, 12)
            bars = "".join(
                f"\rtraining: {step * 100 // 250:3d}%| | {step}/250 [00:{step // rate:02.0f}<00:00, "
                f"{rate * rng.uniform(0.9, 1.1):.2f}it/s]"
                for step in range(50, 251, 50)
            )
            cell_outputs.append(nbformat.v4.new_output("stream", name="stderr", text=bars))
        if "plt." in cell.source:
            png = base64.b64encode(rng.randbytes(IMAGE_BYTES)).decode()
            cell_outputs.append(
                nbformat.v4.new_output(
                    "display_data", data={"image/png": png, "text/plain": "<Figure>"}
                )
            )
        if "sample(" in cell.source:
            text = "<br>".join("".join(rng.choice(PERSIAN) for _ in range(40)) for _ in range(6))
            cell_outputs.append(
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/html": f'<div dir="rtl">{text}</div>',
                        "text/plain": "<IPython.core.display.HTML object>",
                    },
                )
            )
        if cell_outputs:
            outputs[index] = cell_outputs
    return outputs


def submitted_notebook(stub, answers: dict[str, list[str]], outputs: dict[int, list] | None = None):
    """Copy of the released notebook `stub`, run: `answers` in its answer cells, `outputs` attached."""
    nb = nbformat.from_dict(stub)
    for question, indices in answer_cells(nb).items():
        for index, source in zip(indices, answers.get(question, [])):
            nb.cells[index].source = source
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = list((outputs or {}).get(index, []))
    return nb


def submission_zip(
    folder: Path, student_number: str, full_name: str, notebooks: dict[str, object]
) -> Path:
    """Write the Quera zip of one student holding `notebooks` ({assignment: notebook}) and a PDF."""
    path = folder / zip_name(student_number, full_name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, nb in notebooks.items():
            zf.writestr(f"{name}.ipynb", nbformat.writes(nb))
        zf.writestr(PDF_NAME, PDF_PLACEHOLDER)
    return path


def student_identity(index: int) -> tuple[str, str]:
    """(student number, CamelCase name) of synthetic student `index`."""
    return (
        f"40{index:07d}",
        f"{FIRST_NAMES[index % len(FIRST_NAMES)]}Synthetic{chr(65 + index % 26)}",
    )


def own_answers(
    stub_cells: dict[str, list[str]],
    todos: pool.Pool,
    keep: frozenset,
    snippets: list[str],
    rng: random.Random,
    tag: str,
) -> dict[str, list[str]]:
    """An independent student's answers: composed from the pool, disguised, plus own helpers and shared snippets."""
    answers = {}
    for question, sources in pool.independent_answers(todos, stub_cells, rng).items():
        extra = [helper_source(rng, f"{tag}_{question}")]
        extra += rng.sample(snippets, min(SHARED_SNIPPETS_PER_STUDENT, len(snippets)))
        answers[question] = [disguise(source, rng, keep) for source in sources]
        answers[question][-1] += "\n\n" + "\n\n".join(extra)
    return answers


def light_copy(
    answers: dict[str, list[str]], keep: frozenset, rng: random.Random
) -> dict[str, list[str]]:
    """A copy of `answers` lightly disguised: renamed, respaced, commented, one small change per question."""
    copied = {}
    for question, sources in answers.items():
        copied[question] = [disguise(source, rng, keep) for source in sources]
        copied[question][-1] = small_change(copied[question][-1], rng)
    return copied


def source_roles(count: int, taken: set[int], rng: random.Random) -> tuple[list[int], list[int]]:
    """(students who copy the reference, students who copy the earlier term's submission), among the others."""
    others = [index for index in range(count) if index not in taken]
    wanted = (max(1, count // REFERENCE_COPY_EVERY), max(1, count // EARLIER_COPY_EVERY))
    if len(others) - sum(wanted) < MIN_INDEPENDENT:
        return [], []
    chosen = rng.sample(others, sum(wanted))
    return sorted(chosen[: wanted[0]]), sorted(chosen[wanted[0] :])


def write_earlier_term(
    folder: Path, stubs: dict, pools: dict[str, pool.Pool], snippets: list[str], seed: str
) -> tuple[Path, dict]:
    """Write the earlier term's submission (an independent student of its own) into `folder`; (zip, its answers)."""
    rng = random.Random(seed)
    answers = {
        name: own_answers(cells, pools[name], keep, snippets, rng, "earlier")
        for name, (_, keep, cells, _) in stubs.items()
    }
    folder.mkdir()
    path = submission_zip(
        folder,
        *EARLIER_TERM,
        {
            name: submitted_notebook(
                stubs[name][0], answers[name], student_outputs(stubs[name][0], rng)
            )
            for name in stubs
        },
    )
    return path, answers


def variant_answers(release_root: Path, names) -> dict[str, list[dict[str, list[str]]]]:
    """{assignment: each variant's answers ({question: cell sources})} of `reference/variants/`."""
    found = {}
    for name in names:
        folder = release_root / "reference" / "variants"
        variants = load_variants(folder, name) if (folder / name).is_dir() else []
        found[name] = []
        for variant in variants:
            answers: dict[str, list[str]] = {}
            for question, source in variant.cells:
                answers.setdefault(question, []).append(source)
            found[name].append(answers)
    return found


def latin_answers(
    variants: dict[str, list[dict[str, list[str]]]], student: int, shifts: dict[str, int]
) -> dict[str, dict[str, list[str]]]:
    """Variant student `student`'s answers: per question the variant `(student + shift) mod count`."""
    found = {}
    for name, answers in variants.items():
        questions = list(answers[0])
        found[name] = {
            q: answers[(student + shifts[f"{name}:{q}"]) % len(answers)][q] for q in questions
        }
    return found


def write_class(folder: Path, count: int, release_root: Path) -> SyntheticClass:
    """Write `count` synthetic zips into `folder`, and the earlier term's zip into `folder/earlier-term/`.

    Built from the released notebooks (`release_root/student/`), the reference solutions
    (`release_root/autograder/`) and the pools of independent answers the release's declarations
    name: every assignment that has all three is in the class.
    """
    rng = random.Random(count)
    pools = pool.load_pools(release_registry(release_root))
    release_dir, autograder_dir = release_root / "student", release_root / "autograder"
    stubs = {}
    for name in pools:
        path = release_dir / name / f"{name}.ipynb"
        if path.exists() and (autograder_dir / name / f"{name}.ipynb").exists():
            stub = nbformat.read(path, as_version=4)
            keep = fingerprints.BUILTIN_NAMES | defined_names(
                c.source for c in stub.cells if c.cell_type == "code"
            )
            cells = {
                q: [stub.cells[i].source for i in indices]
                for q, indices in answer_cells(stub).items()
            }
            stubs[name] = (stub, keep, cells, reference_answers(name, autograder_dir))
    snippets = [helper_source(rng, f"shared{k}", SNIPPET_LINES) for k in range(max(1, count // 2))]
    copies = {k: rng.randrange(k) for k in range(COPY_EVERY - 1, count, COPY_EVERY)} or {
        count - 1: 0
    }
    copies_reference, copies_earlier = source_roles(count, set(copies), rng)
    variants = {
        name: found for name, found in variant_answers(release_root, stubs).items() if found
    }
    taken = set(copies) | set(copies_reference) | set(copies_earlier)
    free = [index for index in range(count) if index not in taken]
    writers = min((len(found) for found in variants.values()), default=0)
    writers = min(writers, len(free) - MIN_INDEPENDENT) if len(free) > MIN_INDEPENDENT else 0
    variant_students = {index: k for k, index in enumerate(sorted(rng.sample(free, writers)))}
    shifts = {
        f"{name}:{q}": rng.randrange(len(found))
        for name, found in variants.items()
        for q in found[0]
    }
    planted, earlier, earlier_name = SyntheticClass(), {}, ""
    if copies_earlier:
        path, earlier = write_earlier_term(
            folder / EARLIER_FOLDER, stubs, pools, snippets, f"{count}-earlier"
        )
        planted.against.append(path)
        earlier_name = path.stem  # how `hw3 similarity --against` names a zip
    written = {}
    for index in range(count):
        student_rng = random.Random(f"{count}-{index}")
        own_variants = (
            latin_answers(variants, variant_students[index], shifts)
            if index in variant_students
            else {}
        )
        notebooks = {}
        for name, (stub, keep, cells, reference) in stubs.items():
            outputs = student_outputs(stub, student_rng)
            if index in copies:
                original = written[copies[index]][name]
                answers = {
                    q: [disguise(s, student_rng, keep) for s in sources]
                    for q, sources in original["answers"].items()
                }
                outputs = original["outputs"]  # copied the executed notebook
            elif index in copies_reference:
                answers = light_copy(reference, keep, student_rng)
            elif index in copies_earlier:
                answers = light_copy(earlier[name], keep, student_rng)
            elif name in own_variants:
                answers = {
                    q: [disguise(s, student_rng, keep) for s in sources]
                    for q, sources in own_variants[name].items()
                }
            else:
                answers = own_answers(cells, pools[name], keep, snippets, student_rng, str(index))
            notebooks[name] = {"answers": answers, "outputs": outputs}
        written[index] = notebooks
        file = submission_zip(
            folder,
            *student_identity(index),
            {
                name: submitted_notebook(stubs[name][0], nb["answers"], nb["outputs"])
                for name, nb in notebooks.items()
            },
        ).name
        if index in copies:
            original = zip_name(*student_identity(copies[index]))
            planted.pair_copies.append((original, file))
            planted.origins[file] = planted.origins[original]
            planted.kinds[file] = COPY
        elif index in copies_reference or index in copies_earlier:
            source = REFERENCE if index in copies_reference else earlier_name
            planted.source_copies.setdefault(source, []).append(file)
            planted.origins[file] = source
            planted.kinds[file] = SOURCE_COPY
        else:
            planted.origins[file] = file
            planted.kinds[file] = VARIANT if index in variant_students else POOL
    return planted
