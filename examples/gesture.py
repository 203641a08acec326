"""A sensor example: recognise a gesture from a 3-axis accelerometer on a microcontroller.

Synthesises 2-second accelerometer windows at 50 Hz for four gestures (idle, shake, tap,
circle), computes 22 window features in numpy, trains a small random forest, and converts it
twice:

- float32 features: the firmware computes the features in float32 (a Cortex-M4F does this
  cheaply) and passes them as they are;
- int16 features: the firmware passes each feature as an int16 code q with
  real = scale * (q - zero_point), scale and zero point per feature chosen from the training
  ranges; the C then compares integers only, which suits chips without an FPU (the AVR).

Both are verified on the host, a simulated Cortex-M4 and a simulated ATmega328P, and the
float32 model is written as a PlatformIO project for a Nucleo-L432KC.

Out of mcugen's scope: computing the features on the device. mcugen proves the C predicts
exactly what scikit-learn predicts for the same feature values; the firmware must compute
the features as `window_features` below does (in float32, or in fixed point for the int16
codes), and a feature computed slightly differently can flip a prediction near a threshold.

Run: .venv/bin/python examples/gesture.py   (writes gesture-out/ in the current folder:
gesture.h / gesture.json (float32), gesture_q.h / gesture_q.json (int16), model.joblib,
F_test.csv, Q_test.csv, y_test.csv, scale.json, zero_point.json, project/)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

import codegen
from codegen.device.boards import get_board
from codegen.device.project import write_project
from codegen.verification import CONVERSION_TARGET, format_result, passed, verify

OUT = Path("gesture-out")  # relative to the folder you run this from
BOARD = "nucleo_l432kc"
RATE_HZ, WINDOW_S = 50, 2.0
N = int(RATE_HZ * WINDOW_S)  # samples per window
RANGE_G = 4.0  # the sensor's full scale: +-4 g, readings saturate beyond
GESTURES = ("idle", "shake", "tap", "circle")
WINDOWS_PER_GESTURE = 300
SIMULATED_ROWS = 100  # rows each simulator runs; the host runs all test rows
SIM_TARGETS = ("cortex-m4", "atmega328p")


# ---- 1. synthetic accelerometer windows -------------------------------------------------------

def synthesize_window(gesture: str, rng: np.random.Generator) -> np.ndarray:
    """One window, (N, 3) in g: gravity on a tilted z axis, sensor noise, a slow sway and now
    and then a small bump of the hand, and the gesture with random amplitude, frequency and
    phase (gentle ones too, so that the classes overlap a little)."""
    t = np.arange(N) / RATE_HZ
    tilt, azimuth = np.radians(rng.normal(0.0, 15.0)), rng.uniform(0.0, 2 * np.pi)
    gravity = np.array([np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth), np.cos(tilt)])
    a = np.tile(gravity, (N, 1))
    a += rng.normal(0.0, rng.uniform(0.01, 0.05), size=(N, 3))  # sensor noise
    sway_f, sway_phase = rng.uniform(0.2, 1.0), rng.uniform(0.0, 2 * np.pi, size=3)
    a += rng.uniform(0.005, 0.12) * np.sin(2 * np.pi * sway_f * t[:, None] + sway_phase)
    if rng.random() < 0.3:  # the hand adjusts its grip: a soft bump of ~0.2 s
        at, width = rng.uniform(0.2, WINDOW_S - 0.2), rng.uniform(0.05, 0.12)
        a += rng.normal(0.0, 0.25, size=3) * np.exp(-0.5 * ((t[:, None] - at) / width) ** 2)
    if gesture == "shake":  # back and forth along a mostly horizontal direction, 2.5-6 Hz
        direction = np.array([1.0, rng.normal(0.0, 0.5), rng.normal(0.0, 0.3)])
        direction /= np.linalg.norm(direction)
        f, amplitude = rng.uniform(2.5, 6.0), rng.uniform(0.25, 2.5)
        start, length = rng.uniform(0.0, 0.8), rng.uniform(0.8, 1.8)
        envelope = np.clip(np.minimum(t - start, start + length - t) / 0.15, 0.0, 1.0)
        a += (amplitude * envelope * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)))[:, None] * direction
    elif gesture == "tap":  # one to three knocks: a sharp spike on z that rings out in ~60 ms
        for _ in range(rng.integers(1, 4)):
            at = rng.integers(5, N - 8)
            k = np.arange(N - at)
            decay, pitch = rng.uniform(0.8, 2.5), rng.uniform(0.6, 1.0)
            ring = rng.uniform(0.4, 3.5) * np.exp(-k / decay) * np.cos(np.pi * k * pitch)
            a[at:, 2] += ring
            a[at:, :2] += ring[:, None] * rng.normal(0.0, 0.3, size=2)
    elif gesture == "circle":  # the hand draws circles in the horizontal plane, 0.5-2 Hz
        f, amplitude, phase = rng.uniform(0.5, 2.0), rng.uniform(0.12, 0.9), rng.uniform(0, 2 * np.pi)
        a[:, 0] += amplitude * np.cos(2 * np.pi * f * t + phase)
        a[:, 1] += amplitude * np.sin(2 * np.pi * f * t + phase) * rng.uniform(0.6, 1.0)
    return np.clip(a, -RANGE_G, RANGE_G)


# ---- 2. window features -------------------------------------------------------------------------

FEATURE_NAMES = tuple(
    [f"{axis}_{stat}" for axis in "xyz" for stat in ("mean", "std", "min", "max", "energy", "crossings")]
    + [f"mag_{stat}" for stat in ("mean", "std", "min", "max")]
)
COUNT_FEATURES = np.array([name.endswith("crossings") for name in FEATURE_NAMES])


def window_features(a: np.ndarray) -> np.ndarray:
    """Per axis: mean, standard deviation, min, max, energy (mean square) and the number of
    times the signal crosses its mean; then mean, std, min and max of the magnitude |a|."""
    features = []
    for axis in range(3):
        x = a[:, axis]
        centred = x - x.mean()
        crossings = np.count_nonzero(np.signbit(centred[1:]) != np.signbit(centred[:-1]))
        features += [x.mean(), x.std(), x.min(), x.max(), np.mean(x * x), crossings]
    magnitude = np.sqrt(np.sum(a * a, axis=1))
    features += [magnitude.mean(), magnitude.std(), magnitude.min(), magnitude.max()]
    return np.array(features)


def int16_codes(F_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per feature (scale, zero_point): the training range widened by a quarter on each side
    spread over the 65,536 int16 codes; the crossing counts are whole numbers: scale 1, zero 0.
    The zero point is an integer offset the firmware subtracts in int32, so it may lie outside
    int16 (a feature living in [0.9, 1.1] g is centred on code 0)."""
    low, high = F_train.min(axis=0), F_train.max(axis=0)
    margin = 0.25 * np.maximum(high - low, 1e-6)
    low, high = low - margin, high + margin
    scale = (high - low) / 65535.0
    zero_point = np.round(-32768.0 - low / scale).astype(np.int64)
    scale[COUNT_FEATURES], zero_point[COUNT_FEATURES] = 1.0, 0
    return scale, zero_point


def quantize(F: np.ndarray, scale: np.ndarray, zero_point: np.ndarray) -> np.ndarray:
    """What the firmware passes: q = round(real / scale) + zero_point, saturated to int16."""
    return np.clip(np.round(F / scale) + zero_point, -32768, 32767).astype(np.int16)


def save_csv(path: Path, rows: np.ndarray) -> None:
    fmt = "%d" if np.issubdtype(rows.dtype, np.integer) else "%.9g"
    np.savetxt(path, rows, delimiter=",", fmt=fmt)


def main() -> int:
    started = time.perf_counter()
    rng = np.random.default_rng(2024)
    labels = np.repeat(np.arange(len(GESTURES)), WINDOWS_PER_GESTURE)
    F = np.stack([window_features(synthesize_window(GESTURES[g], rng)) for g in labels]).astype(np.float32)
    y = labels  # class numbers (the C returns an index, and label CSVs are numeric): GESTURES[y]
    F_train, F_test, y_train, y_test = train_test_split(F, y, test_size=0.3, random_state=0, stratify=y)
    forest = RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0).fit(F_train, y_train)
    print(f"{len(F)} windows of {N} samples x 3 axes ({WINDOW_S:g} s at {RATE_HZ} Hz), "
          f"{F.shape[1]} features; {forest.n_estimators} trees, test accuracy {forest.score(F_test, y_test):.3f}")
    print("classes: " + ", ".join(f"{number} {gesture}" for number, gesture in enumerate(GESTURES)))

    scale, zero_point = int16_codes(F_train)
    Q_test = quantize(F_test, scale, zero_point)
    coded = (scale * (Q_test.astype(np.float64) - zero_point)).astype(np.float32)  # what q stands for
    changed = np.count_nonzero(forest.predict(coded) != forest.predict(F_test))
    print(f"int16 feature codes: largest step {np.max(scale[~COUNT_FEATURES]):.2g}, "
          f"scikit-learn's prediction changes on {changed} of {len(F_test)} test windows")
    variants = (  # (C name, conversion options, device rows)
        ("gesture", {}, F_test),
        ("gesture_q", {"input": "int16", "scale": tuple(scale), "zero_point": tuple(zero_point)}, Q_test),
    )

    ok, summary, models = True, [], {}
    for name, options, rows in variants:
        for target in ("host", *SIM_TARGETS):
            model = codegen.convert(forest, name=name, layout="auto", target=CONVERSION_TARGET[target], **options)
            models[(name, CONVERSION_TARGET[target])] = model
            samples = len(rows) if target == "host" else SIMULATED_ROWS
            result = verify(model, rows, y_test, target=target, samples=samples)
            print(f"\n== {model.input_dtype} features on {target} (layout {model.layout}) ==")
            print(format_result(result))
            ok = ok and passed(result, model.kind)
            summary.append(f"{model.input_dtype} on {target}: {100 * result['agreement']:.0f}% of {result['n_rows']}")

    # The headers: float32 for the Cortex-M4F board, int16 for the ATmega328P (a different
    # layout may suit another chip: convert for its target as above).
    print()
    OUT.mkdir(exist_ok=True)
    board_target = get_board(BOARD).target
    for model in (models[("gesture", board_target)], models[("gesture_q", "avr")]):
        for path in model.save(OUT):
            print(f"wrote {path}")
    joblib.dump(forest, OUT / "model.joblib")
    save_csv(OUT / "F_test.csv", F_test)
    save_csv(OUT / "Q_test.csv", Q_test)
    save_csv(OUT / "y_test.csv", y_test)
    (OUT / "scale.json").write_text(json.dumps(scale.tolist()) + "\n")
    (OUT / "zero_point.json").write_text(json.dumps(zero_point.tolist()) + "\n")
    board_model = models[("gesture", board_target)]
    project = write_project(board_model.header_text, board_model.name, board_model.model_hash, BOARD, OUT / "project")
    print(f"wrote model.joblib, F_test.csv, Q_test.csv, y_test.csv, scale.json, zero_point.json in {OUT}")
    print(f"wrote {project}/ (PlatformIO, board {BOARD}, float32 features, "
          f"model hash 0x{board_model.model_hash:08X})")

    model_args = f"{OUT / 'model.joblib'} --name gesture"
    int16_args = (f"{OUT / 'model.joblib'} --name gesture_q --input int16 "
                  f"--scale {OUT / 'scale.json'} --zero-point {OUT / 'zero_point.json'}")
    print(f"""
next, with the board on USB (PORT is e.g. /dev/ttyACM0 or COM3):
  build and flash the project above:   pio run -d {project} -t upload
  or let mcugen write and flash it:    mcugen flash {model_args} --board {BOARD} --port PORT
  check every test row on the board:   mcugen device-verify {model_args} --port PORT \\
                                           --data {OUT / 'F_test.csv'} --labels {OUT / 'y_test.csv'}
the int16 variant on an Arduino Uno:   mcugen flash {int16_args} --board uno --port PORT
                                       mcugen device-verify {int16_args} --port PORT \\
                                           --data {OUT / 'Q_test.csv'} --labels {OUT / 'y_test.csv'}""")

    print(f"\n{'OK' if ok else 'MISMATCH'}: agreement with scikit-learn: {'; '.join(summary)} "
          f"({time.perf_counter() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
