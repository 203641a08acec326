"""A real user's first hour (issue 8): the installed `mcugen` command in a temp folder, on files
people have (pandas CSVs, string labels, read-only folders, re-runs over earlier output).
Every bad case: exit 2, one `error:` line, no traceback, the output folder byte-identical."""

from __future__ import annotations

import json
import shutil

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import datasets, ensemble, neural_network

from tests.support.cli_user import assert_one_error, run, shared_folder, snapshot, warnings_of


@pytest.fixture(scope="module")
def files():
    """Models and the CSVs pandas writes for them, in a folder any user can read."""
    folder = shared_folder()
    X, y = datasets.load_iris(return_X_y=True)
    X = X.astype(np.float32)
    forest = ensemble.RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X[::2], y[::2])
    joblib.dump(forest, folder / "forest.joblib")
    test = pd.DataFrame(X[1::2])  # integer column names 0..3, as pandas writes them
    test.to_csv(folder / "X.csv", index=False)
    test.to_csv(folder / "X_noheader.csv", index=False, header=False)
    pd.Series(y[1::2]).to_csv(folder / "y.csv", index=False)  # header "0"
    named = pd.DataFrame(X[::2], columns=["sl", "sw", "pl", "pw"])
    joblib.dump(ensemble.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(named, y[::2]),
                folder / "named.joblib")
    pd.DataFrame(X[1::2], columns=["sl", "sw", "pl", "pw"]).to_csv(folder / "X_named.csv", index=False)
    numeric_text = np.array(["3", "7", "42"])[y]  # classes that look like numbers but are strings
    joblib.dump(ensemble.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)
                .fit(X[::2], numeric_text[::2]), folder / "text_classes.joblib")
    pd.Series(numeric_text[1::2], name="species").to_csv(folder / "y_text.csv", index=False)
    files = {"dir": folder, "X": X[1::2], "y": y[1::2], "forest": forest, "numeric_text": numeric_text[1::2]}
    yield files
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def work(files):
    """A fresh folder any user can read, as the current folder."""
    folder = files["dir"] / f"work{len(list(files['dir'].glob('work*')))}"
    folder.mkdir()
    folder.chmod(0o755)
    return folder


def model(files, name="forest.joblib"):
    return files["dir"] / name


# ---- project: never lose the user's work --------------------------------------------------------


def test_project_rerun_keeps_user_files_and_refuses_a_changed_generated_file(files, work):
    out = work / "fw"
    first = run("project", model(files), "--board", "uno", "-o", out, cwd=work)
    assert first.returncode == 0, first.stderr
    assert (out / ".mcugen-manifest.json").is_file()
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "src" / "sensors.cpp").write_text("// the user's own code\n")
    (out / "NOTES.md").write_text("calibrated on Tuesday\n")
    main_cpp = out / "src" / "main.cpp"
    main_cpp.write_text(main_cpp.read_text() + "// tweaked by the user\n")
    before = snapshot(out)

    refused = run("project", model(files), "--board", "uno", "-o", out, cwd=work)
    assert_one_error(refused, "src/main.cpp", "changed", "--force")
    assert snapshot(out) == before

    forced = run("project", model(files), "--board", "uno", "-o", out, "--force", cwd=work)
    assert forced.returncode == 0, forced.stderr
    assert "src/main.cpp" in forced.stdout and "1 generated files written" in forced.stdout
    after = snapshot(out)
    for kept in (".git", ".git/HEAD", "src/sensors.cpp", "NOTES.md"):
        assert after[kept] == before[kept], kept
    assert "tweaked by the user" not in main_cpp.read_text()

    again = run("project", model(files), "--board", "uno", "-o", out, cwd=work)
    assert again.returncode == 0 and "0 generated files written" in again.stdout
    assert snapshot(out) == after


def test_project_rerun_for_another_board_says_what_it_updated(files, work):
    out = work / "fw"
    assert run("project", model(files), "--board", "uno", "-o", out, cwd=work).returncode == 0
    (out / "src" / "app.cpp").write_text("// mine\n")
    second = run("project", model(files), "--board", "megaatmega2560", "-o", out, cwd=work)  # AVR: same header
    assert second.returncode == 0, second.stderr
    assert [line for line in second.stdout.splitlines() if line.startswith("wrote")] == [
        f"wrote {out / 'platformio.ini'}"]
    assert (out / "src" / "app.cpp").read_text() == "// mine\n"


def test_project_refuses_a_foreign_folder_unless_forced(files, work):
    (work / "thesis.tex").write_text("precious")
    before = snapshot(work)
    assert_one_error(run("project", model(files), "--board", "uno", "-o", ".", cwd=work),
                     "not made by mcugen", "--force")
    assert snapshot(work) == before
    forced = run("project", model(files), "--board", "uno", "-o", ".", "--force", cwd=work)
    assert forced.returncode == 0, forced.stderr
    assert (work / "thesis.tex").read_text() == "precious" and (work / "platformio.ini").is_file()


# ---- writing: the current folder, read-only folders, all or nothing, umask -------------------------


def test_convert_and_project_into_the_current_folder(files, work):
    converted = run("convert", model(files), "-o", ".", cwd=work)
    assert converted.returncode == 0, converted.stderr
    assert sorted(p.name for p in work.iterdir()) == ["model.h", "model.json"]
    sub = work / "p"
    sub.mkdir()
    project = run("project", model(files), "--board", "uno", "-o", ".", cwd=sub)
    assert project.returncode == 0, project.stderr
    assert (sub / "lib" / "model" / "src" / "model.h").is_file()
    assert not [p for p in work.rglob(".mcugen-staging*")]


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_new_folders_keep_the_umask(files, work, umask):
    out = work / "deep" / "out"
    assert run("project", model(files), "--board", "uno", "-o", out, cwd=work, umask=umask).returncode == 0
    for folder in (work / "deep", out, out / "src", out / "lib" / "model" / "src"):
        assert oct(folder.stat().st_mode & 0o777) == oct(0o777 & ~umask), folder
    assert oct((out / "platformio.ini").stat().st_mode & 0o777) == oct(0o666 & ~umask)


@pytest.mark.parametrize("command", ["convert", "project"])
@pytest.mark.parametrize("where", ["existing", "new", "new-under-read-only-parent"])
def test_read_only_folders(files, work, command, where):
    """As root, without the capabilities that bypass permissions (chmod alone does not stop root)."""
    parent = work / "locked"
    parent.mkdir()
    out = parent if where == "existing" else parent / "new" / "out" if where == "new-under-read-only-parent" \
        else parent / "out"
    (parent / "keep.txt").write_text("untouched")
    parent.chmod(0o555)
    before = snapshot(parent)
    args = ["convert", model(files), "-o", out] if command == "convert" else \
        ["project", model(files), "--board", "uno", "-o", out, "--force"]
    result = run(*args, cwd=work, respect_permissions=True)
    assert_one_error(result, str(parent))
    assert snapshot(parent) == before


@pytest.mark.parametrize("command", ["convert", "project"])
def test_unwritable_places_that_stop_root_too(files, work, command):
    (work / "a_file").write_text("not a folder")
    before = snapshot(work)
    for out in (work / "a_file" / "out", "/proc/mcugen-out", "/proc/self"):
        args = ["convert", model(files), "-o", out] if command == "convert" else \
            ["project", model(files), "--board", "uno", "-o", out, "--force"]
        assert_one_error(run(*args, cwd=work))
    assert snapshot(work) == before


def test_all_or_nothing_when_one_file_cannot_be_replaced(files, work):
    (work / "model.h").write_text("/* an earlier header */\n")
    (work / "model.json").mkdir()  # a folder where the summary goes
    before = snapshot(work)
    assert_one_error(run("convert", model(files), "-o", work, cwd=work), "model.json", "is a folder")
    assert snapshot(work) == before


def test_rerunning_convert_replaces_only_its_files(files, work):
    (work / "notes.txt").write_text("mine")
    for _ in range(2):
        assert run("convert", model(files), "-o", work, cwd=work).returncode == 0
    assert sorted(p.name for p in work.iterdir()) == ["model.h", "model.json", "notes.txt"]


# ---- options and usage errors --------------------------------------------------------------------


@pytest.mark.parametrize("options, fragment", [
    (["--input", "int8", "--zero-point", "nan"], "--zero-point"),
    (["--input", "int8", "--zero-point", "inf"], "--zero-point"),
    (["--input", "int8", "--zero-point", "0.5"], "whole numbers"),
    (["--input", "int8", "--scale", "0"], "--scale"),
    (["--input", "int8", "--scale", "-1"], "--scale"),
    (["--input", "int8", "--scale", "nan"], "--scale"),
    (["--input", "int8", "--scale", "inf"], "--scale"),
    (["--input", "int8", "--scale", "abc"], "--scale"),
    (["--input", "int8", "--scale", ","], "--scale"),
    (["--input", "int8", "--scale", "1,2"], "2 values"),
    (["--scale", "0.5"], "integer input"),
    (["--name", "stdint"], "reserved"),
    (["--name", "string"], "reserved"),
    (["--name", "main"], "reserved"),
    (["--name", "Arduino"], "reserved"),
    (["--name", "mcugen_model"], "reserved"),
    (["--name", "harness_model"], "reserved"),
    (["--name", "int"], "C identifier"),
    (["--name", "9lives"], "C identifier"),
    (["--target", "pdp11"], "'host', 'avr'"),
    (["--layout", "spiral"], "'auto', 'ifelse', 'table'"),
    (["--bogus"], "No such option"),
])
def test_bad_options_are_one_line(files, work, options, fragment):
    out = work / "out"
    assert_one_error(run("convert", model(files), "-o", out, *options, cwd=work), fragment)
    assert not out.exists()


@pytest.mark.parametrize("args, fragment", [
    (["convert", "M"], "Missing option '-o'"),
    (["convert"], "Missing argument 'MODEL'"),
    (["inspect", "M", "--target", "z80"], "'atmega328p'"),
    (["verify", "M", "--data", "X.csv", "--samples", "0"], "--samples"),
    (["verify", "M"], "Missing option '--data'"),
    (["verify", "M", "--data", "X.csv", "--target", "pdp11"], "'cortex-m4'"),
    (["project", "M", "-o", "p"], "Missing option '--board'"),
    (["project", "M", "--board", "teensy", "-o", "p"], "'uno'"),
    (["flash", "M"], "Missing option '--board'"),
    (["device-verify", "M", "--data", "X.csv"], "Missing option '--port'"),
    (["device-verify", "M", "--port", "P", "--data", "X.csv", "--baud", "0"], "--baud"),
    (["device-verify", "M", "--port", "P", "--data", "X.csv", "--timeout", "-1"], "--timeout"),
    (["frobnicate"], "No such command"),
])
def test_usage_errors_are_one_line_for_every_command(files, work, args, fragment):
    args = [str(model(files)) if a == "M" else str(files["dir"] / a) if a == "X.csv" else a for a in args]
    before = snapshot(work)
    assert_one_error(run(*args, cwd=work), fragment)
    assert snapshot(work) == before


def test_verify_target_names_every_simulator_and_refuses_unsimulated_chips(files, work):
    X = files["dir"] / "X.csv"
    assert_one_error(run("verify", model(files), "--data", X, "--target", "esp32", cwd=work),
                     "no simulator runs esp32", "atmega328p")


@pytest.mark.parametrize("target, family", [("atmega328p", "avr"), ("atmega2560", "avr"), ("avr", "avr"),
                                            ("cortex-m4", "cortex-m4"), ("host", "host")])
def test_chip_names_and_families_convert_everywhere(files, work, target, family):
    result = run("inspect", model(files), "--target", target, "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["target"] == family


# ---- model files ---------------------------------------------------------------------------------


def test_pickle_warning_can_be_silenced(files, work):
    assert len(warnings_of(run("inspect", model(files), cwd=work))) == 1
    assert warnings_of(run("inspect", model(files), "--trust", cwd=work)) == []
    assert warnings_of(run("inspect", model(files), cwd=work, env={"MCUGEN_TRUST_PICKLES": "1"})) == []


def test_xgboost_and_lightgbm_models_verify_from_every_file_format(files, work):
    import lightgbm
    import xgboost

    X, y = files["X"], files["y"]
    booster = xgboost.XGBClassifier(n_estimators=4, max_depth=3).fit(X, y)
    joblib.dump(booster, work / "xgb.joblib")
    booster.save_model(work / "xgb.json")
    booster.save_model(work / "xgb.ubj")
    gbm = lightgbm.LGBMClassifier(n_estimators=4, num_leaves=4, verbose=-1).fit(X, y)
    joblib.dump(gbm, work / "lgbm.pkl")
    gbm.booster_.save_model(work / "lgbm.txt")
    for saved in ("xgb.joblib", "xgb.json", "xgb.ubj", "lgbm.pkl", "lgbm.txt"):
        result = run("verify", work / saved, "--data", files["dir"] / "X.csv", "--json", "--trust", cwd=work)
        assert result.returncode == 0, (saved, result.stderr)
        report = json.loads(result.stdout)
        assert report["agreement"] == 1.0 and report["interpreter_agreement"] == 1.0, saved
    named = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])  # a model file that checks column names
    xgboost.XGBClassifier(n_estimators=4, max_depth=3).fit(named, y).save_model(work / "named.json")
    result = run("verify", work / "named.json", "--data", files["dir"] / "X_named.csv", "--proba", "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["proba_passed"]
    (work / "old.model").write_bytes(b"binary")
    assert_one_error(run("convert", work / "old.model", "-o", work / "out", cwd=work),
                     ".model model files", "save_model", "mcugen reads")
    assert not (work / "out").exists()


# ---- data files ----------------------------------------------------------------------------------


def _verify_json(files, work, *args):
    result = run("verify", *args, "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result


@pytest.mark.parametrize("data", ["X.csv", "X_noheader.csv"])
def test_pandas_csvs_with_and_without_header(files, work, data):
    report, result = _verify_json(files, work, model(files), "--data", files["dir"] / data,
                                  "--labels", files["dir"] / "y.csv")
    assert report["n_rows"] == len(files["X"])  # the header is not a row
    expected = float(np.mean(files["forest"].predict(files["X"]) == files["y"]))
    assert report["accuracy"] == report["sklearn_accuracy"] == expected
    assert not [w for w in warnings_of(result) if "header" in w]  # float data: not ambiguous


def test_feature_name_header(files, work):
    report, _ = _verify_json(files, work, model(files, "named.joblib"), "--data", files["dir"] / "X_named.csv")
    assert report["n_rows"] == len(files["X"]) and report["agreement"] == 1.0


def test_ambiguous_index_header_warns(files, work):
    (work / "ints.csv").write_text("0,1,2,3\n5,3,1,0\n6,3,4,1\n")
    report, result = _verify_json(files, work, model(files), "--data", work / "ints.csv")
    assert report["n_rows"] == 2
    assert any("header" in w for w in warnings_of(result))


def test_a_text_cell_in_a_data_row_is_an_error_naming_it(files, work):
    (work / "bad.csv").write_text("0,1,2,3\n5.1,3.5,1.4,0.2\n4.9,three,1.4,0.2\n")
    assert_one_error(run("verify", model(files), "--data", work / "bad.csv", cwd=work), "line 3, column 2", "three")


def test_numeric_looking_string_classes_compare_as_strings(files, work):
    report, _ = _verify_json(files, work, model(files, "text_classes.joblib"), "--data", files["dir"] / "X.csv",
                             "--labels", files["dir"] / "y_text.csv")
    estimator = joblib.load(model(files, "text_classes.joblib"))
    expected = float(np.mean(estimator.predict(files["X"]) == files["numeric_text"]))
    assert expected > 0.9 and report["accuracy"] == report["sklearn_accuracy"] == expected


def test_inf_rows_are_checked_against_the_interpreter(files, work):
    rows = files["X"][:5].astype(np.float64)
    rows[1, 2] = np.inf
    rows[3, 0] = -np.inf
    rows[4, :] = np.nan  # pandas writes ",,," : a row, not a blank line; NaN the forest can judge
    rows[0, 1] = np.nan
    pd.DataFrame(rows).to_csv(work / "inf.csv", index=False)
    report, _ = _verify_json(files, work, model(files), "--data", work / "inf.csv")
    assert report["n_rows"] == 5 and report["rows_sklearn_cannot_judge"] == 2
    assert report["interpreter_agreement"] == 1.0 and report["agreement"] == 1.0
    text = run("verify", model(files), "--data", work / "inf.csv", cwd=work)
    assert text.returncode == 0 and "rows scikit-learn cannot judge  2" in text.stdout


# ---- verify of an MLP: calibration, hash, differing rows ----------------------------------------


@pytest.fixture(scope="module")
def mlp_files(files):
    X, y = datasets.load_digits(return_X_y=True)
    mlp = neural_network.MLPClassifier(hidden_layer_sizes=(16,), max_iter=400, random_state=0).fit(X[:900], y[:900])
    folder = files["dir"]
    joblib.dump(mlp, folder / "mlp.joblib")
    pd.DataFrame(X[:200]).to_csv(folder / "calib.csv", index=False)
    pd.DataFrame(X[900:1300]).to_csv(folder / "digits.csv", index=False)
    return folder


def test_verify_mlp_calibration_and_hash(mlp_files, work):
    mlp, data, calib = mlp_files / "mlp.joblib", mlp_files / "digits.csv", mlp_files / "calib.csv"
    converted = run("convert", mlp, "-o", work, "--calibration", calib, cwd=work)
    assert converted.returncode == 0, converted.stderr
    header_hash = json.loads((work / "model.json").read_text())["report"]["model_hash"]
    on_data = run("verify", mlp, "--data", data, "--json", cwd=work)
    assert any("calibrating the MLP on the --data rows" in w for w in warnings_of(on_data))
    same = run("verify", mlp, "--data", data, "--calibration", calib, "--json", cwd=work)
    assert not [w for w in warnings_of(same) if "calibrating" in w]
    report = json.loads(same.stdout)
    assert report["model_hash"] == header_hash
    text = run("verify", mlp, "--data", data, "--calibration", calib, cwd=work)
    assert "model hash" in text.stdout and header_hash in text.stdout
    # the quantised MLP differs from scikit-learn on a few rows: they are listed, with the C
    # equal to the interpreter on each
    assert report["n_rows_differing"] > 0
    assert len(report["disagreements"]) == min(5, report["n_rows_differing"])
    for row in report["disagreements"]:
        assert row["c"] == row["interpreter"] != row["sklearn"] and len(row["inputs"]) == 6 and row["truncated"]
    assert "first rows that differ" in text.stdout


# ---- size: refuse what cannot fit, before generating -----------------------------------------------


@pytest.fixture(scope="module")
def big_forest(files):
    X, y = datasets.load_digits(return_X_y=True)
    forest = ensemble.RandomForestClassifier(n_estimators=80, random_state=0).fit(X, y)
    joblib.dump(forest, files["dir"] / "big.joblib")
    return files["dir"] / "big.joblib"


def test_a_model_too_big_for_the_chip_is_refused_with_numbers(big_forest, work):
    out = work / "out"
    line = assert_one_error(run("convert", big_forest, "-o", out, "--target", "atmega328p", cwd=work),
                            "does not fit the atmega328p", "32,768", "more flash")
    assert "prune" in line
    assert_one_error(run("convert", big_forest, "-o", out, "--target", "atmega2560", "--layout", "ifelse",
                         cwd=work), "does not fit the atmega2560", "use --layout table")
    assert not out.exists()
    fits = run("convert", big_forest, "-o", out, "--target", "atmega2560", "--layout", "table", cwd=work)
    assert fits.returncode == 0, fits.stderr


def test_a_core_name_warns_above_its_typical_flash_instead_of_refusing(big_forest, work):
    """`cortex-m0` covers parts from 16 KB to megabytes of flash (an RP2040 has 2 MB): a model
    above the typical 32 KB is written, with one warning saying what to do if the chip is small."""
    out = work / "out"
    result = run("convert", big_forest, "-o", out, "--target", "cortex-m0", "--layout", "ifelse", cwd=work)
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in warnings_of(result) if "flash" in line]
    assert "typical cortex-m0's 32,768" in warning and "prune" in warning
    assert (out / "model.h").is_file()


def test_host_auto_layout_does_not_write_a_huge_if_else_header(files, work):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12000, 4)), rng.normal(size=12000)
    forest = ensemble.ExtraTreesRegressor(n_estimators=14, random_state=0).fit(X, y)
    joblib.dump(forest, work / "huge.joblib")
    report = json.loads(run("inspect", work / "huge.joblib", "--json", cwd=work).stdout)
    assert report["n_nodes"] * 14 > 2 * 1024 * 1024 and report["layout"] == "table"


def test_bare_command_prints_help(work):
    result = run(cwd=work)
    assert result.returncode == 0 and result.stdout.startswith("Usage: mcugen") and result.stderr == ""


def test_a_failing_verify_lists_the_differing_rows_and_exits_1(files, work):
    """A compiler wrapper flips the header's `x <= t` tests before compiling: the C now
    disagrees with the interpreter and scikit-learn, as a miscompiling toolchain would."""
    wrapper = work / "bad-cc"
    wrapper.write_text('#!/bin/sh\nfor arg in "$@"; do case "$arg" in *driver.c) '
                       "sed -i 's/(int32_t)u <= t/(int32_t)u > t/' \"$(dirname \"$arg\")/model.h\";; esac; done\n"
                       f'exec {shutil.which("gcc") or "cc"} "$@"\n')
    wrapper.chmod(0o755)
    env = {"CC": str(wrapper), "MCUGEN_CACHE": str(work / "cache")}
    args = ("verify", model(files), "--data", files["dir"] / "X.csv", "--layout", "ifelse")
    text = run(*args, cwd=work, env=env)
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert text.stderr.splitlines()[-1] == "error: the generated C disagrees on some rows (see above)"
    assert "first rows that differ" in text.stdout
    report = json.loads(run(*args, "--json", cwd=work, env=env).stdout)
    assert report["n_rows_differing"] > 0 and report["disagreements"]
    for row in report["disagreements"]:
        assert row["c"] != row["interpreter"] and row["interpreter"] == row["sklearn"]
        assert row["inputs"] == [float(v) for v in files["X"][row["row"]]]
