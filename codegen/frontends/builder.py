"""Build a float TreeEnsemble node by node, for frontends whose splits the IR cannot hold as
one `x <= t` node (LightGBM's zero band and categorical bitsets, HistGradientBoosting's
categorical bitsets).

Such a split is a function of x that is constant on float intervals: `interval_split` writes
it as a balanced chain of `x <= cut` nodes over the interval bounds, each chain leaf leading
to its own copy of the child subtree (the IR requires one parent per node). The size cost:
a split whose left set is k intervals costs up to 2k threshold nodes, and its children are
copied k (left) and k + 1 (right) times, recursively.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from codegen.errors import UserError
from codegen.ir.model import (
    POST_ARGMAX,
    POST_IDENTITY,
    POST_NONNEGATIVE,
    POST_POSITIVE,
    PROBA_SIGMOID,
    PROBA_SOFTMAX,
    SCORES_MARGIN,
    SUM_FLOAT64,
    InputSpec,
    SourceFacts,
    TreeEnsemble,
)


def joined_ensemble(parts: Mapping[str, list[np.ndarray]], roots: Sequence[int], n_outputs: int,
                    **fields) -> TreeEnsemble:
    """A TreeEnsemble from per-tree blocks of node arrays ("feature", "threshold", "left",
    "right", "missing": missing goes left; "leaves": rows of n_outputs values), joined in
    order; `fields` are the rest (input, base_score, post, estimator, ...)."""
    joined = {name: np.concatenate(blocks) if blocks else np.zeros(0) for name, blocks in parts.items()}
    return TreeEnsemble(
        feature=joined["feature"].astype(np.int32),
        threshold=joined["threshold"].astype(np.float64),
        left=joined["left"].astype(np.int32),
        right=joined["right"].astype(np.int32),
        missing_left=joined["missing"].astype(bool),
        roots=np.asarray(roots, dtype=np.int32),
        leaf_values=joined["leaves"].reshape(-1, n_outputs),
        **fields,
    )


class EnsembleBuilder:
    def __init__(self, n_outputs: int):
        self.n_outputs = n_outputs
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.left: list[int] = []
        self.right: list[int] = []
        self.missing_left: list[bool] = []
        self.leaf_rows: list[np.ndarray] = []
        self.roots: list[int] = []

    def leaf(self, value: float, output: int = 0) -> int:
        """A leaf adding `value` to score `output`; returns its encoded child index."""
        row = np.zeros(self.n_outputs)
        row[output] = value
        self.leaf_rows.append(row)
        return -len(self.leaf_rows)

    def split(self, feature: int, threshold: float, missing_left: bool,
              emit_left: Callable[[], int], emit_right: Callable[[], int]) -> int:
        """A node `x <= threshold`; children are emitted after the node (pre-order)."""
        index = len(self.feature)
        self.feature.append(int(feature))
        self.threshold.append(float(threshold))
        self.missing_left.append(bool(missing_left))
        self.left.append(0)
        self.right.append(0)
        self.left[index] = emit_left()
        self.right[index] = emit_right()
        return index

    def interval_split(self, feature: int, cuts: Sequence[float], sides: Sequence[bool],
                       nan_left: bool, emit: Callable[[bool], int]) -> int:
        """Route x to `emit(True)` (left) or `emit(False)` (right): segment j of the sorted
        `cuts` (cuts[j-1] < x <= cuts[j]) goes to sides[j]; NaN goes to nan_left."""
        cuts, sides = _merge_equal_neighbours(list(cuts), list(sides))
        if not cuts:
            if sides[0] == nan_left:
                return emit(nan_left)
            # every number goes one way and NaN the other: one node that only NaN fails
            return self.split(feature, np.inf, nan_left, lambda: emit(sides[0]), lambda: emit(nan_left))
        return self._chain(feature, cuts, sides, nan_left, emit)

    def _chain(self, feature, cuts, sides, nan_left, emit) -> int:
        if not cuts:
            return emit(sides[0])
        middle = len(cuts) // 2
        low_sides, high_sides = sides[: middle + 1], sides[middle + 1:]
        # NaN walks the chain by missing_left: towards a half that holds a segment of its side
        nan_goes_low = nan_left in low_sides
        return self.split(
            feature, cuts[middle], nan_goes_low,
            lambda: self._chain(feature, cuts[:middle], low_sides, nan_left, emit),
            lambda: self._chain(feature, cuts[middle + 1:], high_sides, nan_left, emit),
        )

    def add_tree(self, root: int) -> None:
        """Record a tree's root (a node index or an encoded leaf), once it is emitted."""
        self.roots.append(root)

    def ensemble(self, spec: InputSpec, base: np.ndarray, post: str, classes: tuple,
                 estimator: str, notes: tuple[str, ...] = (), source: SourceFacts | None = None) -> TreeEnsemble:
        return TreeEnsemble(
            input=spec,
            feature=np.asarray(self.feature, dtype=np.int32),
            threshold=np.asarray(self.threshold, dtype=np.float64),
            left=np.asarray(self.left, dtype=np.int32),
            right=np.asarray(self.right, dtype=np.int32),
            missing_left=np.asarray(self.missing_left, dtype=bool),
            roots=np.asarray(self.roots, dtype=np.int32),
            leaf_values=np.asarray(self.leaf_rows, dtype=np.float64).reshape(-1, self.n_outputs),
            base_score=np.asarray(base, dtype=np.float64).reshape(self.n_outputs),
            post=post,
            classes=classes,
            estimator=estimator,
            notes=notes,
            source=source or SourceFacts(),
        )


def boosting_facts(library: str, post: str, *, sigmoid: bool = True, softmax: bool = True,
                   offset: float = 0.0, sum_unit: float = SUM_FLOAT64) -> SourceFacts:
    """A booster's scores are raw margins; its probabilities are the sigmoid of its one margin
    (plus `offset`) or the softmax of its margins where its objective says so (`sigmoid`,
    `softmax`)."""
    proba = ""
    if sigmoid and post in (POST_POSITIVE, POST_NONNEGATIVE):
        proba = PROBA_SIGMOID
    elif softmax and post == POST_ARGMAX:
        proba = PROBA_SOFTMAX
    return SourceFacts(library=library, scores=SCORES_MARGIN, proba=proba,
                       proba_offset=offset if proba == PROBA_SIGMOID else 0.0, sum_unit=sum_unit)


def boosting_post(library: str, objective: str, n_classes: int, classes, identity_objectives: Sequence[str],
                  classifier_objectives: Sequence[str], links: Mapping[str, str]) -> tuple[str, tuple]:
    """What a boosting library's objective does after the sum: the raw score (identity links),
    or classes from one margin (binary: n_classes <= 2) or from argmax. `links` names what
    predict returns for the objectives mcugen refuses (a non-linear function of the sum)."""
    if objective in identity_objectives:
        return POST_IDENTITY, ()
    if objective not in classifier_objectives:
        supported = ", ".join((*classifier_objectives, *identity_objectives))
        if objective in links:
            raise UserError(f"{library} objective {objective!r}: predict returns {links[objective]}, which mcugen "
                            f"does not compute on the device; use one of {supported}")
        raise UserError(f"{library} objective {objective!r} is not one mcugen knows; use one of {supported}")
    count = max(n_classes, 2)
    classes = tuple(classes) if classes is not None else tuple(range(count))
    return (POST_POSITIVE if count == 2 else POST_ARGMAX), classes


def interval_split_shape(cuts: Sequence[float], sides: Sequence[bool], nan_left: bool) -> tuple[int, int, int]:
    """(threshold nodes, copies of the left child, copies of the right child) that
    `interval_split` makes for these segments: a size known before anything is built."""
    cuts, sides = _merge_equal_neighbours(list(cuts), list(sides))
    if not cuts:
        return (0, int(sides[0]), int(not sides[0])) if sides[0] == nan_left else (1, 1, 1)
    return len(cuts), sum(sides), len(sides) - sum(sides)


def _merge_equal_neighbours(cuts: list[float], sides: list[bool]) -> tuple[list[float], list[bool]]:
    """Drop the cuts between two segments that go the same way."""
    kept_cuts, kept_sides = [], [sides[0]]
    for cut, side in zip(cuts, sides[1:]):
        if side != kept_sides[-1]:
            kept_cuts.append(cut)
            kept_sides.append(side)
    return kept_cuts, kept_sides


def below(value: float) -> float:
    """The largest float32 strictly below float32 `value`: `x < value` == `x <= below(value)`
    for every float32 x (the cut to write a strict comparison as the IR's `<=`)."""
    return float(np.nextafter(np.float32(value), np.float32(-np.inf)))


def integer_intervals(members: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted non-negative integers -> maximal runs (first, last)."""
    runs: list[tuple[int, int]] = []
    for value in sorted(set(int(m) for m in members)):
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def segments_of(goes_left: Callable[[float], bool], cuts: Sequence[float]) -> tuple[list[float], list[bool]]:
    """A split given as a rule on float32 values, constant between the given `cuts` (every
    point where the rule may change, as `x <= cut`): the cuts rounded down to float32 and the
    side of each segment, found by evaluating the rule on a float32 inside it."""
    uppers = sorted({_round_down_to_float32(c) for c in cuts})
    sides = [goes_left(upper) for upper in uppers]
    last = uppers[-1] if uppers else -np.inf
    sides.append(goes_left(float(np.nextafter(np.float32(last), np.float32(np.inf)))) if last < np.inf else sides[-1])
    return uppers, sides


def _round_down_to_float32(value: float) -> float:
    """The largest float32 <= value (compared in float64: numpy would compare in float32)."""
    nearest = float(np.float32(value))
    return nearest if nearest <= value else below(nearest)
