"""`mcugen device-verify`: run rows on a board and check every answer.

The device must give exactly the interpreter's predictions (and scores, when asked): the C on
the chip and `ir.interpret` agree bit for bit or something is wrong. Agreement with
scikit-learn and accuracy against true labels are reported beside it, not required.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from codegen.device import protocol
from codegen.device.link import Link, SerialLink, Session
from codegen.device.protocol import Hello
from codegen.errors import UserError
from codegen.input_types import INPUT_TYPES
from codegen.ir.interpretation import Interpretation

MAX_MISMATCHES_KEPT = 20


@dataclass(frozen=True)
class DeviceResult:
    hello: Hello
    predictions: np.ndarray  # int64 (n_rows,): what the device returned
    cycles: np.ndarray  # int64 (n_rows,): counter ticks per prediction (unit: counter_unit)
    agree_interpreter: int  # rows whose prediction (and scores, if checked) match exactly
    mismatches: tuple[int, ...]  # first rows that disagree with the interpreter
    agree_sklearn: int | None  # rows matching scikit-learn's prediction, when given
    accuracy: float | None  # fraction matching the true labels, when given
    scores_checked: bool
    recoveries: int  # requests sent again after a timeout or a corrupted frame

    @property
    def n_rows(self) -> int:
        return int(self.predictions.shape[0])

    @property
    def ok(self) -> bool:
        return self.agree_interpreter == self.n_rows

    @property
    def counter_unit(self) -> str:
        return self.hello.counter_unit

    def cycles_stats(self) -> dict[str, float]:
        if not self.n_rows:
            return {"min": 0.0, "mean": 0.0, "max": 0.0}
        c = self.cycles
        return {"min": float(c.min()), "mean": float(c.mean()), "max": float(c.max())}

    def to_dict(self) -> dict:
        return {
            "rows": self.n_rows,
            "ok": self.ok,
            "model_hash": f"0x{self.hello.model_hash:08X}",
            "agree_interpreter": self.agree_interpreter,
            "agree_sklearn": self.agree_sklearn,
            "accuracy": self.accuracy,
            "scores_checked": self.scores_checked,
            "mismatches": list(self.mismatches),
            "counter": {"unit": self.counter_unit, "hz": self.hello.counter_hz},
            "cycles": self.cycles_stats(),
            "recoveries": self.recoveries,
        }


def device_verify(
    port: str | Link,
    rows: np.ndarray,
    expected: Interpretation,
    model_hash: int,
    *,
    input_dtype: str = "float32",
    sklearn_predictions: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    decode: Callable[[np.ndarray], np.ndarray] | None = None,
    tolerance: float = 0.0,
    check_scores: bool = False,
    baud: int = 115200,
    timeout: float = 1.0,
    retries: int = 5,
    boot_timeout: float = 4.0,
    progress: Callable[[int, int], None] | None = None,
) -> DeviceResult:
    """Streams `rows` to the board at `port` (a path, or an open Link) and checks each answer.

    `expected` is the interpreter's result for `rows`. `sklearn_predictions` and `labels` are
    in the units `decode` returns (class labels, or floats compared within `tolerance`), or
    in the integer units of `expected.predictions` when `decode` is None.
    """
    rows = np.asarray(rows)
    link = SerialLink(port, baud) if isinstance(port, str) else port
    try:
        session = Session(link, timeout=timeout, retries=retries)
        hello = handshake(session, model_hash, rows, input_dtype, boot_timeout)
        predictions, cycles, scores = _run_rows(session, hello, rows, input_dtype, check_scores, progress)
    finally:
        if isinstance(port, str):
            link.close()
    good = predictions == np.asarray(expected.predictions, dtype=np.int64)
    if check_scores:
        good &= np.all(scores == np.asarray(expected.scores, dtype=np.int64), axis=1)
    values = decode(predictions) if decode is not None else predictions
    return DeviceResult(
        hello=hello,
        predictions=predictions,
        cycles=cycles,
        agree_interpreter=int(good.sum()),
        mismatches=tuple(int(i) for i in np.flatnonzero(~good)[:MAX_MISMATCHES_KEPT]),
        agree_sklearn=_agreeing(values, sklearn_predictions, tolerance),
        accuracy=None if labels is None else (_agreeing(values, labels, tolerance) or 0) / max(len(rows), 1),
        scores_checked=check_scores,
        recoveries=session.recoveries,
    )


def handshake(session: Session, model_hash: int, rows: np.ndarray, input_dtype: str, boot_timeout: float) -> Hello:
    """HELLO until the board answers (an Uno reboots when its port opens), then checks that it
    runs this model and takes rows of this shape."""
    deadline = time.monotonic() + boot_timeout
    while True:
        try:
            reply = session.ask(protocol.HELLO)
            break
        except UserError:
            if time.monotonic() > deadline:
                raise
    hello = protocol.parse_hello(reply.body)
    session.max_payload = hello.max_payload
    if hello.model_hash != model_hash:
        raise UserError(
            f"the board runs another model (hash 0x{hello.model_hash:08X}, expected "
            f"0x{model_hash:08X}); flash this one first with: mcugen flash MODEL --board BOARD"
        )
    dtype = INPUT_TYPES[input_dtype].numpy
    if rows.ndim != 2 or rows.shape[1] != hello.n_features or dtype.itemsize != hello.input_size:
        raise UserError(
            f"the board's model takes {hello.n_features} features of {hello.input_size} bytes but "
            f"the data has shape {rows.shape} of {input_dtype}; pass the model's own feature columns"
        )
    return hello


def _run_rows(
    session: Session, hello: Hello, rows: np.ndarray, input_dtype: str, check_scores: bool,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dtype = INPUT_TYPES[input_dtype].numpy
    n_outputs = hello.n_outputs if check_scores else 0
    msg_type = protocol.PREDICT_SCORES if check_scores else protocol.PREDICT
    predictions = np.zeros(len(rows), dtype=np.int64)
    cycles = np.zeros(len(rows), dtype=np.int64)
    scores = np.zeros((len(rows), n_outputs), dtype=np.int64)
    for i, row in enumerate(rows):
        answer = protocol.parse_prediction(session.ask(msg_type, protocol.row_bytes(row, dtype)).body, n_outputs)
        predictions[i], cycles[i] = answer.prediction, answer.cycles
        scores[i] = answer.scores
        if progress is not None:
            progress(i + 1, len(rows))
    return predictions, cycles, scores


def _agreeing(values: np.ndarray, reference: np.ndarray | None, tolerance: float) -> int | None:
    """How many rows match `reference` (floats: within `tolerance`); None without one."""
    if reference is None:
        return None
    values, reference = np.asarray(values), np.asarray(reference)
    if values.dtype.kind == "f" or reference.dtype.kind == "f":
        return int((np.abs(values.astype(np.float64) - reference.astype(np.float64)) <= tolerance).sum())
    return int((values == reference).sum())
