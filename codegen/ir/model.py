"""The intermediate representation: frozen dataclasses over numpy arrays (structure of arrays).

A frontend builds a *float* IR that keeps scikit-learn's semantics exactly (float64 thresholds
and leaf values). The lowering passes turn it into an *integer* IR, which the interpreter runs
and the backends print as C. `ir.validate` checks either form.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from codegen.input_types import INPUT_TYPES

# What the model computes after summing its trees.
POST_ARGMAX = "argmax"  # class = index of the largest score, ties to the lowest index
POST_POSITIVE = "positive"  # one score; class 1 when score > 0 (HistGradientBoosting)
POST_NONNEGATIVE = "nonnegative"  # one score; class 1 when score >= 0 (GradientBoosting)
POST_IDENTITY = "identity"  # regression: the score itself, in fixed point
# regression: sign(s) * s**2 of the score s, in the score's fixed point (LightGBM reg_sqrt)
POST_SIGNED_SQUARE = "signed_square"
POSTS = (POST_ARGMAX, POST_POSITIVE, POST_NONNEGATIVE, POST_IDENTITY, POST_SIGNED_SQUARE)
REGRESSION_POSTS = (POST_IDENTITY, POST_SIGNED_SQUARE)
LEAF_ENCODINGS = ("dense", "sparse", "scalar", "class")

# What a classifier's scores are (SourceFacts.scores).
SCORES_VOTES = "votes"  # sums of leaf class probabilities or votes (forests, single trees)
SCORES_MARGIN = "margin"  # a boosting model's raw margin (before its sigmoid / softmax)
SCORES_PATH_LENGTH = "path_length"  # an isolation forest's summed path length
# How predict_proba follows from the scores (SourceFacts.proba); "" when it does not plainly.
PROBA_MEAN = "mean"  # soft voting: the summed probabilities over the number of trees
PROBA_SIGMOID = "sigmoid"  # of one margin (plus SourceFacts.proba_offset)
PROBA_SOFTMAX = "softmax"  # of the per-class margins
# How each library adds its trees' outputs: the relative rounding of one addition.
SUM_FLOAT64 = 2.0**-53
SUM_FLOAT32 = 2.0**-24  # XGBoost


@dataclass(frozen=True)
class SourceFacts:
    """What the frontend knows of the model's meaning, for the stages after it (probabilities,
    reports, verification bounds): recorded as fields, never read back from `estimator` text.
    A new frontend states its facts here and the rest of mcugen follows them."""

    library: str = "scikit-learn"  # "scikit-learn", "xgboost", "lightgbm", ...
    scores: str = SCORES_VOTES
    proba: str = ""
    proba_offset: float = 0.0  # added to a binary margin before the sigmoid
    sum_unit: float = SUM_FLOAT64  # 0.0: the library's score is compared exactly (no summation slack)


@dataclass(frozen=True)
class QFormat:
    """A fixed-point integer: real = stored / 2**frac_bits, held in `bits` bits."""

    bits: int
    frac_bits: int
    signed: bool = True

    @property
    def min(self) -> int:
        return -(2 ** (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return 2 ** (self.bits - 1) - 1 if self.signed else 2**self.bits - 1


@dataclass(frozen=True)
class InputSpec:
    """The features the device passes in. `dtype` float32: compared through bit keys.
    Integer dtypes: real = scale[i] * (q - zero_point[i])."""

    n_features: int
    dtype: str = "float32"
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    feature_names: tuple[str, ...] = ()

    @property
    def is_float(self) -> bool:
        return self.dtype == "float32"

    @property
    def value_range(self) -> tuple[int, int]:
        kind = INPUT_TYPES[self.dtype]
        return kind.low, kind.high

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """The float32 features scikit-learn sees for integer readings `q` (rows x features)."""
        scale = np.asarray(self.scale, dtype=np.float64)
        zero = np.asarray(self.zero_point, dtype=np.float64)
        return (scale * (np.asarray(q, dtype=np.float64) - zero)).astype(np.float32)


@dataclass(frozen=True)
class TreeEnsemble:
    """Trees stored node-wise. Child index >= 0 is a node; < 0 is leaf number (-child - 1).

    Before lowering, `threshold` is float64 (go left when x <= t) and `leaf_values`/`base_score`
    are float64. After lowering, `threshold` holds int64 keys (float input) or integer
    thresholds (integer input), and leaf values and base score are integers in `leaf_format`.
    """

    input: InputSpec
    feature: np.ndarray  # int32 (n_nodes,)
    threshold: np.ndarray  # float64 or int64 (n_nodes,)
    left: np.ndarray  # int32 (n_nodes,)
    right: np.ndarray  # int32 (n_nodes,)
    missing_left: np.ndarray  # bool (n_nodes,): where NaN goes
    roots: np.ndarray  # int32 (n_trees,): node index, or < 0 for a tree that is one leaf
    leaf_values: np.ndarray  # (n_leaves, n_outputs)
    base_score: np.ndarray  # (n_outputs,)
    post: str
    classes: tuple = ()  # class labels for classifiers, in output order
    leaf_format: QFormat | None = None  # set by lowering
    error_bound: float = 0.0  # proven max |integer score / 2**frac_bits - float score| (and of the output)
    # How a leaf adds to the scores (set by passes/encode_leaves):
    #   "dense":  leaf_values[l] is added to all scores (the float IR, before encoding);
    #   "sparse": the non-zero entries of leaf_values[l] are added to their scores;
    #   "scalar": leaf_values[l, 0] is added to score tree_output[tree];
    #   "class":  leaf_values[l, 0] is a class index whose vote count goes up by one; score =
    #             votes * class_vote. A single tree returns its class directly.
    leaf_encoding: str = "dense"
    tree_output: np.ndarray | None = None  # int32 (n_trees,), for "scalar"
    class_vote: int = 0  # for "class"
    # Soft voting (sums of leaf probabilities): classes whose sums are equal as rationals are
    # equal doubles in scikit-learn, and so go to the lowest index; in fixed point they may
    # differ by rounding. A class beats the best so far only by more than tie_margin (twice
    # the proven rounding bound of a score); "positive" means score > tie_margin.
    tie_margin: int = 0
    estimator: str = ""  # scikit-learn class name, for reports
    notes: tuple[str, ...] = field(default_factory=tuple)
    source: SourceFacts = field(default_factory=SourceFacts)
    # int64 (n_nodes, 2): training samples reaching each node's left and right child (scikit-
    # learn's n_node_samples), or None where the frontend does not know. Code shape only: the
    # likelier child is laid out as the fall-through branch; predictions never depend on it.
    child_weight: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return int(self.feature.shape[0])

    @property
    def n_trees(self) -> int:
        return int(self.roots.shape[0])

    @property
    def n_leaves(self) -> int:
        return int(self.leaf_values.shape[0])

    @property
    def n_outputs(self) -> int:
        return int(self.base_score.shape[0])

    @property
    def is_lowered(self) -> bool:
        return self.leaf_format is not None

    @property
    def returns_leaf_class(self) -> bool:
        """A single classification tree: predict returns the leaf's class, no votes."""
        return self.leaf_encoding == "class" and self.n_trees == 1

    @property
    def is_classifier(self) -> bool:
        return self.post not in REGRESSION_POSTS

    def with_(self, **changes) -> TreeEnsemble:
        return replace(self, **changes)


def is_leaf(child: int) -> bool:
    return child < 0


def leaf_index(child: int) -> int:
    return -child - 1


def leaf_child(index) -> int:
    return -index - 1
