"""Fuzzing the external model formats through the CLI: XGBoost `.json` / `.ubj` and LightGBM
`.txt` files truncated, with lines or values mutated, keys deleted and trees reordered. Each
`convert` ends in exit 2 with one `error:` line and nothing written, or in a conversion that
`verify` then checks against the library (exit 0: every row agrees); never a traceback or an
internal error (exit 3). Derandomised (tests/conftest.py profile), bounded examples."""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.cli import main
from tests.support.cli_user import snapshot
from tests.support.external import require_package
from tests.support.models import dataset

TOKENS = ["-1", "0", "1", "2", "7", "99999", "-99999", "nan", "inf", "x", "1e400", "", "0.5", "=", "Tree=0"]
JSON_VALUES = st.sampled_from([None, -1, 0, 1, 3, 10**6, 0.5, "x", "[1]", [], [1, -1], {}, True])


@pytest.fixture(scope="module")
def files():
    xgb, lgb = require_package("xgboost"), require_package("lightgbm")
    folder = Path(tempfile.mkdtemp(prefix="mcugen-external-fuzz-"))
    X, y, X_test, _ = dataset("generated_classification")
    xgb.XGBClassifier(n_estimators=3, max_depth=2, random_state=0, n_jobs=1).fit(X, y).save_model(folder / "x.json")
    xgb.XGBClassifier(n_estimators=3, max_depth=2, random_state=0, n_jobs=1).fit(X, y).save_model(folder / "x.ubj")
    lgb.LGBMClassifier(n_estimators=3, num_leaves=4, min_child_samples=5, random_state=0, n_jobs=1,
                       verbose=-1).fit(X, y).booster_.save_model(folder / "l.txt")
    np.savetxt(folder / "X.csv", X_test[:15], delimiter=",")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _mutate_text(text: str, kind: str, at: float, token: str, data) -> str:
    lines = text.splitlines(keepends=True)
    line = min(int(at * len(lines)), len(lines) - 1)
    if kind == "truncate":
        return text[: int(at * len(text))]
    if kind == "truncate_then_end":
        return text[: int(at * len(text))] + "\nend of trees\n"
    if kind == "drop_line":
        return "".join(lines[:line] + lines[line + 1:])
    if kind == "duplicate_line":
        return "".join(lines[: line + 1] + lines[line:])
    if kind == "swap_trees":
        blocks = re.split(r"(?m)^(?=Tree=)", text.split("end of trees")[0])
        head, trees = blocks[0], blocks[1:]
        order = data.draw(st.permutations(range(len(trees))))
        return head + "".join(trees[i] for i in order) + "end of trees" + text.split("end of trees", 1)[1]
    key, equals, values = lines[line].partition("=")  # a value of one line replaced
    if not equals:
        return text
    parts = values.split()
    parts[min(int(at * 7), len(parts) - 1) if parts else 0:][:1] = [token]
    return "".join(lines[:line] + [f"{key}={' '.join(parts)}\n"] + lines[line + 1:])


def _mutate_document(document: dict, data) -> dict:
    document = copy.deepcopy(document)
    node, path = document, []
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans(), label="deeper"):
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        parent, node = node, node[key]
    if not path:
        return document
    action = data.draw(st.sampled_from(["replace", "delete", "shorten", "reverse"]))
    if action == "replace":
        parent[path[-1]] = data.draw(JSON_VALUES)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(node, list) and node:
        parent[path[-1]] = node[:-1] if action == "shorten" else node[::-1]
    return document


def _run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _one_error_or_success(result, args, root: Path, before: dict) -> None:
    assert result.exit_code in (0, 1, 2), (args, result.output, result.stderr)
    assert "Traceback" not in result.output + result.stderr and "internal error" not in result.stderr, args
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "\n" not in result.stderr.strip(), result.stderr
        assert snapshot(root) == before, args


def _convert_then_verify(files: Path, model: Path, root: Path) -> None:
    out = root / "out"
    before = snapshot(root)
    args = ["convert", str(model), "-o", str(out)]
    result = _run(args)
    _one_error_or_success(result, args, root, before)
    if result.exit_code == 0:  # converted: verify compares with the library, which loads the file too
        args = ["verify", str(model), "--data", str(files / "X.csv")]
        checked = _run(args)
        _one_error_or_success(checked, args, root, snapshot(root))
        if checked.exit_code == 1:
            # a mutated leaf value makes another valid model; one of absurd range (say 2e22 beside
            # 0.3) loses its small leaves in 32-bit fixed point, and verify says so honestly
            assert checked.stderr.strip() == "error: the generated C disagrees on some rows (see above)"


@settings(max_examples=40)
@given(kind=st.sampled_from(["truncate", "truncate_then_end", "drop_line", "duplicate_line", "swap_trees", "value"]),
       at=st.floats(0, 1), token=st.sampled_from(TOKENS), data=st.data())
def test_lightgbm_files(files, kind, at, token, data):
    text = _mutate_text((files / "l.txt").read_text(), kind, at, token, data)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        model = root / "m.txt"
        model.write_text(text)
        _convert_then_verify(files, model, root)


@settings(max_examples=40)
@given(truncate=st.one_of(st.none(), st.floats(0, 1)), data=st.data())
def test_xgboost_json_files(files, truncate, data):
    text = (files / "x.json").read_text()
    if truncate is None:
        text = json.dumps(_mutate_document(json.loads(text), data))
    else:
        text = text[: int(truncate * len(text))]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        model = root / "m.json"
        model.write_text(text)
        _convert_then_verify(files, model, root)


@settings(max_examples=20)
@given(at=st.floats(0, 1), flip=st.booleans())
def test_xgboost_ubj_files(files, at, flip):
    raw = bytearray((files / "x.ubj").read_bytes())
    where = min(int(at * len(raw)), len(raw) - 1)
    if flip:
        raw[where] ^= 0x5A
    else:
        raw = raw[:where]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        model = root / "m.ubj"
        model.write_bytes(bytes(raw))
        _convert_then_verify(files, model, root)

