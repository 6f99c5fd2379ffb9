"""Clusters (hw3.similarity.clusters) on fabricated fingerprints: what they group and what they leave alone.

A fabricated class answers two questions. Independent students compose each answer from steps,
one of three ways per step, each way a run of fingerprints; a leak is one whole answer, copied by
some students with one small change each (two fingerprints of their own instead of two of the
leak's); everyone writes the same dictated idiom.
"""

import random
from pathlib import Path

import pytest

from hw3.similarity import clusters
from hw3.similarity.clusters import SEED_MIN_SIZE
from hw3.similarity.compare import compare
from hw3.similarity.sources import Source
from hw3.similarity.submissions import Region, Submission

KEYS = ["hafez:q6_perplexity", "hafez:q7_sample"]
STEPS, WAYS, PRINTS_PER_WAY = 6, 3, 5
LEAK_PRINTS = 40
DICTATED_PRINTS = (
    12  # per question: together more than a seed needs, so only coverage keeps them out
)
CHANGED = 2  # fingerprints of the leak each copier loses to a change of their own
CLASS_SIZE, MAX_COMMON = 60, 6


def region(prints) -> Region:
    return Region(cells=[], starter=[], tokens=[], prints={value: [0] for value in prints})


def way_prints(key: str, step: int, way: int) -> list[int]:
    """The fingerprints of one way of writing one step: distinct numbers per question, step and way."""
    base = (KEYS.index(key) + 1) * 100_000 + step * 1_000 + way * 100
    return list(range(base, base + PRINTS_PER_WAY))


def leak_prints(key: str) -> list[int]:
    base = (KEYS.index(key) + 1) * 100_000 + 90_000
    return list(range(base, base + LEAK_PRINTS))


def dictated(key: str) -> list[int]:
    base = (KEYS.index(key) + 1) * 100_000 + 95_000
    return list(range(base, base + DICTATED_PRINTS))


def independent(rng: random.Random, key: str, index: int) -> list[int]:
    own = [
        10_000_000 + 1000 * index + KEYS.index(key) * 100 + k for k in range(8)
    ]  # helpers of their own
    steps = [p for step in range(STEPS) for p in way_prints(key, step, rng.randrange(WAYS))]
    return steps + own + dictated(key)


def copier(rng: random.Random, key: str, index: int) -> list[int]:
    prints = leak_prints(key)
    for at in rng.sample(range(len(prints)), CHANGED):
        prints[at] = 20_000_000 + 1000 * index + at
    return prints + dictated(key)


def fabricated_class(copiers: set[int], keys_copied=KEYS, seed: int = 0) -> list[Submission]:
    rng = random.Random(seed)
    students = []
    for index in range(CLASS_SIZE):
        regions = {
            key: region(
                copier(rng, key, index)
                if index in copiers and key in keys_copied
                else independent(rng, key, index)
            )
            for key in KEYS
        }
        students.append(Submission(Path(f"{index}.zip"), str(index), None, regions))
    return students


def clusters_of(students, sources=()):
    _, common = compare(students, KEYS, MAX_COMMON)
    return clusters.find_clusters(students, KEYS, common, list(sources))


def test_leak_copied_by_more_than_max_common_is_one_cluster_of_exactly_its_copiers():
    copiers = set(
        range(5, 5 + 3 * (MAX_COMMON + 2), 3)
    )  # spread over the class, more than max_common
    found = clusters_of(fabricated_class(copiers))
    assert len(found) == 1
    cluster = found[0]
    assert set(cluster.members) == copiers
    assert list(cluster.questions) == KEYS and cluster.size >= 2 * (LEAK_PRINTS - CHANGED)
    assert min(cluster.coverage.values()) > clusters.CLUSTER_MIN_COVERAGE


def test_leak_copied_in_one_question_is_a_cluster_of_that_question():
    copiers = set(range(0, 2 * MAX_COMMON + 2))
    found = clusters_of(fabricated_class(copiers, keys_copied=KEYS[1:]))
    assert [(set(c.members), list(c.questions)) for c in found] == [(copiers, KEYS[1:])]


def test_natural_steps_and_the_dictated_idiom_form_no_cluster():
    # a way is too small to seed a cluster; the dictated idioms together are not: coverage keeps them out
    assert PRINTS_PER_WAY < SEED_MIN_SIZE <= DICTATED_PRINTS * len(KEYS)
    students = fabricated_class(set())
    _, common = compare(students, KEYS, MAX_COMMON)
    assert all(
        set(way_prints(key, 0, 0)) <= common[key] and set(dictated(key)) <= common[key]
        for key in KEYS
    ), "the steps and the idiom are held by more than max_common: the pairs ignore them"
    assert clusters_of(students) == []


def test_leak_held_by_no_more_than_max_common_is_left_to_the_pairs():
    assert clusters_of(fabricated_class(set(range(MAX_COMMON)))) == []


def test_cluster_names_the_known_source_holding_its_code():
    copiers = set(range(0, 2 * MAX_COMMON))
    leaked = Source("leaked", "online.ipynb", {key: region(leak_prints(key)) for key in KEYS})
    other = Source("other", "other.ipynb", {key: region(way_prints(key, 0, 0)) for key in KEYS})
    (cluster,) = clusters_of(fabricated_class(copiers), [other, leaked])
    # the cluster's code is the leak and the idioms its copiers write like everyone
    assert cluster.source[0] == "leaked"
    assert cluster.source[1] == pytest.approx(
        LEAK_PRINTS / (LEAK_PRINTS + DICTATED_PRINTS), abs=0.05
    )
