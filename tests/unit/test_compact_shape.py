"""The compact layout's sizes, counted without rendering (codegen/backends/compact_shape.py),
equal the bytes of the arrays the header declares; field widths follow the model's counts."""

from __future__ import annotations

import numpy as np
import pytest

import codegen
from codegen.backends import flash_tables
from codegen.backends.compact_shape import compact_shape
from codegen.backends.compact_trees import compact_context
from codegen.fit import tree_code_bytes
from tests.unit.test_table_shape import _cases


@pytest.mark.parametrize("case", list(_cases()))
def test_counted_bytes_equal_the_declared_arrays(case):
    estimator, (X, y), input_type = _cases()[case]
    estimator.fit(X, y)
    scale = tuple(np.ptp(X, axis=0) / 200 + 1e-9) if input_type != "float32" else (1.0,)
    converted = codegen.convert(estimator, name="m", layout="compact", input=input_type, scale=scale)
    shape = compact_shape(converted.ir)
    context = compact_context(converted.ir, "m", flash_tables.NEAR, shape)
    declared = [(table["name"].removeprefix("m_"), table["ctype"], table["size"]) for table in context["tables"]]
    assert declared == list(shape.arrays)
    assert shape.table_bytes == flash_tables.total_bytes(context["tables"])
    assert tree_code_bytes(converted.ir, "compact", "avr") == shape.code_bytes
    for suffix, ctype, length in shape.arrays:  # and the header declares exactly these
        assert f"{ctype} m_{suffix}[{length}]" in converted.header_text
