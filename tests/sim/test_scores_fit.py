"""A model fits a chip when the firmware that only predicts fits it: that is what `mcugen tune`
measures and what a user flashes. `verify` then checks the scores too when the larger firmware
that prints them also fits, and says plainly that it did not check them when it does not.

The chip's flash is set between the two firmwares' sizes, measured first on the real part."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sklearn import datasets, ensemble

import codegen
from codegen import chips
from codegen.errors import UserError
from codegen.harness import sizes
from codegen.harness import targets as harness
from codegen.verification import format_result, passed, verify

pytestmark = pytest.mark.sim

CHIP = "atmega328p"


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    X, y = datasets.load_wine(return_X_y=True)
    forest = ensemble.RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X[::2], y[::2])
    model = codegen.convert(forest, name="m", target=CHIP)
    folder = tmp_path_factory.mktemp("scores-fit")
    header = folder / "m.h"
    header.write_text(model.header_text)
    rows = model.check_rows(X[1::2][:12])
    job = harness._make_job(CHIP, header, "m", rows, model.input_dtype, True, ())
    one = rows[:1]

    def firmware_flash(folder_name: str, scores: bool) -> int:
        elf = harness._build(job, one, folder / folder_name, null=False, scores=scores)
        return sizes.measure("avr-size", elf).flash

    return model, rows, firmware_flash("predicts", False), firmware_flash("prints-scores", True), header


def with_flash(monkeypatch, flash: int) -> None:
    row = chips.CHIPS[CHIP]
    simulator = dataclasses.replace(row.simulator, flash_bytes=flash)
    monkeypatch.setattr(chips, "CHIPS", {**chips.CHIPS, CHIP: dataclasses.replace(row, simulator=simulator)})


def test_scores_are_checked_when_their_firmware_fits(require_target, case):
    require_target(CHIP)
    model, rows, *_ = case
    result = verify(model, rows, target=CHIP, samples=len(rows))
    assert result["scores_match_interpreter"] and "scores_skipped" not in result and passed(result, "trees")


def test_a_model_whose_scores_firmware_does_not_fit_is_still_verified(require_target, case, monkeypatch):
    require_target(CHIP)
    model, rows, predicts, prints_scores, header = case
    assert prints_scores > predicts  # printing the scores links more code
    with_flash(monkeypatch, (predicts + prints_scores) // 2)
    run = harness.run_on_target(CHIP, header, "m", rows, model.input_dtype, with_scores=True)
    assert run.scores is None and "prints the scores" in run.scores_skipped
    result = verify(model, rows, target=CHIP, samples=len(rows))
    assert result["interpreter_agreement"] == 1.0 and result["agreement"] == 1.0 and passed(result, "trees")
    assert "scores_match_interpreter" not in result
    assert re.search(r"^scores on the chip +not checked: the firmware that also prints the scores",
                     format_result(result), re.M)


def test_a_model_whose_predicting_firmware_does_not_fit_is_refused(require_target, case, monkeypatch):
    require_target(CHIP)
    model, rows, predicts, *_ = case
    with_flash(monkeypatch, predicts - 1)
    with pytest.raises(UserError, match="bytes of flash"):
        verify(model, rows, target=CHIP, samples=len(rows))

