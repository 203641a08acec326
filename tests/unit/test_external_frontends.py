"""Units of the XGBoost / LightGBM / categorical frontends on hand-made inputs: interval
chains, the UBJSON reader, LightGBM's decision rules at their edges, and the IR they build
decides as the rule on every float32 probe."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from codegen.errors import UserError
from codegen.frontends.builder import EnsembleBuilder, below, integer_intervals, segments_of
from codegen.frontends.lightgbm_model import _categorical_rule, read_lightgbm_text
from codegen.frontends.ubjson import load_ubjson
from codegen.ir.interpret import interpret_trees
from codegen.ir.model import POST_IDENTITY, InputSpec
from codegen.passes.pipelines import lower_trees
from tests.support.external import require_package

PROBES = np.array([-np.inf, -3.0e38, -2.0**31, -1.5, -1.0, -0.99999994, -0.5, -1e-35, -1e-45, -0.0, 0.0, 1e-45,
                   1e-35, 0.5, 0.99999994, 1.0, 1.0000001, 2.0, 2.5, 3.0, 4.0, 6.9999995, 7.0, 31.0, 32.0, 33.0,
                   2.0**31, 3.0e38, np.inf, np.nan, -np.nan], dtype=np.float32)


def _chain_ir(rule, cuts):
    """One tree: the rule's chain, leaf 1.0 when left, 0.0 when right."""
    builder = EnsembleBuilder(1)
    uppers, sides = segments_of(rule, cuts)
    builder.add_tree(builder.interval_split(0, uppers, sides, rule(float("nan")),
                                            lambda side: builder.leaf(1.0 if side else 0.0)))
    return builder.ensemble(InputSpec(1), np.zeros(1), POST_IDENTITY, (), "test")


@pytest.mark.parametrize("members", [{0}, {1}, {0, 1, 2, 7}, {3, 5, 31, 32, 33}, set(), {0, 2, 4, 6}])
def test_categorical_chain_decides_as_lightgbm(members):
    words = [0, 0]
    for m in members:
        words[m // 32] |= 1 << (m % 32)
    nodes = {"threshold": np.array([0.0]), "cat_boundaries": np.array([0, 2]),
             "cat_threshold": np.array(words, dtype=np.uint64)}
    rule, cuts = _categorical_rule(nodes, 0)
    ir = _chain_ir(rule, cuts)
    expected = np.array([rule(float(x)) for x in PROBES])
    assert interpret_trees(ir, PROBES.reshape(-1, 1)).scores.shape == (len(PROBES), 1)
    for model in (ir, lower_trees(ir)):
        np.testing.assert_array_equal(interpret_trees(model, PROBES.reshape(-1, 1)).scores[:, 0] > 0, expected)
    # the rule itself is LightGBM's CategoricalDecision
    assert rule(float("nan")) is False and rule(-1.0) is False and rule(2.0**31) is False
    assert rule(-0.5) == (0 in members) and rule(0.99) == (0 in members) and rule(1.0) == (1 in members)


def test_interval_chain_routes_nan_alone():
    """Every number left, NaN right: one node only NaN fails."""
    ir = _chain_ir(lambda x: not np.isnan(x), [])
    scores = interpret_trees(lower_trees(ir), PROBES.reshape(-1, 1)).scores[:, 0]
    np.testing.assert_array_equal(scores > 0, ~np.isnan(PROBES))


def test_helpers():
    assert below(1.0) == float(np.nextafter(np.float32(1), np.float32(0)))
    assert below(0.0) < 0.0
    assert integer_intervals([5, 1, 2, 3, 9, 10]) == [(1, 3), (5, 5), (9, 10)]


def _ubj_key(text: str) -> bytes:
    return b"i" + bytes([len(text)]) + text.encode()


def test_ubjson_reader():
    floats = struct.pack(">3f", 1.5, -2.0, 0.25)
    data = (b"{" + _ubj_key("a") + b"[$d#i\x03" + floats + _ubj_key("b") + b"Si\x02hi" + _ubj_key("c") + b"T"
            + _ubj_key("d") + b"[" + b"l" + struct.pack(">i", -7) + b"Z" + b"]" + b"}")
    value = load_ubjson(data)
    assert list(value["a"]) == [1.5, -2.0, 0.25] and value["b"] == "hi" and value["c"] is True
    assert value["d"] == [-7, None]
    with pytest.raises(UserError, match="UBJSON"):
        load_ubjson(b"{" + _ubj_key("a"))


LIGHTGBM_TEXT = """tree
version=v4
num_class=1
num_tree_per_iteration=1
max_feature_idx=0
objective=regression
feature_names=x

Tree=0
num_leaves=2
num_cat=0
split_feature=0
threshold=0.5
decision_type={decision}
left_child=-1
right_child=-2
leaf_value=1 2
is_linear=0
shrinkage=1

end of trees
"""


@pytest.mark.parametrize("decision,expected", [
    (0, [1, 1, 1, 1, 1, 1, 2]),   # missing None: NaN taken as 0.0 (<= 0.5: left)
    (8, [2, 1, 1, 1, 1, 1, 2]),   # missing NaN, default right
    (10, [1, 1, 1, 1, 1, 1, 2]),  # missing NaN, default left
    (4, [2, 2, 2, 2, 1, 1, 2]),   # missing Zero, default right: NaN and |x| <= 1e-35 go right
])
def test_lightgbm_missing_types(decision, expected):
    ir = read_lightgbm_text(LIGHTGBM_TEXT.format(decision=decision))
    X = np.array([[np.nan], [-0.0], [1e-35], [-1e-35], [0.25], [0.5], [0.50000006]], dtype=np.float32)
    np.testing.assert_array_equal(interpret_trees(ir, X).scores[:, 0], expected)
    lowered = lower_trees(ir)
    np.testing.assert_array_equal(np.ldexp(interpret_trees(lowered, X).scores[:, 0].astype(float),
                                           -lowered.leaf_format.frac_bits), expected)


def test_lightgbm_bad_text_is_a_user_error():
    with pytest.raises(UserError, match="not a LightGBM model"):
        read_lightgbm_text("hello")
    with pytest.raises(UserError, match="linear trees"):
        read_lightgbm_text(LIGHTGBM_TEXT.format(decision=0).replace("is_linear=0", "is_linear=1"))


@pytest.mark.parametrize("library", ["lightgbm", "sklearn"])
def test_expanded_size_counts_what_the_builder_builds(library, monkeypatch):
    """The size estimate that refuses exploding category chains counts exactly the threshold
    nodes the builder then makes (LightGBM and categorical HistGradientBoosting)."""
    import importlib

    from sklearn.ensemble import HistGradientBoostingClassifier

    from codegen.frontends import read_trees
    from codegen.frontends.expanded_size import check_expanded_sizes

    rng = np.random.default_rng(3)
    X = np.column_stack([rng.integers(0, 30, 3000), rng.normal(size=3000)]).astype(np.float32)
    y = (np.isin(X[:, 0], rng.choice(30, 15, replace=False)) ^ (X[:, 1] > 0)).astype(int)
    if library == "lightgbm":
        lgb = require_package("lightgbm")
        estimator = lgb.LGBMClassifier(n_estimators=2, num_leaves=5, max_cat_threshold=8, min_data_per_group=5,
                                       cat_smooth=1, verbose=-1, n_jobs=1).fit(X, y, categorical_feature=[0])
        frontend = importlib.import_module("codegen.frontends.lightgbm_model")
    else:
        estimator = HistGradientBoostingClassifier(max_iter=2, max_leaf_nodes=5, categorical_features=[0]).fit(X, y)
        frontend = importlib.import_module("codegen.frontends.hist_categorical")
    counted = []

    def record(name, sizes, file_nodes, advice):
        sizes = list(sizes)
        counted.append(sum(nodes for nodes, _ in sizes))
        check_expanded_sizes(name, sizes, file_nodes, advice)

    monkeypatch.setattr(frontend, "check_expanded_sizes", record)
    ir = read_trees(estimator)
    assert counted == [ir.n_nodes] and ir.n_nodes > 2 * 4  # chains: more nodes than the trees' own
