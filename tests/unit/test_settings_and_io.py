"""Settings validation (names, layouts, inputs, quantisation) and reading the CLI's files (CSV
with or without a header, nan/inf, ragged rows, number lists, model files)."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest

from codegen.data_io import read_csv, read_labels, read_number_list
from codegen.errors import UserError
from codegen.frontends.load import load_model
from codegen.settings import InputQuantization, Settings, check_identifier

# ---- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["m", "model", "iris_rf", "A1", "x" * 32, "Model_2_b"])
def test_good_names(name):
    assert check_identifier(name) == name
    assert Settings(name=name).name == name


TRAILING_NEWLINE = "a\n"  # "$" would match before a final newline: names are matched whole


@pytest.mark.parametrize("name", ["", "1abc", "my-model", "int", "float", "static", "class", "_hidden", "a b",
                                  "x" * 33, "caf\u00e9", "model.h", "lambda", "None", TRAILING_NEWLINE])
def test_bad_names(name):
    with pytest.raises(UserError, match="not a usable C identifier"):
        Settings(name=name)


@pytest.mark.parametrize(("field", "value"), [("layout", "tree"), ("input", "float64"), ("target", "pdp11")])
def test_bad_choices(field, value):
    with pytest.raises(UserError, match=f"unknown {field}"):
        Settings(**{field: value})


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.name = "other"  # type: ignore[misc]


# ---- input quantisation -------------------------------------------------------------------------


def test_quantization_spreads_one_value():
    assert InputQuantization((0.5,), (3,)).for_features(3) == ((0.5, 0.5, 0.5), (3, 3, 3))


def test_quantization_per_feature():
    assert InputQuantization((0.5, 2.0), (1, -1)).for_features(2) == ((0.5, 2.0), (1, -1))


@pytest.mark.parametrize("scale", [(0.0,), (-1.0,), (math.nan,), (math.inf,)])
def test_quantization_rejects_bad_scale(scale):
    with pytest.raises(UserError, match="scale"):
        InputQuantization(scale).for_features(2)


def test_quantization_rejects_wrong_count():
    with pytest.raises(UserError, match="3 values but the model has 2"):
        InputQuantization((1.0, 2.0, 3.0)).for_features(2)
    with pytest.raises(UserError, match="--zero-point has 3 values"):
        InputQuantization((1.0,), (0, 1, 2)).for_features(2)


# ---- CSV ----------------------------------------------------------------------------------------


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_header(tmp_path):
    X = read_csv(write(tmp_path, "a,b,c\n1,2,3\n4.5,-6,7e3\n"))
    np.testing.assert_array_equal(X, [[1, 2, 3], [4.5, -6, 7000]])
    assert X.dtype == np.float64


def test_csv_without_header(tmp_path):
    np.testing.assert_array_equal(read_csv(write(tmp_path, "1,2\n3,4\n")), [[1, 2], [3, 4]])


def test_csv_nan_and_inf(tmp_path):
    X = read_csv(write(tmp_path, "x,y,z\nnan,inf,-inf\nNaN,1,-0.0\n"))
    assert np.isnan(X[0, 0]) and np.isnan(X[1, 0])
    assert X[0, 1] == np.inf and X[0, 2] == -np.inf
    assert X[1, 2] == 0 and np.signbit(X[1, 2])


def test_csv_a_nan_first_row_is_data_not_header(tmp_path):
    assert read_csv(write(tmp_path, "nan,1\n2,3\n")).shape == (2, 2)


def test_csv_skips_blank_lines_and_spaces(tmp_path):
    X = read_csv(write(tmp_path, "1, 2\n\n 3 ,4\n,\n5,\n"))  # ",": pandas' row of NaN; "": NaN
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [np.nan, np.nan], [5, np.nan]])


def test_csv_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n3,4\r\n")
    np.testing.assert_array_equal(read_csv(path), [[1, 2], [3, 4]])


def test_csv_full_float64_precision(tmp_path):
    value = 0.1 + 0.2
    assert read_csv(write(tmp_path, f"{value!r}\n"))[0, 0] == value


@pytest.mark.parametrize(("text", "message"), [
    ("1,2,3\n4,5\n", "line 2 has 2 columns, the first row has 3"),
    ("a,b\n1,2\n3,4,5\n", "line 3 has 3 columns"),
    ("1,2\n3,x\n", "line 2, column 2 is 'x', not a number"),
    ("a,b\nc,d\n", "line 2, column 1 is 'c', not a number"),
    ("1,2\nx,3\n4,5\n", "line 2, column 1 is 'x'"),  # never a silently dropped row
    ("", "no rows"),
    ("a,b,c\n", "no rows"),
    ("\n\n", "no rows"),
])
def test_csv_errors(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        read_csv(write(tmp_path, text))


def test_csv_missing_file(tmp_path):
    with pytest.raises(UserError, match="cannot read data file"):
        read_csv(tmp_path / "nope.csv")


def test_csv_is_a_folder(tmp_path):
    with pytest.raises(UserError, match="cannot read"):
        read_csv(tmp_path)


def test_csv_binary(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    with pytest.raises(UserError):
        read_csv(path)


def test_labels(tmp_path):
    np.testing.assert_array_equal(read_labels(write(tmp_path, "label\n0\n2\n1\n")), ["0", "2", "1"])
    # pandas' y.to_csv(index=False) header "0": one line more than the data rows
    np.testing.assert_array_equal(read_labels(write(tmp_path, "0\n1\n2\n", "y.csv"), n_rows=2), ["1", "2"])
    np.testing.assert_array_equal(read_labels(write(tmp_path, "0\n1\n2\n", "y.csv"), n_rows=3), ["0", "1", "2"])
    with pytest.raises(UserError, match="2 columns"):
        read_labels(write(tmp_path, "0,1\n2,3\n", "two.csv"))


# ---- number lists -------------------------------------------------------------------------------


def test_number_lists(tmp_path):
    assert read_number_list("0.5", "scale") == (0.5,)
    assert read_number_list("0.5,0.25, 2", "scale") == (0.5, 0.25, 2.0)
    path = tmp_path / "scale.json"
    path.write_text(json.dumps([1, 0.5]))
    assert read_number_list(str(path), "scale") == (1.0, 0.5)
    path.write_text("3")
    assert read_number_list(str(path), "scale") == (3.0,)


@pytest.mark.parametrize("text", ["abc", "1,x", "[1,2]"])
def test_bad_number_lists(text):
    with pytest.raises(UserError, match="--scale"):
        read_number_list(text, "scale")


def test_bad_json_number_list(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(UserError, match="does not hold a JSON list of numbers"):
        read_number_list(str(path), "zero-point")
    path.write_text('{"a": 1}')
    with pytest.raises(UserError, match="does not hold a JSON list of numbers"):
        read_number_list(str(path), "zero-point")


# ---- model files --------------------------------------------------------------------------------


def test_load_plain_pickle_warns(tmp_path):
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    messages = []
    assert load_model(path, warn=messages.append) == {"a": 1}
    assert len(messages) == 1 and "arbitrary code" in messages[0]


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("m.joblib", b"garbage", "cannot read"),
    ("m.pickle", b"\x80\x05garbage", "cannot read"),
    ("m.onnx", b"x", "unknown model file type"),
    ("m.skops", b"not a zip", "cannot read"),
])
def test_load_bad_files(tmp_path, filename, content, message):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        load_model(path, warn=lambda _: None)


def test_load_missing(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_model(tmp_path / "m.joblib")
