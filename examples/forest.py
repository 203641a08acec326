"""A random forest on a microcontroller, end to end: train, convert to an integer-only C header,
check the C on the host and on a simulated Cortex-M4, save the header.

Copy this and change the three marked lines for your own data and chip.
Run: .venv/bin/python examples/forest.py   (writes forest-out/cancer.h and cancer.json)
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

import codegen
from codegen.verification import format_result, passed, verify

# 1. train (your data here); mcugen compares in float32, the type the device passes
X, y = load_breast_cancer(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
forest = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(X_train, y_train)

# 2. convert (your chip here: "avr", "cortex-m0", "cortex-m4", ...; layout "auto" weighs its flash)
model = codegen.convert(forest, name="cancer", layout="auto", target="cortex-m4")
print(f"converted {forest.n_estimators} trees, layout {model.layout}, hash 0x{model.model_hash:08X}")

# 3. verify: every test row on the host, the first 50 in the simulator (your chip here)
ok = True
for target in ("host", "cortex-m4"):
    result = verify(model, X_test, y_test, target=target, samples=50)
    print(f"\n{format_result(result)}")
    ok = ok and passed(result, model.kind)

# 4. save: forest-out/cancer.h goes into your firmware; call cancer_predict(features)
for path in model.save("forest-out"):
    print(f"wrote {path}")
sys.exit(0 if ok else 1)
