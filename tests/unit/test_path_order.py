"""Path order: the IR carries the training samples reaching each node's children
(`child_weight`), and the AVR if-else layout puts the likelier child first (the fall-through
branch). The samples change the branch order only: never a prediction, never the model hash."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.tree import DecisionTreeClassifier

import codegen
from codegen.frontends import read_trees
from codegen.ir.serialize import ir_digest
from codegen.ir.validate import InvalidIR, validate_trees
from codegen.passes.pipelines import lower_trees


@pytest.fixture(scope="module")
def tree_and_data():
    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    return DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y), X


def test_sklearn_samples_reach_the_ir_and_survive_lowering(tree_and_data):
    estimator, X = tree_and_data
    ir = lower_trees(read_trees(estimator))
    samples = estimator.tree_.n_node_samples
    root = 0
    expected_root = [samples[estimator.tree_.children_left[root]], samples[estimator.tree_.children_right[root]]]
    assert ir.child_weight[int(ir.roots[0])].tolist() == expected_root
    assert ir.child_weight.shape == (ir.n_nodes, 2) and int(ir.child_weight[int(ir.roots[0])].sum()) == len(X)
    validate_trees(ir)


def test_hist_gradient_boosting_counts_reach_the_ir():
    X, y = load_breast_cancer(return_X_y=True)
    ir = read_trees(HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y))
    assert ir.child_weight is not None and ir.child_weight.shape == (ir.n_nodes, 2)
    assert (ir.child_weight.sum(axis=1) > 0).all()


@pytest.mark.parametrize("bad", [np.array([[-1, 2]]), np.zeros((1, 3), np.int64), np.ones((1, 2)) * 0.5])
def test_validate_rejects_bad_counts(tree_and_data, bad):
    ir = lower_trees(read_trees(tree_and_data[0]))
    broken = np.repeat(bad, ir.n_nodes, axis=0)
    with pytest.raises(InvalidIR, match="child_weight"):
        validate_trees(ir.with_(child_weight=broken))


def test_likelier_child_first_on_avr_only_and_hash_unchanged(tree_and_data):
    estimator, _ = tree_and_data
    avr = codegen.convert(estimator, name="m", layout="ifelse", target="atmega2560")
    host = codegen.convert(estimator, name="m", layout="ifelse")
    right_likelier = int((avr.ir.child_weight[:, 1] > avr.ir.child_weight[:, 0]).sum())
    assert right_likelier > 0  # else this test would test nothing
    assert avr.header_text.count("if (!M_NODE(") == right_likelier
    assert "if (!M_NODE(" not in host.header_text
    assert ir_digest(avr.ir) == ir_digest(avr.ir.with_(child_weight=None))


def test_without_counts_the_order_is_scikit_learns(tree_and_data):
    from codegen.backends.trees import tree_header
    from codegen.settings import Settings

    ir = lower_trees(read_trees(tree_and_data[0])).with_(child_weight=None)
    header = tree_header(ir, Settings(name="m", layout="ifelse", target="atmega2560"), "ifelse", 0, "test")
    assert "if (!M_NODE(" not in header
