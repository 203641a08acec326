"""A random forest on a microcontroller, end to end: train, convert to an integer-only C header,
check the C on the host and on a simulated Cortex-M4, save the header and a PlatformIO project
for a Nucleo-F401RE.

Copy this and change the three marked lines for your own data and board.
Run: .venv/bin/python examples/forest.py   (writes forest-out/ in the current folder: cancer.h,
cancer.json, model.joblib, X_test.csv, y_test.csv and the PlatformIO project in project/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

import codegen
from codegen.device.boards import get_board
from codegen.device.project import next_steps, write_project
from codegen.verification import format_result, passed, verify

OUT = Path("forest-out")  # relative to the folder you run this from
BOARD = "nucleo_f401re"  # your board here: uno, megaatmega2560, nucleo_l432kc, esp32dev, rpipico

# 1. train (your data here); mcugen compares in float32, the type the device passes
X, y = load_breast_cancer(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
forest = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(X_train, y_train)

# 2. convert for the board's chip family (cortex-m4 here); layout "auto" weighs its flash
model = codegen.convert(forest, name="cancer", layout="auto", target=get_board(BOARD).target)
print(f"converted {forest.n_estimators} trees, layout {model.layout}, hash 0x{model.model_hash:08X}")

# 3. verify: every test row on the host, the first 50 in the simulator (your chip here)
ok = True
for target in ("host", "cortex-m4"):
    result = verify(model, X_test, y_test, target=target, samples=50)
    print(f"\n{format_result(result)}")
    ok = ok and passed(result, model.kind)

# 4. save: forest-out/cancer.h goes into your firmware; call cancer_predict(features)
print()
for path in model.save(OUT):
    print(f"wrote {path}")

# 5. the model and test rows for the mcugen commands, and a PlatformIO project whose firmware
#    answers the serial protocol (firmware/protocol/PROTOCOL.md) with predictions and cycles
joblib.dump(forest, OUT / "model.joblib")
np.savetxt(OUT / "X_test.csv", X_test, delimiter=",", fmt="%.9g")
np.savetxt(OUT / "y_test.csv", y_test, delimiter=",", fmt="%d")
project = write_project(model.header_text, model.name, model.model_hash, BOARD, OUT / "project")
print(f"wrote {OUT / 'model.joblib'}, {OUT / 'X_test.csv'}, {OUT / 'y_test.csv'}")
print(f"wrote {project}/ (PlatformIO, board {BOARD}, model hash 0x{model.model_hash:08X})")

model_args = f"{OUT / 'model.joblib'} --name {model.name}"
print(next_steps(project, model_args, BOARD, OUT / "X_test.csv", OUT / "y_test.csv"))
sys.exit(0 if ok else 1)
