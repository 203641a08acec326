"""A small neural network on an 8-bit microcontroller: train an MLP on the digits, quantise it
to int8 (calibrated on the training rows), check the C on the host and on a simulated
ATmega328P, save the header and a PlatformIO project for an Arduino Uno.

The MLP sits behind a MinMaxScaler in a Pipeline: mcugen folds the scaler into the input
quantisation, so the device passes the raw pixel counts (0..16) as floats and never scales.
(Training on X / 16 without a scaler works as well; with the scaler the device needs no
knowledge of the preprocessing.)

Quantised MLPs are bit-exact with mcugen's integer interpreter and close to, not identical
with, scikit-learn: the tables print both agreements.

Run: .venv/bin/python examples/mlp.py   (writes mlp-out/ in the current folder: digits_mlp.h,
digits_mlp.json, model.joblib, X_train.csv (the calibration rows), X_test.csv, y_test.csv,
project/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import codegen
from codegen.device.boards import get_board
from codegen.device.project import next_steps, write_project
from codegen.verification import format_result, passed, verify

OUT = Path("mlp-out")  # relative to the folder you run this from
BOARD = "uno"
SIMULATED_ROWS = 40  # each about 2 ms at 16 MHz on the ATmega328P (the cycles are printed)

# 1. train: 64 pixel counts in 0..16 -> MinMaxScaler -> 32 relu units -> 10 classes
X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
mlp = make_pipeline(
    MinMaxScaler(),
    MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=500, random_state=0),
).fit(X_train, y_train)
print(f"trained a 64-32-10 MLP: scikit-learn test accuracy {mlp.score(X_test, y_test):.3f}")

# 2. convert: int8 weights and activations; the training rows set the activation ranges
model = codegen.convert(mlp, name="digits_mlp", target=get_board(BOARD).target, calibration=X_train)
report = model.report()
print(f"quantised to int8, model hash 0x{model.model_hash:08X}, "
      f"{report.get('flash_bytes', 0):,} bytes of weights and tables")

# 3. verify: every test row on the host, the first rows on the ATmega328P in simavr
ok = True
for target, samples in (("host", len(X_test)), ("atmega328p", SIMULATED_ROWS)):
    result = verify(model, X_test, y_test, target=target, samples=samples)
    print(f"\n{format_result(result)}")
    ok = ok and passed(result, model.kind)

# 4. save: mlp-out/digits_mlp.h goes into your firmware; call digits_mlp_predict(pixels)
print()
for path in model.save(OUT):
    print(f"wrote {path}")

# 5. the model, its calibration rows and the test rows for the mcugen commands, and the
#    PlatformIO project (the mcugen commands need --calibration to quantise it the same way)
joblib.dump(mlp, OUT / "model.joblib")
for filename, rows, fmt in (("X_train.csv", X_train, "%.9g"), ("X_test.csv", X_test, "%.9g"),
                            ("y_test.csv", y_test, "%d")):
    np.savetxt(OUT / filename, rows, delimiter=",", fmt=fmt)
project = write_project(model.header_text, model.name, model.model_hash, BOARD, OUT / "project")
print(f"wrote {OUT / 'model.joblib'}, {OUT / 'X_train.csv'}, {OUT / 'X_test.csv'}, {OUT / 'y_test.csv'}")
print(f"wrote {project}/ (PlatformIO, board {BOARD}, model hash 0x{model.model_hash:08X})")

model_args = f"{OUT / 'model.joblib'} --name {model.name} --calibration {OUT / 'X_train.csv'}"
print(next_steps(project, model_args, BOARD, OUT / "X_test.csv", OUT / "y_test.csv"))
sys.exit(0 if ok else 1)
