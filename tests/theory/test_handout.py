"""The template asks what the handout asks: the committed copy of the handout's section 1 is the handout's,
and the template's twenty prompts carry every ask of its items (their key phrases), in its order,
numbering, section titles and notation, word for word, with guidance marked apart and no answer given
away."""

import hashlib
import os
import re
from pathlib import Path

import pytest
from support import REPO, REPOSITORY
from theory.asks import (
    latex_tokens,
    markdown_tokens,
    missing_asks,
    template_prompts,
    without_guidance,
)
from theory.handout import ITEMS

from hw3.theory.handout import (
    HANDOUT_NAME,
    HandoutError,
    parse_handout,
    read_handout,
    section_one,
    title_block,
)
from hw3.theory.template import TEMPLATE_NAME

HANDOUT_COPY = REPOSITORY.theory / HANDOUT_NAME
TEMPLATE = REPOSITORY.theory / TEMPLATE_NAME
# Where the course's workspace keeps the handout as published, beside the repository (or named by
# HW3_HANDOUT): the copy must not drift from it. Where it is not at hand (a clone elsewhere, CI), the
# copy is held to the sha256 of the published section 1 and title block, taken on 2026-12-03.
PUBLISHED_HANDOUT = Path(os.environ.get("HW3_HANDOUT", REPO.parent / "shared" / "HANDOUT.md"))
PUBLISHED_SHA256 = {
    "section_one": "d4215453b66b34c9a34b1682835ab1373612fb42f4c18fa5d0ca252afd696143",
    "title_block": "ce6387a30c0cfc6264b1b7b67c437223c0f80660883e1db129ade3ad53180fe1",
}
ITEM_NAMES = [f"{group} ({n})" for group, n in ITEMS]
# \section{...}, \subsection{...}, \subsubsection{...} of the template, in order.
SECTIONING = re.compile(r"^\\(section|subsection|subsubsection)\{(.+)\}\s*$", re.MULTILINE)
GUIDANCE_LABEL = "Guidance (not part of the question)"
# What a template once gave away or added (issue 26): none of it may appear in a prompt or its guidance.
GIVEN_AWAY = [
    "lion",
    "milk",
    "water tap",
    "one against exploding",
    "one against vanishing",
    "\\partial c(t)",
    "\\partial c^{(t)}",
    "update gate",
    "reset gate",
    "lower or a higher",
]


@pytest.fixture(scope="module")
def handout():
    return read_handout(HANDOUT_COPY)


@pytest.fixture(scope="module")
def prompts():
    return template_prompts(TEMPLATE.read_text(encoding="utf-8"))


def test_committed_handout_copy_is_the_published_handouts_title_block_and_section_one():
    copy = HANDOUT_COPY.read_text(encoding="utf-8")
    for part in (section_one, title_block):
        digest = hashlib.sha256(part(copy).encode("utf-8")).hexdigest()
        assert digest == PUBLISHED_SHA256[part.__name__], (
            f"{HANDOUT_COPY}: {part.__name__} was edited"
        )
    if PUBLISHED_HANDOUT.is_file():  # the course's own copy, when the workspace has it
        published = PUBLISHED_HANDOUT.read_text(encoding="utf-8")
        assert section_one(copy) == section_one(published), f"{HANDOUT_COPY}: section 1 differs"
        assert title_block(copy) == title_block(published), f"{HANDOUT_COPY}: title block differs"


def test_handout_copy_has_the_twenty_items_in_order(handout):
    assert [item.name for item in handout.items] == ITEM_NAMES
    assert (handout.course, handout.semester) == ("Deep Learning", "Fall 2025")
    assert handout.homework == "Homework 3: Recurrent Neural Networks Language Modeling"


def test_sub_points_belong_to_the_item_above_them(handout):
    """The handout indents its sub-points by two spaces, which ends the numbered list in CommonMark."""
    assert handout.item("1.1.2 (1)").text.count("\n- ") == 9
    assert handout.item("1.1.3 (2)").text.count("\n- ") == 3
    assert handout.item("1.2.1 (3)").text.count("\n- ") == 3
    assert "Provide the complete set" in handout.item("1.1.2 (2)").text


def test_a_handout_without_section_one_is_refused_with_one_line():
    with pytest.raises(HandoutError, match="no title block or no '# 1 ...' section"):
        parse_handout("# Deep Learning\n\nSemester: Fall 2025\n", source="handout.md")


@pytest.mark.parametrize("item", ITEM_NAMES)
def test_key_phrases_are_the_handouts_own_words(handout, item):
    assert missing_asks(markdown_tokens(handout.item(item).text), item) == []


@pytest.mark.parametrize("item", ITEM_NAMES)
def test_template_prompt_carries_every_ask_of_the_handout_item(prompts, item):
    assert item in prompts, f"{TEMPLATE_NAME} has no \\question for {item}"
    missing = missing_asks(latex_tokens(prompts[item]), item)
    assert missing == [], f"{item}: the template's prompt drops {missing}"


@pytest.mark.parametrize("item", ITEM_NAMES)
def test_template_prompt_is_the_handouts_item_word_for_word(handout, prompts, item):
    """Nothing dropped and nothing added: the prompt's words and formulas, guidance left out, are the
    handout's, in its order (punctuation and markup aside)."""
    assert latex_tokens(prompts[item]) == markdown_tokens(handout.item(item).text)


def test_template_numbers_and_titles_its_sections_like_the_handout(handout, prompts):
    template = TEMPLATE.read_text(encoding="utf-8")
    titles = [title.replace("\\&", "&") for _, title in SECTIONING.findall(template)]
    assert titles == [heading.title for heading in handout.headings]
    assert list(prompts) == ITEM_NAMES


def test_template_gives_nothing_away_in_prompts_or_guidance(prompts):
    for item, prompt in prompts.items():
        found = [phrase for phrase in GIVEN_AWAY if phrase.lower() in prompt.lower()]
        assert found == [], f"{item}: {found}"


def test_template_guidance_is_labelled_apart_from_the_prompts():
    template = TEMPLATE.read_text(encoding="utf-8")
    assert f"\\textit{{{GUIDANCE_LABEL}:}}" in template, (
        "\\guidance does not say it is not a question"
    )
    assert without_guidance(template).count("\\guidance{") == 0
    assert template.count("\\guidance{") >= 2  # the notation, and where the LSTM drawing goes


def test_template_writes_in_the_handouts_notation():
    template = TEMPLATE.read_text(encoding="utf-8")
    for old in ("x(t)", "h(t)", "h(t-1)", "c(t)", "L(T)"):
        assert old not in template, (
            f"{TEMPLATE_NAME} writes {old}: the handout writes superscripts, x^{{(t)}}"
        )
