"""The peer adapters of benchmarks/peer_tools.py build on the host and answer every row with a
class index (mcugen's own rows exactly as sklearn). The simulator figures are the benchmark's."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

from codegen.harness import toolchains
from codegen.harness.host import build_host, run_host

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import peer_tools  # noqa: E402
import peers  # noqa: E402
from peers import c_name, device_rows  # noqa: E402

PACKAGES = {"emlearn": "emlearn", "m2cgen": "m2cgen", "micromlgen": "micromlgen", "mcugen": "codegen"}


@pytest.fixture(scope="module")
def small_forest():
    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    model = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X[::2], y[::2])
    return model, X[::2], X[1::2][:40]


@pytest.mark.parametrize("tool", [t for t in peer_tools.TOOLS if "trees" in t.kinds], ids=lambda t: t.label)
def test_adapter_builds_and_predicts_on_host(tool, small_forest):
    # find_spec, not import: importing emlearn here would change numpy's error state for
    # every later test (peer_tools imports it carefully)
    if importlib.util.find_spec(PACKAGES[tool.package]) is None:
        reason = f"{tool.package} is missing; run: pip install -e '.[bench]'"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have it: {reason}")
        pytest.skip(reason)
    model, X_train, X_test = small_forest
    name = c_name(tool)
    code = tool.generate(model, name, X_train, "atmega2560")
    assert f"#define {name.upper()}_N_FEATURES 30" in code.header_text
    n_outputs = int(re.search(rf"#define {name.upper()}_N_OUTPUTS (\d+)", code.header_text).group(1))
    # The peers' code is not ours to make warning-free: the host's strict flags are relaxed.
    executable = build_host(code.header_text, name, extra_flags=("-w", *code.extra_cflags))
    rows = device_rows(X_test, code.input_dtype)
    predictions = run_host(executable, rows, code.input_dtype, n_outputs).predictions
    assert set(predictions.tolist()) <= {0, 1}
    if tool.is_mcugen:
        assert np.array_equal(model.classes_[predictions], model.predict(X_test))


# ---- peers.py: chips, tables and ratios (no simulator) ---------------------------------------


def _result(tool: str, chip: str, count: float, flash: int, *, mcugen: bool = False, error: str | None = None):
    counter = peers.CHIPS[chip].counter
    if error:
        return peers.Result("mlp-digits", chip, counter, tool, "1", mcugen, rows=10, error=error)
    return peers.Result(
        "mlp-digits",
        chip,
        counter,
        tool,
        "1",
        mcugen,
        fidelity=1.0,
        count_mean=count,
        count_min=int(count),
        count_max=int(count),
        flash_bytes=flash,
        ram_bytes=0,
        rows=10,
    )


def test_mlp_runs_on_atmega2560_and_cortex_m4_hard_float():
    specs = {spec.key: spec for spec in peers.MODELS}
    assert specs["mlp-digits"].chips == ("atmega2560", "cortex-m4")
    trees = [spec for spec in specs.values() if spec.kind == "trees"]
    assert {"rf50-synth", "gb100-cancer"} <= {spec.key for spec in trees}
    assert all(spec.chips == ("atmega2560", "cortex-m0", "cortex-m4") for spec in trees)
    assert peers.CHIPS["cortex-m0"].cflags == () and "soft" in peers.CHIPS["cortex-m0"].float_abi
    m4 = peers.CHIPS["cortex-m4"]
    assert m4.counter == "instructions" and m4.cflags == ("-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
    assert peers.CHIPS["atmega2560"].counter == "cycles" and peers.CHIPS["atmega2560"].cflags == ()


def test_mcugen_converts_for_the_chip_itself(monkeypatch):
    """The size check must see the ATmega2560's 256 KB, not the "avr" family's 32 KB."""
    targets = []

    def convert(estimator, **options):
        targets.append(options["target"])
        raise RuntimeError("stop")

    monkeypatch.setattr(peer_tools.codegen, "convert", convert)
    for chip in ("atmega2560", "cortex-m0"):
        with pytest.raises(RuntimeError, match="stop"):
            peer_tools.mcugen_trees("ifelse")(None, "m", None, chip)
    assert targets == ["atmega2560", "cortex-m0"]


def test_run_in_chunks_adds_the_chips_flags(monkeypatch, tmp_path):
    calls = []

    def fake_run(target, header, name, rows, input_dtype, *, extra_cflags):
        calls.append((target, len(rows), extra_cflags))
        n = len(rows)
        return peers.TargetRun(target, np.zeros(n, np.int64), None, "x", np.ones(n, np.int64), 1, 0, 2, 2)

    monkeypatch.setattr(peers, "run_on_target", fake_run)
    code = peer_tools.PeerCode("", "float32", ("-Iemlearn",))
    rows = np.zeros((300, 64), np.float32)  # 76,800 bytes: three calls on AVR, one on Cortex-M
    peers.run_in_chunks(peers.CHIPS["cortex-m4"], tmp_path / "m.h", "m", rows, code)
    assert calls == [("cortex-m4", 300, ("-Iemlearn", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"))]
    calls.clear()
    run = peers.run_in_chunks(peers.CHIPS["atmega2560"], tmp_path / "m.h", "m", rows, code)
    assert [c[1] for c in calls] == [127, 127, 46] and {c[2] for c in calls} == {("-Iemlearn",)}
    assert len(run.counts) == 300


def test_cortex_m4_table_counts_instructions_and_names_the_float_abi():
    spec = next(spec for spec in peers.MODELS if spec.key == "mlp-digits")
    chip = peers.CHIPS["cortex-m4"]
    results = [
        _result("mcugen int8 MLP", "cortex-m4", 2_000, 7_000, mcugen=True),
        _result("emlearn MLP loadable", "cortex-m4", 20_000, 14_000),
        _result("emlearn MLP inline", "cortex-m4", 0, 0, error="code generation failed: x"),
    ]
    text = peers.table(spec, chip, results)
    assert "mlp-digits on cortex-m4" in text and "float ABI: hard (-mfloat-abi=hard -mfpu=fpv4-sp-d16)" in text
    assert "instructions mean (min-max)" in text and "cycles mean" not in text
    lines = peers.ratio_lines(peers.ratios(results), chip)
    assert lines.startswith(
        "mcugen best on cortex-m4: 0.10x the instructions of the fastest other tool "
        "(emlearn MLP loadable: 20,000 instructions"
    )
    assert "0.50x the flash of the smallest other tool" in lines
    avr = peers.ratio_lines(
        peers.ratios([_result("mcugen int8 MLP", "atmega2560", 1, 1, mcugen=True)]), peers.CHIPS["atmega2560"]
    )
    assert avr == "mcugen best on atmega2560: no ratios (mcugen or every other tool failed)"


def test_size_errors_lose_the_advice_for_mcugen_users():
    message = (
        "model needs 10,194 bytes of RAM (10,196 with the test harness) but the atmega2560 has 8,192; "
        "make the model smaller (trees: --layout table, fewer or shallower trees; MLPs: narrower layers)"
    )
    assert peers.without_mcugen_advice(message).endswith("has 8,192")


def test_chips_filter_narrows_and_rejects_unknown_chips():
    specs = peers.pick_chips(peers.pick_models("dt-digits,mlp-digits"), "cortex-m0")
    assert [(spec.key, spec.chips) for spec in specs] == [("dt-digits", ("cortex-m0",))]
    with pytest.raises(ValueError, match="unknown chip"):
        peers.pick_chips(peers.MODELS, "pic16")


def test_summary_table_and_goal_lines():
    spec = next(spec for spec in peers.MODELS if spec.key == "dt-digits")
    results = [replace(_result("mcugen ifelse", "cortex-m0", 100, 10, mcugen=True), model="dt-digits",
                       cycles_estimate=150.0),
               replace(_result("micromlgen", "cortex-m0", 300, 10), model="dt-digits", cycles_estimate=500.0),
               replace(_result("mcugen ifelse", "atmega2560", 100, 10, mcugen=True), model="dt-digits"),
               replace(_result("micromlgen", "atmega2560", 200, 10), model="dt-digits")]
    text = peers.summary([replace(spec, chips=("atmega2560", "cortex-m0"))], results)
    assert ("| dt-digits | cortex-m0 (instructions) | 100 (ifelse) | 300 (micromlgen, 100.0%) | 0.33 | 150 / 500 |"
            in text)
    assert "| dt-digits | atmega2560 (cycles) | 100 (ifelse) | 200 (micromlgen, 100.0%) | 0.50 | - |" in text
    assert "goal cortex-m0: <= 0.50x the fastest peer's instructions: met on 1 of 1 models (dt-digits)" in text
    assert "goal atmega2560: <= 0.25x the fastest peer's cycles: met on 0 of 1 models (none); worst 0.50x" in text


def test_micromlgen_cpp_firmware_runs_on_cortex_m0(small_forest):
    """micromlgen's C++ makes the whole firmware C++: the markers and the startup's linker
    symbols keep C linkage, so the counter finds harness_mark_start."""
    missing = toolchains.missing(toolchains.tools_for("cortex-m0"))
    if missing or importlib.util.find_spec("micromlgen") is None or importlib.util.find_spec("unicorn") is None:
        reason = f"needs {', '.join(missing) or 'micromlgen and unicorn'}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have it: {reason}")
        pytest.skip(reason)
    model, X_train, X_test = small_forest
    tool = next(t for t in peer_tools.TOOLS if t.package == "micromlgen")
    run = peers.measure(peers.Fitted(peers.MODELS[0], model, X_train, X_test[:8], model.predict(X_test[:8])),
                        peers.CHIPS["cortex-m0"], tool, Path(tempfile.mkdtemp(prefix="peers-test-")))
    assert run.ok, run.error
    assert run.fidelity == 1.0 and run.count_min > 0 and run.cycles_estimate > run.count_mean
