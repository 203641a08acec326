"""Property tests: random trees with adversarial thresholds and inputs (-0.0, subnormals,
+-inf, NaN of both signs, values one step from a threshold). The C equals the interpreter bit
for bit, and the lowered IR decides exactly as the float IR (scikit-learn's semantics)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.backends.trees import tree_header
from codegen.harness.host import build_host, run_host
from codegen.ir.interpret import interpret_trees
from codegen.ir.model import POST_ARGMAX, POST_IDENTITY, InputSpec, TreeEnsemble
from codegen.passes.pipelines import lower_trees
from codegen.settings import Settings

SPECIAL = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40, 1.0, -1.0, 3.4028235e38, -3.4028235e38,
                    np.inf, -np.inf], dtype=np.float32)
N_FEATURES = 3


def _adversarial_values(draw, n: int) -> np.ndarray:
    picks = draw(st.lists(st.one_of(
        st.sampled_from(list(SPECIAL.astype(np.float64))),
        st.floats(width=32, allow_nan=False),
        st.floats(min_value=-4, max_value=4, width=32),
    ), min_size=n, max_size=n))
    return np.asarray(picks, dtype=np.float64)


@st.composite
def random_forests(draw):
    """Random tree shapes: each new node takes an open child slot; the slots left are leaves."""
    n_trees = draw(st.integers(1, 4))
    n_outputs = draw(st.integers(1, 3))
    features, lefts, rights, missing, roots = [], [], [], [], []
    n_leaves = 0
    for _ in range(n_trees):
        roots.append(None)
        open_slots = [(roots, len(roots) - 1)]
        for _node in range(draw(st.integers(0, 12))):
            array, index = open_slots.pop(draw(st.integers(0, len(open_slots) - 1)))
            array[index] = len(features)
            features.append(draw(st.integers(0, N_FEATURES - 1)))
            missing.append(draw(st.booleans()))
            lefts.append(None)
            rights.append(None)
            open_slots += [(lefts, len(lefts) - 1), (rights, len(rights) - 1)]
        for array, index in open_slots:
            array[index] = -(n_leaves + 1)
            n_leaves += 1
    thresholds = _adversarial_values(draw, len(features))
    # float64 thresholds between two float32s test the rounding down
    nudges = np.asarray(draw(st.lists(st.sampled_from([0.0, 1e-12, -1e-12]), min_size=len(features),
                                      max_size=len(features))), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        thresholds = np.where(np.isfinite(thresholds), thresholds + nudges * np.abs(thresholds), thresholds)
    leaf_values = np.asarray(draw(st.lists(st.floats(-8, 8), min_size=n_leaves * n_outputs,
                                           max_size=n_leaves * n_outputs)), dtype=np.float64)
    post = POST_ARGMAX if n_outputs > 1 else POST_IDENTITY
    return TreeEnsemble(
        input=InputSpec(N_FEATURES),
        feature=np.asarray(features, dtype=np.int32),
        threshold=thresholds,
        left=np.asarray(lefts, dtype=np.int32),
        right=np.asarray(rights, dtype=np.int32),
        missing_left=np.asarray(missing, dtype=bool),
        roots=np.asarray(roots, dtype=np.int32),
        leaf_values=leaf_values.reshape(n_leaves, n_outputs),
        base_score=np.zeros(n_outputs),
        post=post,
        classes=tuple(range(n_outputs)) if post == POST_ARGMAX else (),
    )


@st.composite
def adversarial_rows(draw, forest: TreeEnsemble):
    """Rows mixing special values, NaNs of both signs, and each threshold's float32 neighbours."""
    near = []
    np.seterr(over="ignore")
    for t in forest.threshold:
        t32 = np.float32(t)
        near.extend([t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf))])
    pool = np.concatenate([SPECIAL, np.asarray(near, dtype=np.float32),
                           np.array([np.nan, -np.nan], dtype=np.float32)])
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=40 * N_FEATURES, max_size=40 * N_FEATURES))
    return pool[np.asarray(picks)].reshape(40, N_FEATURES)


@settings(max_examples=40)
@given(data=st.data())
def test_random_trees_c_equals_interpreter_equals_float_semantics(data):
    forest = data.draw(random_forests())
    X = data.draw(adversarial_rows(forest))
    lowered = lower_trees(forest, verify=True)
    exact = interpret_trees(forest, X)
    oracle = interpret_trees(lowered, X)
    # the lowered IR decides as the float IR wherever rounding cannot matter
    if forest.post == POST_ARGMAX:
        ranked = np.sort(exact.scores, axis=1)
        clear = ranked[:, -1] - ranked[:, -2] > 2 * lowered.error_bound + 1e-9
        np.testing.assert_array_equal(oracle.predictions[clear], exact.predictions[clear])
    else:
        decoded = oracle.predictions * 2.0 ** -lowered.leaf_format.frac_bits
        assert np.abs(decoded - exact.predictions).max(initial=0) <= lowered.error_bound + 1e-12
    # host: 32-bit bit tests; avr: 16-bit half-word tests (also little-endian here);
    # cortex-m4: the Thumb-2 split compares
    for layout, target in (("ifelse", "host"), ("ifelse", "avr"), ("ifelse", "cortex-m4"), ("table", "host")):
        header = tree_header(lowered, Settings(name="r", target=target), layout, 0, "test")
        run = run_host(build_host(header, "r"), X, "float32", lowered.n_outputs)
        np.testing.assert_array_equal(run.predictions, oracle.predictions)
        np.testing.assert_array_equal(run.scores, oracle.scores)
