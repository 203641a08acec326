"""A model converted by `codegen.convert` (not the hand-written one) through the device path:
its project builds for AVR and Cortex-M4, and the simulated Uno and Mega agree with the
interpreter and scikit-learn on every row."""

import pytest
from device_support import build_avr_elf, build_runner, build_stm32f4_elf, need_simavr, simavr_board
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

import codegen
from codegen.device.boards import get_board
from codegen.device.project import write_project
from codegen.device.verify import device_verify


@pytest.fixture(scope="module")
def iris_forest():
    X, y = load_iris(return_X_y=True)
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, y), X, y


@pytest.mark.parametrize("board, mcu", [("uno", "atmega328p"), ("megaatmega2560", "atmega2560")])
def test_simulated_avr_runs_a_converted_forest(iris_forest, tmp_path, board, mcu):
    need_simavr()
    forest, X, y = iris_forest
    spec = get_board(board)
    model = codegen.convert(forest, name="iris", target=spec.target)
    project = write_project(model.header_text, model.name, model.model_hash, board, tmp_path / "p")
    elf = build_avr_elf(project, "iris", board, tmp_path / "fw.elf")
    rows = model.check_rows(X)
    with simavr_board(build_runner(tmp_path / "runner"), elf, mcu, spec.f_cpu) as port:
        result = device_verify(port, rows, model.interpret(rows), model.model_hash, check_scores=True,
                               sklearn_predictions=forest.predict(rows), labels=y, decode=model.decode,
                               timeout=2.0)
    assert result.ok and result.agree_sklearn == len(rows)
    assert result.accuracy > 0.9
    assert result.cycles_stats()["min"] > 0


def test_converted_forest_links_for_cortex_m4(iris_forest, tmp_path):
    forest, _, _ = iris_forest
    model = codegen.convert(forest, name="iris", target="cortex-m4")
    project = write_project(model.header_text, model.name, model.model_hash, "nucleo_f401re", tmp_path / "p")
    assert build_stm32f4_elf(project, "iris", "nucleo_f401re", tmp_path / "fw.elf").stat().st_size > 0
