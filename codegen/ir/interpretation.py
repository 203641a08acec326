"""What running a model's integer IR on a batch of rows gives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Interpretation:
    predictions: np.ndarray  # int64 (n_rows,): class index, or fixed-point regression output
    scores: np.ndarray  # int64 (n_rows, n_outputs): what `<name>_scores` writes
    op_counts: dict[str, np.ndarray] = field(default_factory=dict)  # class -> int64 (n_rows,)
