"""What each theory item asks, as key phrases of the handout's wording, and the template's prompts read back
as the same kind of tokens, so that "the template asks what the handout asks" can be checked.

Tokens: the words of the prose (lower case, letters and digits) and the formulas (`$...$`, white space
removed), in reading order. Markdown emphasis, LaTeX markup, punctuation and the template's guidance
(`\\guidance{...}`, which is not part of a prompt) carry no tokens.
"""

import re

# Per item, the phrases that carry its asks, in the handout's words (each ask by its key words, so that a
# prompt that rewords the handout can still carry them). Plain phrases must appear as a run of words in
# the prompt; a phrase that starts with "$" is a formula that must appear as one formula, in the
# handout's notation.
KEY_PHRASES = {
    "1.1.1 (1)": ["vanishing", "exploding", "more severe", "feed-forward"],
    "1.1.1 (2)": [
        "shared weight matrix",
        "direct mathematical cause",
        "chain rule",
        "$L^{(T)}$",
        "$h^{(t)}$",
        "$t \\ll T$",
        "product of Jacobian matrices",
        "$W_{hh}$",
        "$\\frac{\\partial h^{(k)}}{\\partial h^{(k-1)}}$",
        "exponential decay or growth",
    ],
    "1.1.1 (3)": [
        "two",
        "techniques",
        "specify whether",
        "vanishing or the exploding",
        "mechanism",
    ],
    "1.1.2 (1)": [
        "diagram",
        "label",
        "$x^{(t)}$",
        "$h^{(t-1)}$",
        "$c^{(t-1)}$",
        "$f^{(t)}$",
        "$i^{(t)}$",
        "$o^{(t)}$",
        "$\\tilde{c}^{(t)}$",
        "$c^{(t)}$",
        "$h^{(t)}$",
    ],
    "1.1.2 (2)": [
        "equations",
        "forward pass",
        "forget gate",
        "input gate",
        "output gate",
        "candidate cell state",
        "cell state update",
        "hidden state",
        "roles",
        "sigmoid",
        "tanh",
    ],
    "1.1.2 (3)": [
        "separate cell state",
        "additive update",
        "vanishing gradient",
        "contrast",
        "vanilla RNN",
    ],
    "1.1.3 (1)": [
        "architecture",
        "Gated Recurrent Unit",
        "gating mechanisms",
        "cell state and hidden state",
        "single state",
    ],
    "1.1.3 (2)": [
        "comparison",
        "Architectural Differences",
        "gates and state vectors",
        "Computational Complexity",
        "computationally efficient",
        "number of parameters",
        "Performance Trade-offs",
        "observed in practice",
        "preferred",
    ],
    "1.1.4 (1)": [
        "Backpropagation Through Time",
        "two conceptual phases",
        "gradient-based optimization",
    ],
    "1.1.4 (2)": [
        "Truncated Backpropagation Through Time",
        "T-BPTT",
        "motivation",
        "mechanism",
        "computational feasibility",
        "sequential data",
    ],
    "1.2.1 (1)": ["word embedding", "dense", "low-dimensional", "sparse", "one-hot"],
    "1.2.1 (2)": ["distributional hypothesis", "motivating and shaping", "Word2Vec", "GloVe"],
    "1.2.1 (3)": [
        "CBOW",
        "Skip-gram",
        "objective functions",
        "trained to predict",
        "computational efficiency",
        "frequent versus rare words",
    ],
    "1.2.2 (1)": ["formal definition", "statistical language model", "primary task"],
    "1.2.2 (2)": [
        "RNN-based language model",
        "inputs",
        "each time step",
        "role of the hidden state",
        "output layer",
        "next word",
    ],
    "1.2.2 (3)": [
        "perplexity",
        "mathematical formula",
        "interpretation",
        "lower perplexity score signify",
    ],
    "1.2.3 (1)": [
        "primary limitation",
        "non-contextual",
        "Word2Vec or GloVe",
        "polysemous word",
        "single static vector",
        "different meanings",
    ],
    "1.2.3 (2)": [
        "ELMo or BERT",
        "contextualized word embeddings",
        "static vector lookup",
        "context-dependent",
        "downstream NLP tasks",
    ],
    "1.2.4 (1)": [
        "role and function",
        "softmax layer",
        "RNN-based language model",
        "logits",
        "valid probability distribution",
    ],
    "1.2.4 (2)": [
        "computational bottleneck",
        "large vocabularies",
        "part of the softmax equation",
        "computationally expensive",
        "Negative Sampling",
        "Hierarchical Softmax",
        "approximates the full softmax",
        "computational complexity",
    ],
}

MATH = re.compile(r"\$([^$]+)\$")
WORD = re.compile(r"[a-z0-9]+")
LATEX_COMMENT = re.compile(r"(?<!\\)%.*$", re.MULTILINE)
LATEX_MARKUP = re.compile(
    r"\\(?:begin|end)\{\w+\}|\\[a-zA-Z]+|[{}]"
)  # environments, commands, braces
MARKDOWN_MARKUP = re.compile(r"\*\*|\\(?=[_*])|^\s*[-*]\s+", re.MULTILINE)  # bold, escapes, bullets
GUIDANCE = "\\guidance{"
# A prompt: from the item's \question{1.1.1-1} to its answer box.
PROMPT = re.compile(r"\\question\{(\d\.\d\.\d)-(\d)\}(.*?)\\begin\{answer\}", re.DOTALL)


def _tokens(prose: str) -> list[str]:
    """Words and formulas of text whose markup is already gone: formulas as "$...$" without spaces."""
    tokens = []
    for n, piece in enumerate(MATH.split(prose)):
        if n % 2:
            tokens.append("$" + "".join(piece.split()) + "$")
        else:
            tokens.extend(WORD.findall(piece.lower()))
    return tokens


def markdown_tokens(markdown: str) -> list[str]:
    """The tokens of a handout item (Markdown)."""
    return _tokens(MARKDOWN_MARKUP.sub(" ", markdown))


def without_guidance(latex: str) -> str:
    """`latex` with every \\guidance{...} (balanced braces) removed."""
    while (start := latex.find(GUIDANCE)) >= 0:
        depth, end = 0, len(latex) - 1
        for position in range(start + len(GUIDANCE) - 1, len(latex)):
            if latex[position - 1] != "\\":
                depth += {"{": 1, "}": -1}.get(latex[position], 0)
            if depth == 0:
                end = position
                break
        latex = latex[:start] + latex[end + 1 :]
    return latex


def latex_tokens(latex: str) -> list[str]:
    """The tokens of a template prompt (LaTeX), guidance and comments left out; math keeps its commands."""
    text = without_guidance(LATEX_COMMENT.sub("", latex))
    pieces = MATH.split(text)
    return _tokens(
        "".join(
            f"${piece}$" if n % 2 else LATEX_MARKUP.sub(" ", piece).replace("---", " ")
            for n, piece in enumerate(pieces)
        )
    )


def template_prompts(template: str) -> dict[str, str]:
    """Item name ("1.1.1 (1)") -> the LaTeX of its prompt in the template."""
    return {f"{group} ({n})": body for group, n, body in PROMPT.findall(template)}


def phrase_tokens(phrase: str) -> list[str]:
    return _tokens(phrase)


def contains(tokens: list[str], phrase: str) -> bool:
    """Whether the phrase's tokens occur as one contiguous run in `tokens` (formulas compared whole)."""
    wanted = phrase_tokens(phrase)
    words = tokens if wanted[0].startswith("$") else [t for t in tokens if not t.startswith("$")]
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def missing_asks(prompt_tokens: list[str], item: str) -> list[str]:
    """The key phrases of `item` that the prompt does not carry."""
    return [phrase for phrase in KEY_PHRASES[item] if not contains(prompt_tokens, phrase)]
