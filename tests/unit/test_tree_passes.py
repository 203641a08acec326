"""The tree lowering passes on small hand-built IRs:

- `lower_thresholds` with integer input: `q <= Q` decides exactly as scikit-learn's
  `float32(scale * (q - zero_point)) <= t`, over every int8/uint8 value and sampled int16 values;
- `prune_constant_splits` removes splits no input value can take both ways, and no decision changes;
- `quantize_leaves` never lets a partial sum overflow int32 and its error bound holds.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegen.input_types import INPUT_TYPES
from codegen.ir.model import POST_IDENTITY, InputSpec, TreeEnsemble
from codegen.ir.validate import validate_trees
from codegen.passes.lower_thresholds import lower_thresholds
from codegen.passes.prune_constant_splits import prune_constant_splits
from codegen.passes.quantize_leaves import quantize_leaves

# ---- hand-built IRs -----------------------------------------------------------------------------


def stumps(spec: InputSpec, thresholds, features=None, leaf_values=None) -> TreeEnsemble:
    """One single-split tree per threshold; tree i's leaves are 2i (left) and 2i+1 (right)."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    n = len(thresholds)
    index = np.arange(n)
    if leaf_values is None:
        leaf_values = np.arange(2 * n, dtype=np.float64).reshape(-1, 1)
    return TreeEnsemble(
        input=spec,
        feature=np.zeros(n, np.int32) if features is None else np.asarray(features, np.int32),
        threshold=thresholds,
        left=(-(2 * index) - 1).astype(np.int32),
        right=(-(2 * index + 1) - 1).astype(np.int32),
        missing_left=np.zeros(n, bool),
        roots=index.astype(np.int32),
        leaf_values=np.asarray(leaf_values, np.float64),
        base_score=np.zeros(np.asarray(leaf_values).shape[1]),
        post=POST_IDENTITY,
    )


def chain(spec: InputSpec, thresholds, features) -> TreeEnsemble:
    """One tree: node i's left child is leaf i, its right child node i+1; the last node's
    right child is the last leaf."""
    n = len(thresholds)
    index = np.arange(n)
    right = np.where(index < n - 1, index + 1, -(n + 1)).astype(np.int32)
    return TreeEnsemble(
        input=spec,
        feature=np.asarray(features, np.int32),
        threshold=np.asarray(thresholds, np.float64),
        left=(-index - 1).astype(np.int32),
        right=right,
        missing_left=np.zeros(n, bool),
        roots=np.array([0], np.int32),
        leaf_values=np.arange(n + 1, dtype=np.float64).reshape(-1, 1),
        base_score=np.zeros(1),
        post=POST_IDENTITY,
    )


def leaf_reached(ir: TreeEnsemble, q: np.ndarray, tree: int = 0) -> np.ndarray:
    """Walk one tree with integer rows q (rows x features), lowered integer thresholds."""
    out = np.empty(len(q), dtype=np.int64)
    for r, row in enumerate(q):
        child = int(ir.roots[tree])
        while child >= 0:
            go_left = int(row[ir.feature[child]]) <= int(ir.threshold[child])
            child = int(ir.left[child] if go_left else ir.right[child])
        out[r] = -child - 1
    return out


def interesting_thresholds(spec: InputSpec, rng: np.random.Generator, n_random: int = 200) -> np.ndarray:
    """Thresholds at, between and just around the real values the input can take, beyond its
    range, and random ones."""
    lo, hi = spec.value_range
    q = np.unique(np.concatenate([[lo, lo + 1, hi - 1, hi], rng.integers(lo, hi + 1, 40)]))
    real = spec.dequantize(q.reshape(-1, 1).repeat(spec.n_features, axis=1))[:, 0].astype(np.float64)
    step = spec.scale[0]
    values = np.concatenate([
        real, np.nextafter(real, np.inf), np.nextafter(real, -np.inf), real + step / 2, real - step / 2,
        [real.min() - 10 * step, real.max() + 10 * step, -1e30, 1e30],
        rng.uniform(real.min() - step, real.max() + step, n_random),
    ])
    return values


def check_lowering(spec: InputSpec, q_values: np.ndarray, rng) -> None:
    thresholds = interesting_thresholds(spec, rng)
    lowered = lower_thresholds(stumps(spec, thresholds))
    assert np.issubdtype(lowered.threshold.dtype, np.integer)
    Q = lowered.threshold.astype(np.int64)
    real = spec.dequantize(q_values.reshape(-1, 1).repeat(spec.n_features, axis=1))[:, 0]
    integer_says = q_values[:, None] <= Q[None, :]
    sklearn_says = real[:, None] <= thresholds[None, :]  # float32 feature vs float64 threshold
    mismatch = np.argwhere(integer_says != sklearn_says)
    assert len(mismatch) == 0, (
        f"{len(mismatch)} mismatches, e.g. q={q_values[mismatch[0][0]]} t={thresholds[mismatch[0][1]]!r} "
        f"Q={Q[mismatch[0][1]]}"
    )


QUANTIZATIONS_8 = [(1.0, 0), (0.1, 0), (0.05, -20), (0.0123, 7), (3.7, 100), (1e-6, -128), (1e4, 5), (0.3, 127)]


@pytest.mark.parametrize(("scale", "zero_point"), QUANTIZATIONS_8)
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_lower_thresholds_8_bit_exhaustive(dtype, scale, zero_point):
    spec = InputSpec(1, dtype, (scale,), (zero_point,))
    lo, hi = INPUT_TYPES[dtype].low, INPUT_TYPES[dtype].high
    rng = np.random.default_rng(zlib.crc32(repr((dtype, scale, zero_point)).encode()))
    check_lowering(spec, np.arange(lo, hi + 1), rng)


@pytest.mark.parametrize(("scale", "zero_point"),
                         [(1.0, 0), (0.001, 0), (0.01, -1000), (1 / 3, 12345), (2.5e-5, -32768), (7.0, 32767)])
@pytest.mark.parametrize("dtype", ["int16", "uint16"])
def test_lower_thresholds_16_bit_sampled(dtype, scale, zero_point):
    spec = InputSpec(1, dtype, (scale,), (zero_point,))
    lo, hi = INPUT_TYPES[dtype].low, INPUT_TYPES[dtype].high
    rng = np.random.default_rng(11)
    q = np.unique(np.concatenate([np.arange(lo, lo + 300), np.arange(hi - 300, hi + 1),
                                  rng.integers(lo, hi + 1, 3000), np.arange(-300, 300) if lo < 0 else []]))
    check_lowering(spec, q.astype(np.int64), rng)


@pytest.mark.parametrize(("scale", "zero_point"),
                         [(2.5765616313181905e-09, 248802366), (3.6100397124506415e-09, -276015474), (1.0, 0),
                          (1e-3, 2**30)])
def test_lower_thresholds_int32_where_many_readings_round_to_one_float32(scale, zero_point):
    """int32 readings over a feature's range: up to hundreds of neighbouring q give the same
    float32 (tune's int32 input once failed here). Every Q is the largest q on its side, so
    q = Q and q = Q + 1 around each threshold, and random q, must decide as scikit-learn."""
    spec = InputSpec(1, "int32", (scale,), (zero_point,))
    rng = np.random.default_rng(3)
    thresholds = interesting_thresholds(spec, rng)
    Q = lower_thresholds(stumps(spec, thresholds)).threshold.astype(np.int64)
    lo, hi = INPUT_TYPES["int32"].low, INPUT_TYPES["int32"].high
    q = np.unique(np.clip(np.concatenate([Q, Q + 1, rng.integers(lo, hi + 1, 2000)]), lo, hi))
    check_lowering(spec, q, rng)


@given(st.floats(min_value=1e-4, max_value=1e3), st.integers(min_value=-200, max_value=200),
       st.lists(st.floats(min_value=-1e5, max_value=1e5), min_size=1, max_size=20))
def test_lower_thresholds_int8_property(scale, zero_point, extra):
    spec = InputSpec(1, "int8", (scale,), (zero_point,))
    rng = np.random.default_rng(5)
    thresholds = np.concatenate([interesting_thresholds(spec, rng, 20), extra])
    lowered = lower_thresholds(stumps(spec, thresholds))
    q = np.arange(-128, 128)
    real = spec.dequantize(q.reshape(-1, 1))[:, 0]
    np.testing.assert_array_equal(q[:, None] <= lowered.threshold[None, :], real[:, None] <= thresholds[None, :])


def test_lower_thresholds_per_feature_quantization():
    spec = InputSpec(3, "int8", (0.5, 0.01, 2.0), (0, -50, 10))
    rng = np.random.default_rng(2)
    thresholds = rng.uniform(-3, 3, 300)
    features = rng.integers(0, 3, 300)
    lowered = lower_thresholds(stumps(spec, thresholds, features=features))
    q = np.arange(-128, 128)
    real = spec.dequantize(np.repeat(q[:, None], 3, axis=1))
    sklearn_says = real[:, features] <= thresholds[None, :]
    np.testing.assert_array_equal(q[:, None] <= lowered.threshold[None, :], sklearn_says)


# ---- prune_constant_splits ----------------------------------------------------------------------


def test_prune_removes_always_true_and_always_false_splits():
    spec = InputSpec(2, "int8", (0.1, 0.1), (0, 0))
    # node 0: t far below the range (always right); node 1: real split; node 2: t above the
    # range (always left), so node 3 (a real split on feature 1) can no longer be reached
    float_ir = chain(spec, [-100.0, 1.25, 50.0, -0.5], [0, 0, 1, 1])
    lowered = lower_thresholds(float_ir)
    pruned = prune_constant_splits(lowered)
    validate_trees(pruned, partial=True)
    assert pruned.n_nodes == 1
    assert pruned.feature[0] == 0 and pruned.threshold[0] == lowered.threshold[1]
    lo, hi = spec.value_range
    assert ((pruned.threshold >= lo) & (pruned.threshold < hi)).all()
    grid = np.stack(np.meshgrid(np.arange(-128, 128), np.arange(-128, 128)), axis=-1).reshape(-1, 2)
    before = lowered.leaf_values[leaf_reached(lowered, grid), 0]
    after = pruned.leaf_values[leaf_reached(pruned, grid), 0]
    np.testing.assert_array_equal(before, after)


def test_prune_whole_tree_to_a_leaf():
    spec = InputSpec(1, "uint8", (1.0,), (0,))
    lowered = lower_thresholds(stumps(spec, [-5.0, 1000.0, 10.0]))
    pruned = prune_constant_splits(lowered)
    validate_trees(pruned, partial=True)
    assert pruned.n_nodes == 1
    assert pruned.roots[0] == -1 - 1  # always right: leaf 1
    assert pruned.roots[1] == -2 - 1  # always left: leaf 2
    assert pruned.roots[2] == 0
    q = np.arange(0, 256).reshape(-1, 1)
    np.testing.assert_array_equal(leaf_reached(pruned, q, tree=2), leaf_reached(lowered, q, tree=2))


def test_prune_keeps_float_input_unchanged():
    spec = InputSpec(1, "float32")
    lowered = lower_thresholds(stumps(spec, [-1e30, 1e30, 0.0]))
    assert prune_constant_splits(lowered) is lowered


@given(st.lists(st.floats(min_value=-40, max_value=40), min_size=1, max_size=25),
       st.floats(min_value=0.01, max_value=0.5), st.integers(min_value=-128, max_value=127))
def test_prune_never_changes_a_decision(thresholds, scale, zero_point):
    spec = InputSpec(1, "int8", (scale,), (zero_point,))
    lowered = lower_thresholds(chain(spec, thresholds, [0] * len(thresholds)))
    pruned = prune_constant_splits(lowered)
    validate_trees(pruned, partial=True)
    lo, hi = spec.value_range
    assert ((pruned.threshold >= lo) & (pruned.threshold < hi)).all()
    q = np.arange(-128, 128).reshape(-1, 1)
    np.testing.assert_array_equal(leaf_reached(pruned, q), leaf_reached(lowered, q))


# ---- quantize_leaves ----------------------------------------------------------------------------


def forest_of_stumps(leaves: np.ndarray, base: np.ndarray) -> TreeEnsemble:
    n_trees = leaves.shape[0] // 2
    spec = InputSpec(1, "int16", (1.0,), (0,))
    ir = stumps(spec, np.linspace(-100, 100, n_trees), leaf_values=leaves)
    return lower_thresholds(ir.with_(base_score=np.asarray(base, np.float64)))


def check_quantized(float_ir: TreeEnsemble) -> None:
    ir = quantize_leaves(float_ir)
    validate_trees(ir)  # includes the int32 no-overflow proof
    frac = ir.leaf_format.frac_bits
    assert ir.leaf_format.bits == 32
    # worst-case partial sums, computed here independently
    worst = np.abs(ir.base_score).astype(object)
    for tree in range(float_ir.n_trees):
        worst = worst + np.abs(ir.leaf_values[2 * tree: 2 * tree + 2]).max(axis=0).astype(object)
    assert max(worst) <= 2**31 - 1
    # the error bound: every combination of leaves (one per tree) is within it
    per_tree_error = np.abs(np.ldexp(ir.leaf_values.astype(np.float64), -frac) - float_ir.leaf_values)
    base_error = np.abs(np.ldexp(ir.base_score.astype(np.float64), -frac) - float_ir.base_score)
    worst_error = base_error + per_tree_error.reshape(float_ir.n_trees, 2, -1).max(axis=1).sum(axis=0)
    assert (worst_error <= ir.error_bound * (1 + 1e-12)).all()
    rng = np.random.default_rng(1)
    for _ in range(20):
        pick = 2 * np.arange(float_ir.n_trees) + rng.integers(0, 2, float_ir.n_trees)
        exact = float_ir.base_score + float_ir.leaf_values[pick].sum(axis=0)
        integer = ir.base_score.astype(object) + ir.leaf_values[pick].astype(object).sum(axis=0)
        got = np.array([float(v) for v in integer]) * 2.0**-frac
        assert (np.abs(got - exact) <= ir.error_bound * (1 + 1e-9) + 1e-12 * np.abs(exact)).all()


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=4),
       st.floats(min_value=-12, max_value=15), st.integers(min_value=0, max_value=2**16))
def test_quantize_leaves_never_overflows(n_trees, n_outputs, log_magnitude, seed):
    rng = np.random.default_rng(seed)
    leaves = rng.normal(size=(2 * n_trees, n_outputs)) * 10.0**log_magnitude
    base = rng.normal(size=n_outputs) * 10.0**log_magnitude
    check_quantized(forest_of_stumps(leaves, base))


@pytest.mark.parametrize("case", ["tiny", "huge", "near_int32", "zeros", "mixed", "base_only"])
def test_quantize_leaves_edge_cases(case):
    n_trees = 10
    leaves = {
        "tiny": np.full((2 * n_trees, 1), 1e-12),
        "huge": np.full((2 * n_trees, 1), 3e15),
        "near_int32": np.full((2 * n_trees, 1), (2**31 - 1) / n_trees),
        "zeros": np.zeros((2 * n_trees, 1)),
        "mixed": np.r_[np.full((n_trees, 1), 1e-9), np.full((n_trees, 1), 1e9)],
        "base_only": np.zeros((2 * n_trees, 1)),
    }[case]
    base = np.array([1e6]) if case == "base_only" else np.array([-0.5])
    check_quantized(forest_of_stumps(leaves, base))


def test_binary_soft_vote_margin_keeps_within_int32_when_every_tree_has_pure_leaves_of_both_classes():
    """8 trees each with a pure leaf of either class: the per-class bounds fit 28 fraction bits
    but the one margin score s1 - s0 needs 27 (a tune candidate once failed validation here)."""
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    import codegen
    from codegen.optimize import trees as tree_transforms

    X, y = make_classification(3400, 5, n_informative=3, n_redundant=0, random_state=5, flip_y=0.05)
    forest = RandomForestClassifier(100, random_state=5).fit(X[:2400], y[:2400])
    order = tree_transforms.greedy_tree_order(forest, X[2400:2700], y[2400:2700])
    pruned = tree_transforms.cut_depth(tree_transforms.select_trees(forest, order[:8]), 3)
    for layout in ("ifelse", "table"):
        converted = codegen.convert(pruned, layout=layout, target="avr")
        assert converted.ir.leaf_encoding == "scalar" and converted.ir.leaf_format.frac_bits == 27
        rows = X[2700:].astype(np.float32)
        np.testing.assert_array_equal(converted.decode(converted.interpret(rows).predictions), pruned.predict(rows))
