"""Reading the CSV files the CLI takes: numeric, comma-separated, with an optional header."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from codegen.errors import UserError


def read_csv(path: str | Path, what: str = "data") -> np.ndarray:
    """A 2-D float64 array (NaN and inf allowed, as 'nan' / 'inf'). A first line that is not
    numeric is taken as a header."""
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            lines = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except OSError as error:
        raise UserError(f"cannot read {what} file {path}: {error.strerror}; check the path") from None
    except UnicodeDecodeError:
        raise UserError(f"{what} file {path} is not a text CSV file; give a comma-separated text file") from None
    if lines and not _is_numeric(lines[0]):
        lines = lines[1:]
    if not lines:
        raise UserError(f"{what} file {path} has no rows; give at least one numeric row")
    width = len(lines[0])
    rows = []
    for number, row in enumerate(lines, start=1):
        if len(row) != width:
            raise UserError(f"{what} file {path}: row {number} has {len(row)} columns, the first has {width}; "
                            "make every row the same length")
        try:
            rows.append([float(cell) for cell in row])
        except ValueError:
            raise UserError(f"{what} file {path}: row {number} has a non-numeric value; "
                            "use numbers (nan and inf are allowed)") from None
    return np.asarray(rows, dtype=np.float64)


def read_labels(path: str | Path) -> np.ndarray:
    """One label per line: numbers (float64), or text labels as strings. A first line that is
    not numeric in a file whose other lines are numbers is taken as a header."""
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            lines = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read labels file {path}: {error}; give a text file, one label per line") from None
    widest = max((len(row) for row in lines), default=1)
    if widest != 1:
        raise UserError(f"labels file {path} has {widest} columns; give one label per line")
    cells = [row[0].strip() for row in lines]
    if len(cells) > 1 and not _is_numeric(cells[:1]) and all(_is_numeric([c]) for c in cells[1:]):
        cells = cells[1:]
    if not cells:
        raise UserError(f"labels file {path} has no labels; give one label per line")
    return np.asarray([float(c) for c in cells]) if _is_numeric(cells) else np.asarray(cells)


def read_number_list(text: str, what: str) -> tuple[float, ...]:
    """'0.5' or '0.5,0.25,...' or the path of a JSON file holding a list of numbers."""
    source = Path(text)
    try:
        if source.suffix == ".json" and source.is_file():
            values = json.loads(source.read_text())
            values = values if isinstance(values, list) else [values]
        else:
            values = [v for v in text.split(",") if v.strip()]
        return tuple(float(v) for v in values)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise UserError(f"--{what} {text!r} is not a number list; give e.g. 0.5 or 0.5,0.25 or a .json list") from None


def _is_numeric(row: list[str]) -> bool:
    try:
        [float(cell) for cell in row]
    except ValueError:
        return False
    return True
