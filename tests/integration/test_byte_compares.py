"""The 8-bit targets' byte-at-a-time node tests (`le8_pos`, `le8_neg`: top byte, then the next,
then the exact test), built for the ATmega2560 and run on the host (the same little-endian
bytes), exhaustively over every top byte and the byte classes around each threshold: +-0,
subnormals, +-inf, NaN of both signs and payload edges, threshold neighbours at every byte.

On 8-bit targets leaf values whose low bytes are zero are added to the accumulators' high
bytes alone; the second test checks those sums.

The model of the first test is a forest of stumps, one per (threshold, NaN side), each writing 0 or 1 to its own
output, so every single node decision shows in the scores. The stumps sit on features spread
over three 64-byte windows of the input (the base pointers the AVR code reads through)."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.backends.trees import tree_header
from codegen.harness.host import build_host, run_host
from codegen.ir.floatkey import SIGN_BIT, threshold_key
from codegen.ir.interpret import interpret_trees
from codegen.ir.model import InputSpec, QFormat, TreeEnsemble
from codegen.ir.validate import validate_trees
from codegen.settings import Settings
from tests.support.exit_models import KINDS, all_rows, small_ensemble

N_FEATURES = 48  # bytes 0..191: windows 0, 1 and 2
# thresholds whose top bytes span the byte-compared classes (and, for 3e38 / -3e38 / +-inf,
# the generic test; -inf too): +-0, subnormal, tiny, one, large, the largest finite
THRESHOLDS = [0.0, 1e-45, 1e-39, 1e-30, 0.5, 1.0, 6.5, 1e20, 3e38, -np.inf,
              -1e-45, -1e-39, -1e-30, -0.5, -1.0, -6.5, -1e20, -3e38]
EDGE_BITS = [0x7F800001, 0x7FC00000, 0x7FFFFFFF, 0xFF800001, 0xFFC00000, 0xFFFFFFFF,  # NaN
             0x7F800000, 0xFF800000, 0x00000000, 0x80000000, 0x00000001, 0x80000001,
             0x007FFFFF, 0x807FFFFF, 0x7F7FFFFF, 0xFF7FFFFF]


def _stumps() -> TreeEnsemble:
    keys = threshold_key(np.array(THRESHOLDS, dtype=np.float64))
    n = 2 * len(keys)
    feature = (np.arange(n) * (N_FEATURES - 1)) // (n - 1)  # spread over every window
    return TreeEnsemble(
        input=InputSpec(n_features=N_FEATURES, dtype="float32"),
        feature=feature.astype(np.int32), threshold=np.repeat(keys, 2).astype(np.int64),
        left=-(2 * np.arange(n) + 1).astype(np.int32), right=-(2 * np.arange(n) + 2).astype(np.int32),
        missing_left=np.tile([True, False], len(keys)), roots=np.arange(n, dtype=np.int32),
        leaf_values=np.tile([[0], [1]], (n, 1)).astype(np.int64), base_score=np.zeros(n, np.int64),
        post="identity", classes=(), leaf_format=QFormat(32, 0), leaf_encoding="scalar", class_vote=0,
        tree_output=np.arange(n, dtype=np.int32), tie_margin=0,
    )


def _patterns(keys: np.ndarray) -> np.ndarray:
    """Every top byte with, below it, the threshold's own lower bytes and their neighbours, the
    threshold's bits +-1 at each byte, and the edge patterns."""
    patterns = set(EDGE_BITS)
    for key in keys.tolist():
        bits = key if key >= 0 else SIGN_BIT - key
        for low in {bits & 0xFFFFFF, (bits - 1) & 0xFFFFFF, (bits + 1) & 0xFFFFFF, (bits - 0x10000) & 0xFFFFFF,
                    (bits + 0x10000) & 0xFFFFFF, 0, 0xFFFFFF}:
            patterns.update((top << 24) | low for top in range(256))
        patterns.update((bits + d) & 0xFFFFFFFF for d in (-(1 << 24), 1 << 24, -(1 << 8), 1 << 8))
    return np.array(sorted(patterns), dtype=np.uint32)


def test_byte_compares_match_the_interpreter_on_every_byte_class():
    ir = _stumps()
    validate_trees(ir)
    header = tree_header(ir, Settings(name="m", layout="ifelse", target="atmega2560"), "ifelse", 0, "test")
    assert "m_le8_pos(" in header and "m_le8_neg(" in header and "M_KEEP_BASE(m_b2)" in header  # under test
    patterns = _patterns(ir.threshold)
    rows = np.repeat(patterns.view(np.float32)[:, None], N_FEATURES, axis=1)  # every stump sees each
    oracle = interpret_trees(ir, rows)
    run = run_host(build_host(header, "m", count_ops=True), rows, "float32", ir.n_outputs, count_ops=True)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    for op in ("branch", "ram_bytes"):  # the node visits (cmp32 also counts the outputs' compares)
        np.testing.assert_array_equal(run.op_counts[op], oracle.op_counts[op], err_msg=op)
    # the rows reach both sides of every stump, NaN included
    assert (oracle.scores.min(axis=0) == 0).all() and (oracle.scores.max(axis=0) == 1).all()


@pytest.mark.parametrize("kind", [k for k in KINDS if k[0] in ("sparse", "scalar") and k[1] == "argmax"])
@pytest.mark.parametrize("shift", [16, 24])
def test_leaf_adds_to_the_high_bytes_keep_every_sum(kind, shift):
    """Leaves that are multiples of 2^16 or 2^24 (of both signs) are added to acc's high bytes
    on 8-bit targets; the sums (and predictions) equal the interpreter's, carries and borrows
    across the bytes included."""
    rng = np.random.default_rng(shift)
    ir = small_ensemble(rng, *kind, n_trees=6, n_outputs=3, tie_margin=0, duplicate=False)
    ir = ir.with_(leaf_values=ir.leaf_values << shift, base_score=ir.base_score * 3 + (1 << shift) - 1)
    validate_trees(ir)
    header = tree_header(ir, Settings(name="m", layout="ifelse", input="int8", target="atmega2560"),
                         "ifelse", 0, "test")
    assert f"M_ADD_HIGH{32 - shift}(acc[" in header  # what this test is about
    rows = all_rows()
    oracle = interpret_trees(ir, rows, early_exit=False)
    run = run_host(build_host(header, "m"), rows, "int8", ir.n_outputs)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    np.testing.assert_array_equal(run.predictions, interpret_trees(ir, rows).predictions)
