"""Issue 16, case 3: model files cut short or edited. `mcugen convert` and `verify` refuse each
with exit 2, one `error:` line naming the count that does not add up, no traceback and nothing
written; `verify` refuses before lightgbm / xgboost is asked (which would abort with pages of
output or crash). The CLI runs in-process (fast); one case per library runs the command as a
subprocess in a temp folder, as a user does."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from codegen.cli import main
from tests.support.cli_user import run, snapshot
from tests.support.external import lightgbm_model, require_package, xgboost_model


def _refused(tmp_path, model, message: str, subprocess: bool = False) -> None:
    before = snapshot(tmp_path)
    for args in (["convert", model, "-o", tmp_path / "out"], ["verify", model, "--data", tmp_path / "X.csv"]):
        if subprocess:
            result = run(*args, cwd=tmp_path)
            code, output = result.returncode, result.stdout + result.stderr
        else:
            result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
            code, output = result.exit_code, result.output + result.stderr
        stderr = result.stderr
        assert code == 2, (args, output)
        assert "Traceback" not in output and "[LightGBM]" not in output
        assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
        assert re.search(message, stderr), stderr
        assert snapshot(tmp_path) == before


@pytest.fixture
def lightgbm_text(tmp_path) -> str:
    import numpy as np

    estimator = lightgbm_model("classifier", "generated_classification", 4)
    np.savetxt(tmp_path / "X.csv", np.zeros((3, estimator.n_features_in_)), delimiter=",")
    return estimator.booster_.model_to_string()


def _cut_before_tree(text: str, index: int) -> str:
    return text[: text.index(f"\nTree={index}\n") + 1]


@pytest.mark.parametrize("edit,message", [
    (lambda t: _cut_before_tree(t, 6), "no 'end of trees' line: the file is cut short"),
    (lambda t: _cut_before_tree(t, 6) + "end of trees\n", "6 trees, not a whole number of iterations"),
    (lambda t: _cut_before_tree(t, 8) + "end of trees\n", "lists 16 tree_sizes but holds 8 trees"),
    (lambda t: t[: t.index("\nTree=3\n") + 40], "no 'end of trees' line"),
    (lambda t: t.replace("leaf_value=", "leaf_value=1 ", 1), r"tree 0 is \d+ bytes but tree_sizes says \d+"),
    (lambda t: re.sub(r"tree_sizes=.*\n", "", t).replace("leaf_value=", "leaf_value=1 ", 1),
     r"tree 0: leaf_value= has \d+ values, \d+ expected"),
    (lambda t: re.sub(r"tree_sizes=.*\n", "", t).replace("left_child=1", "left_child=0", 1),
     "do not form one tree"),
    (lambda t: t[: t.index("end of parameters")], "parameters section has no 'end of parameters'"),
])
def test_lightgbm_text_that_does_not_add_up(tmp_path, lightgbm_text, edit, message):
    path = tmp_path / "model.txt"
    path.write_text(edit(lightgbm_text))
    _refused(tmp_path, path, message)


def test_the_command_refuses_a_cut_file(tmp_path, lightgbm_text):
    """As a user runs it: `mcugen` in a subprocess, a LightGBM file cut after whole trees."""
    path = tmp_path / "model.txt"
    path.write_text(_cut_before_tree(lightgbm_text, 6) + "end of trees\n")
    _refused(tmp_path, path, "not a whole number of iterations", subprocess=True)


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["learner"]["gradient_booster"]["model"]["trees"].pop(), r"num_trees=\d+ but holds \d+ trees"),
    (lambda d: d["learner"]["gradient_booster"]["model"]["tree_info"].pop(), "tree_info of"),
    (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][1]["left_children"].pop(),
     r"tree 1 has \d+ left_children for num_nodes"),
    (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"].__setitem__(0, 0),
     "do not form one tree|child index outside"),
    (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0]["parents"].__setitem__(2, 5),
     "parents that do not match"),
    (lambda d: d["learner"]["attributes"].__setitem__("best_iteration", "99"), "best_iteration=99 beyond"),
])
def test_xgboost_json_that_does_not_add_up(tmp_path, edit, message):
    require_package("xgboost")
    import numpy as np

    estimator = xgboost_model("classifier", "breast_cancer", 6, 3)
    np.savetxt(tmp_path / "X.csv", np.zeros((3, estimator.n_features_in_)), delimiter=",")
    document = json.loads(bytes(estimator.get_booster().save_raw("json")))
    edit(document)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    _refused(tmp_path, path, message)
