"""Reading the CSV files the CLI takes: numeric, comma-separated, with an optional header.

The header rule (README "Use"): the first row is a header when its cells are not all numbers,
or when they are the model's feature names, or the column indices 0..n-1 (what pandas'
`X.to_csv(index=False)` writes for unnamed columns). A labels file has a header when it has
one line more than the data (`y.to_csv(index=False)` writes one), or when its first line is
text above numeric labels. A text cell anywhere else is an error naming its row and column;
an empty cell is NaN (pandas' `to_csv` writes NaN so). When the model knows its feature names
and the header names them, columns are taken by name (codegen/feature_names.py).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from codegen.errors import UserError
from codegen.feature_names import column_order, reorder


def read_csv(path: str | Path, what: str = "data", *, n_features: int | None = None,
             feature_names=None, warn=None) -> np.ndarray:
    """A 2-D float64 array (NaN and inf allowed, as 'nan' / 'inf'; an empty cell is NaN, as
    pandas writes it)."""
    path = Path(path)
    lines = _read_rows(path, what)
    header = lines[0][1] if lines and _is_header(lines[0][1], lines, n_features, feature_names, path, what,
                                                 warn) else None
    rows = lines[1:] if header is not None else lines
    if not rows:
        raise UserError(f"{what} file {path} has no rows; give at least one numeric row")
    width = len(rows[0][1])
    values = []
    for line_number, row in rows:
        if len(row) != width:
            raise UserError(f"{what} file {path}: line {line_number} has {len(row)} columns, the first row "
                            f"has {width}; make every row the same length")
        values.append([_number(cell, path, what, line_number, column) for column, cell in enumerate(row, 1)])
    return _by_name(np.asarray(values, dtype=np.float64), header, feature_names, path, what, warn)


def _by_name(values: np.ndarray, header, feature_names, path: Path, what: str, warn) -> np.ndarray:
    """Columns in the model's order when the header names the model's features (any order)."""
    if header is None or feature_names is None or all(is_number(cell) for cell in header):
        return values  # no names to go by: columns are taken by position
    order = column_order(header, tuple(feature_names), f"{what} file {path}: its header")
    if order is not None and warn is not None:
        warn(f"{what} file {path}: its columns are the model's features in another order; took them by name")
    return reorder(values, order)


def read_labels(path: str | Path, n_rows: int | None = None, warn=None) -> np.ndarray:
    """One label per line, as text (verification compares them in the type of the model's
    classes). `n_rows`: the number of data rows, to recognise a header line."""
    path = Path(path)
    lines = _read_rows(path, "labels")
    widest = max((len(row) for _, row in lines), default=1)
    if widest != 1:
        raise UserError(f"labels file {path} has {widest} columns; give one label per line")
    cells = [row[0] for _, row in lines]
    if n_rows is not None and len(cells) == n_rows + 1:
        if is_number(cells[0]) and cells[0] != "0" and warn is not None:  # "0": pandas' unnamed Series
            warn(f"labels file {path}: took its first line {cells[0]!r} as a header (it has one line more "
                 "than the data)")
        cells = cells[1:]
    elif len(cells) > 1 and not is_number(cells[0]) and all(is_number(c) for c in cells[1:]):
        cells = cells[1:]
    if not cells:
        raise UserError(f"labels file {path} has no labels; give one label per line")
    return np.asarray(cells)


def read_number_list(text: str, what: str) -> tuple[float, ...]:
    """'0.5' or '0.5,0.25,...' or the path of a JSON file holding a list of numbers."""
    source = Path(text)
    if source.suffix.lower() == ".json":
        return _number_file(source, what)
    items = [item.strip() for item in text.split(",")]
    if len(items) > 1 and "" in items:
        raise UserError(f"--{what} {text!r}: item {items.index('') + 1} of the comma list is empty; give one "
                        "number per feature, e.g. 0.5,0.25")
    try:
        return tuple(float(item) for item in items if item) or _not_a_list(text, what)
    except ValueError:
        return _not_a_list(text, what)


def _number_file(source: Path, what: str) -> tuple[float, ...]:
    if not source.is_file():
        raise UserError(f"--{what} file {source} does not exist; give the path of a .json list of numbers")
    try:
        values = json.loads(source.read_text())
        values = values if isinstance(values, list) else [values]
        numbers = tuple(float(v) for v in values if not isinstance(v, (bool, list, dict)))
    except (ValueError, TypeError, OSError, UnicodeDecodeError):
        numbers = ()
    if not numbers or len(numbers) != len(values):
        raise UserError(f"--{what} file {source} does not hold a JSON list of numbers; write e.g. [0.5, 0.25]")
    return numbers


def _not_a_list(text: str, what: str):
    raise UserError(f"--{what} {text!r} is not a number list; give e.g. 0.5 or 0.5,0.25 or a .json list")


def _read_rows(path: Path, what: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of every line that is not blank."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [(reader.line_num, [cell.strip() for cell in row])
                    for reader in [csv.reader(handle)] for row in reader]
    except OSError as error:
        raise UserError(f"cannot read {what} file {path}: {error.strerror}; check the path") from None
    except (UnicodeDecodeError, csv.Error):
        raise UserError(f"{what} file {path} is not a text CSV file; give a comma-separated text file") from None
    # a blank line is skipped; ",,," is a row (pandas writes a row of NaN so)
    return [(number, row) for number, row in rows if len(row) > 1 or (row and row[0])]


def _is_header(first: list[str], lines, n_features, feature_names, path: Path, what: str, warn) -> bool:
    if not all(is_number(cell) for cell in first):
        return True
    if feature_names is not None and first == [str(name) for name in feature_names]:
        return True
    if n_features is None or first != [str(i) for i in range(n_features)]:
        return False
    if warn is not None and all(_is_whole(cell) for _, row in lines[1:] for cell in row):
        warn(f"{what} file {path}: took its first line ({','.join(first[:4])}{',...' if len(first) > 4 else ''}) "
             "as pandas' column-index header; if it is a data row, remove the ambiguity with a named header")
    return True


def _number(cell: str, path: Path, what: str, line: int, column: int) -> float:
    if cell == "":  # pandas writes NaN as an empty cell
        return math.nan
    try:
        return float(cell)
    except ValueError:
        raise UserError(f"{what} file {path}: line {line}, column {column} is {cell[:40]!r}, not a number; "
                        "use numbers (nan and inf are allowed)") from None


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_whole(cell: str) -> bool:
    try:
        value = float(cell)
    except ValueError:
        return False
    return math.isfinite(value) and value == int(value)
