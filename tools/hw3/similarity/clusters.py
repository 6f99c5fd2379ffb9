"""Clusters: one answer shared by more submissions than the pair scores look at.

Pairs ignore fingerprints held by more than `max_common` submissions. Those are not starter code
(it was subtracted when the regions were built), so they are either the natural idioms that
independent students reach one statement at a time, each idiom held by its own unrelated set of
students, or a solution that many copied: then many fingerprints, across its questions, are held
by nearly the same set of submissions. So fingerprints are grouped by who holds them:

- a seed is a holder set shared by SEED_MIN_PRINTS fingerprints or more (copied code comes in
  runs), with the holder sets at least CLUSTER_SIMILARITY alike to it (Jaccard), largest first;
- its members are the submissions holding at least CLUSTER_MEMBER_SHARE of the seed's fingerprints;
- the cluster's code is every common fingerprint of the seed's questions that CLUSTER_CORE_SHARE
  of the members hold (a copied answer holds idioms others write too);
- it is a cluster when the seed is large (SEED_MIN_SIZE fingerprints, a copied answer of a few
  lines) and the cluster's code is most of its members' common code in those questions
  (median coverage at least CLUSTER_MIN_COVERAGE): one natural idiom is a small part of an answer,
  and so are all the idioms nearly everyone writes, taken together.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from hw3.similarity.compare import source_regions
from hw3.similarity.sources import Source
from hw3.similarity.submissions import Submission

CLUSTER_SIMILARITY = 0.8  # holder sets this alike (Jaccard) hold the same copied code
SEED_MIN_PRINTS = (
    2  # copied code comes in runs held by one set: a holder set of one fingerprint seeds nothing
)
SEED_MIN_SIZE = 20  # fingerprints of a seed that makes a cluster: several lines of one answer
CLUSTER_MEMBER_SHARE = 0.5  # a submission holding this share of a seed's fingerprints is a member
CLUSTER_CORE_SHARE = (
    0.8  # a common fingerprint this share of the members hold is the cluster's code
)
CLUSTER_MIN_COVERAGE = (
    0.5  # a cluster's code is at least this share of a typical member's common code there
)

Item = tuple[str, int]  # (assignment:question, fingerprint)


@dataclass
class Cluster:
    """Submissions sharing one body of code that more than `max_common` of them hold."""

    members: list[int]  # submission indices, the largest share first
    shares: dict[int, float]  # member -> share of the cluster's code it holds
    coverage: dict[
        int, float
    ]  # member -> share of its common code in the cluster's questions that is the cluster's
    questions: dict[str, int]  # key -> the cluster's fingerprints in that question, in key order
    code: list[Item]  # the cluster's fingerprints
    source: tuple[str, float] | None = (
        None  # the known source holding most of the cluster's code, and the share
    )

    @property
    def size(self) -> int:
        """The cluster's fingerprints in all."""
        return len(self.code)


def holder_masks(
    submissions: list[Submission], keys: list[str], common: dict[str, set]
) -> dict[Item, int]:
    """{common fingerprint: its holder set, as a bit mask over submission indices}."""
    masks: dict[Item, int] = {}
    for index, submission in enumerate(submissions):
        bit = 1 << index
        for key in keys:
            region = submission.regions.get(key)
            if region is None or not common.get(key):
                continue
            for value in region.prints.keys() & common[key]:
                masks[key, value] = masks.get((key, value), 0) | bit
    return masks


def by_holders(masks: dict[Item, int]) -> dict[int, list[Item]]:
    """{holder set: the fingerprints held by exactly that set}."""
    found: dict[int, list[Item]] = {}
    for item, mask in masks.items():
        found.setdefault(mask, []).append(item)
    return found


def similar(a: int, b: int) -> float:
    """Jaccard similarity of two holder sets given as bit masks."""
    return (a & b).bit_count() / (a | b).bit_count()


def group_masks(by_mask: dict[int, list[Item]]) -> list[list[int]]:
    """Holder sets of SEED_MIN_PRINTS fingerprints or more, each with the most similar group leader (the group's first).

    The rest still count in a cluster's code (`as_cluster`); leaving them out keeps this quadratic
    loop to the few hundred holder sets that hold runs of code.
    """
    groups: list[list[int]] = []
    seeds = [mask for mask, items in by_mask.items() if len(items) >= SEED_MIN_PRINTS]
    for mask in sorted(seeds, key=lambda m: (-len(by_mask[m]), -m.bit_count(), m)):
        count = mask.bit_count()
        best, best_score = None, CLUSTER_SIMILARITY
        for group in groups:
            leader = group[0]
            # Jaccard cannot reach the bar when the sizes alone differ too much
            if min(count, leader.bit_count()) < CLUSTER_SIMILARITY * max(count, leader.bit_count()):
                continue
            score = similar(mask, leader)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            groups.append([mask])
        else:
            best.append(mask)
    return groups


def bits(mask: int) -> list[int]:
    """The submission indices set in `mask`."""
    found, index = [], 0
    while mask:
        if mask & 1:
            found.append(index)
        mask >>= 1
        index += 1
    return found


def as_cluster(
    seed: list[Item],
    masks: dict[Item, int],
    submissions: list[Submission],
    keys: list[str],
    common: dict[str, set],
) -> Cluster | None:
    """The Cluster a seed makes, or None when it is too small or a minor part of its members' common code.

    Coverage is over a member's common code only (what the pairs ignore): code of its own, or that
    it shares with few, neither makes a cluster nor hides one.
    """
    if len(seed) < SEED_MIN_SIZE:
        return None
    held: Counter = Counter()
    for item in seed:
        held.update(bits(masks[item]))
    members = [index for index, count in held.items() if count >= CLUSTER_MEMBER_SHARE * len(seed)]
    if len(members) < 2:
        return None
    member_mask = sum(1 << index for index in members)
    questions = {key for key, _ in seed}
    code = [
        item
        for item, mask in masks.items()
        if item[0] in questions
        and (mask & member_mask).bit_count() >= CLUSTER_CORE_SHARE * len(members)
    ]
    inside: Counter = Counter()
    for item in code:
        inside.update(bits(masks[item] & member_mask))
    coverage = {}
    for index in members:
        regions = submissions[index].regions
        own = sum(
            len(regions[key].prints.keys() & common[key]) for key in questions if key in regions
        )
        coverage[index] = inside[index] / own if own else 0.0
    if statistics.median(coverage.values()) < CLUSTER_MIN_COVERAGE:
        return None
    members.sort(key=lambda index: (-inside[index], index))
    counts = Counter(key for key, _ in code)
    return Cluster(
        members,
        {index: inside[index] / len(code) for index in members},
        coverage,
        {key: counts[key] for key in keys if key in counts},
        code,
    )


def as_mask(cluster: Cluster) -> int:
    """The cluster's members as a bit mask."""
    return sum(1 << index for index in cluster.members)


def best_source(
    cluster_items: list[Item], sources: list[Source], keys: list[str]
) -> tuple[str, float] | None:
    """(name, share of the cluster's fingerprints it holds) of the known source holding the most of them."""
    best = None
    for source in sources:
        regions = source_regions(source, keys)
        held = sum(
            1 for key, value in cluster_items if key in regions and value in regions[key].prints
        )
        share = held / len(cluster_items)
        if share and (best is None or share > best[1]):
            best = (source.name, share)
    return best


def find_clusters(
    submissions: list[Submission], keys: list[str], common: dict[str, set], sources: list[Source]
) -> list[Cluster]:
    """The clusters among the fingerprints dropped as common (`common`: key -> fingerprints), largest first."""
    masks = holder_masks(submissions, keys, common)
    by_mask = by_holders(masks)
    clusters = []
    for group in group_masks(by_mask):
        cluster = as_cluster(
            [item for mask in group for item in by_mask[mask]], masks, submissions, keys, common
        )
        if cluster is not None and not any(
            similar(as_mask(cluster), as_mask(found)) >= CLUSTER_SIMILARITY for found in clusters
        ):  # two seeds of one copied answer
            cluster.source = best_source(cluster.code, sources, keys)
            clusters.append(cluster)
    return sorted(clusters, key=lambda c: (-len(c.members), -c.size, c.members))
