"""Early exit: mean cycles (ATmega2560) / instructions (Cortex-M0, M4F) of `<name>_predict`
without early exit and with a check every G trees, on the peers' tree models (if-else layout).

    python benchmarks/early_exit_sweep.py [--groups 0,1,2,4] [--rows 100] [--models rf10-digits,...]
        [--layout ifelse|table] [--chips atmega2560,cortex-m0,cortex-m4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import codegen  # noqa: E402
from benchmarks.peers import MODELS, fit  # noqa: E402
from codegen.harness.targets import run_on_target  # noqa: E402
from codegen.ir import early_exit  # noqa: E402

CHIPS = {"atmega2560": (), "cortex-m0": (),
         "cortex-m4": ("-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")}
ORIGINAL = (early_exit.exit_kind, early_exit.default_group)


def _configure(group: int) -> None:
    """group 0: early exit off; else a check every `group` trees."""
    kind, default = ORIGINAL
    early_exit.exit_kind = (lambda ir: None) if group == 0 else kind
    early_exit.default_group = default if group < 0 else (lambda ir: group)


def measure(spec_key: str, groups: list[int], n_rows: int, layout: str, chips: list[str]) -> None:
    fitted = fit(next(m for m in MODELS if m.key == spec_key))
    rows = fitted.X_test[:n_rows]
    for chip in chips:
        flags = CHIPS[chip]
        line = []
        for group in groups:
            _configure(group)
            model = codegen.convert(fitted.estimator, name="m", layout=layout, target=chip)
            with tempfile.TemporaryDirectory() as tmp:
                header = Path(tmp) / "m.h"
                header.write_text(model.header_text)
                run = run_on_target(chip, header, "m", rows, "float32", extra_cflags=flags)
            assert np.array_equal(run.predictions, model.interpret(rows).predictions)
            label = {0: "off", -1: "default"}.get(group, f"G={group}")
            line.append(f"{label} {run.counts.mean():.0f} ({run.flash_bytes} B)")
        print(f"{spec_key:13} {chip:11} {run.counter:12} " + " | ".join(line), flush=True)
    _configure(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="rf10-digits,rf20-cancer,rf50-synth,gb100-cancer")
    parser.add_argument("--groups", default="0,1,2,4", help="0 = early exit off, -1 = the default")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--layout", default="ifelse")
    parser.add_argument("--chips", default=",".join(CHIPS))
    args = parser.parse_args()
    for key in args.models.split(","):
        measure(key, [int(g) for g in args.groups.split(",")], args.rows, args.layout, args.chips.split(","))


if __name__ == "__main__":
    main()
