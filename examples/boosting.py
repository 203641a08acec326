"""Gradient boosting on a microcontroller that reads integer sensor values: train, convert with
int16 input (real = scale * (q - zero_point)), check the C on the host and on a simulated
ATmega328P, save the header and a PlatformIO project for an Arduino Uno (or a Mega 2560 when
the model would crowd the Uno's flash).

Run: .venv/bin/python examples/boosting.py   (writes boosting-out/ in the current folder:
diabetes.h, diabetes.json, model.joblib, scale.json, Q_test.csv, y_test.csv, project/)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split

import codegen
from codegen.device.boards import get_board
from codegen.device.project import next_steps, write_project
from codegen.verification import format_result, passed, verify

OUT = Path("boosting-out")  # relative to the folder you run this from
# flash the firmware needs beside the model on an AVR board: Arduino core, Serial, the protocol
FIRMWARE_ALLOWANCE = 8 * 1024

# 1. the device's readings: int16 per feature, real value = scale * q (zero_point 0)
X, y = load_diabetes(return_X_y=True)
scale = np.abs(X).max(axis=0) / 30000.0
Q = np.round(X / scale).astype(np.int16)
Q_train, Q_test, y_train, y_test = train_test_split(Q, y, test_size=0.25, random_state=0)

# 2. train on the real values the readings stand for (what the model sees on the device)
real_train = (scale * Q_train.astype(np.float64)).astype(np.float32)
boosting = HistGradientBoostingRegressor(max_iter=40, max_depth=4, random_state=0).fit(real_train, y_train)

# 3. convert: the C compares the int16 readings directly, no float and no scaling on the chip;
#    layout "auto" picks branches or flash tables from the AVR's flash
model = codegen.convert(boosting, name="diabetes", input="int16", scale=tuple(scale), target="avr")
report = model.report()
print(f"converted {report.get('n_trees', '?')} trees, layout {model.layout}, "
      f"output error bound {report['output_error_bound']:.2g}")

# 4. verify on the host (all rows) and on the ATmega328P in simavr (first 30 rows)
ok = True
results = {}
for target, samples in (("host", len(Q_test)), ("atmega328p", 30)):
    results[target] = result = verify(model, Q_test, target=target, samples=samples)
    print(f"\n{format_result(result)}")
    ok = ok and passed(result, model.kind)

# 5. the prediction in C is fixed point: diabetes_predict(q) / DIABETES_OUTPUT_ONE
print()
for path in model.save(OUT):
    print(f"wrote {path}")

# 6. a PlatformIO project: the Uno when the model's measured flash leaves room for the
#    firmware, else the Mega 2560 (both AVR: the same conversion serves either)
model_flash = results["atmega328p"]["flash_bytes"]
board = "uno" if model_flash + FIRMWARE_ALLOWANCE <= get_board("uno").flash_bytes else "megaatmega2560"
assert get_board(board).target == model.settings.target
joblib.dump(boosting, OUT / "model.joblib")
(OUT / "scale.json").write_text(json.dumps(scale.tolist()) + "\n")
np.savetxt(OUT / "Q_test.csv", Q_test, delimiter=",", fmt="%d")
np.savetxt(OUT / "y_test.csv", y_test, delimiter=",", fmt="%.9g")
project = write_project(model.header_text, model.name, model.model_hash, board, OUT / "project")
print(f"wrote {OUT / 'model.joblib'}, {OUT / 'scale.json'}, {OUT / 'Q_test.csv'}, {OUT / 'y_test.csv'}")
print(f"wrote {project}/ (PlatformIO, board {board}: model {model_flash:,} B of flash + "
      f"{FIRMWARE_ALLOWANCE // 1024} KB firmware allowance, model hash 0x{model.model_hash:08X})")

# the commands convert the saved model again with the same options, so the hash matches
model_args = f"{OUT / 'model.joblib'} --name {model.name} --input int16 --scale {OUT / 'scale.json'}"
print(next_steps(project, model_args, board, OUT / "Q_test.csv", OUT / "y_test.csv"))
sys.exit(0 if ok else 1)
