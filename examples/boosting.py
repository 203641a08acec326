"""Gradient boosting on a microcontroller that reads integer sensor values: train, convert with
int16 input (real = scale * (q - zero_point)), check the C on the host and on a simulated
ATmega328P, save the header.

Run: .venv/bin/python examples/boosting.py   (writes boosting-out/diabetes.h and diabetes.json)
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split

import codegen
from codegen.verification import format_result, passed, verify

# 1. the device's readings: int16 per feature, real value = scale * q (zero_point 0)
X, y = load_diabetes(return_X_y=True)
scale = np.abs(X).max(axis=0) / 30000.0
Q = np.round(X / scale).astype(np.int16)
Q_train, Q_test, y_train, y_test = train_test_split(Q, y, test_size=0.25, random_state=0)

# 2. train on the real values the readings stand for (what the model sees on the device)
real_train = (scale * Q_train.astype(np.float64)).astype(np.float32)
boosting = HistGradientBoostingRegressor(max_iter=40, max_depth=4, random_state=0).fit(real_train, y_train)

# 3. convert: the C compares the int16 readings directly, no float and no scaling on the chip
model = codegen.convert(boosting, name="diabetes", input="int16", scale=tuple(scale), target="avr")
report = model.report()
print(f"converted {report.get('n_trees', '?')} trees, layout {model.layout}, "
      f"output error bound {report['output_error_bound']:.2g}")

# 4. verify on the host (all rows) and on the ATmega328P in simavr (first 30 rows)
ok = True
for target, samples in (("host", len(Q_test)), ("atmega328p", 30)):
    result = verify(model, Q_test, target=target, samples=samples)
    print(f"\n{format_result(result)}")
    ok = ok and passed(result, model.kind)

# 5. the prediction in C is fixed point: diabetes_predict(q) / DIABETES_OUTPUT_ONE
for path in model.save("boosting-out"):
    print(f"wrote {path}")
sys.exit(0 if ok else 1)
