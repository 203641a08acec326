"""Hidden-unit pruning of the digits MLP 64-32-10, with and without fine-tuning, on the
ATmega328P (issue 17, acceptance 3: >= 30% fewer cycles within 1 point of held-out accuracy?).

Rows: load_digits / 16, train_test_split(test_size=0.5, random_state=0); the MLP and the
fine-tuning see only the training half. Per keep share: held-out accuracy of the pruned and of
the pruned + fine-tuned net (scikit-learn, float) and of its int8 build (the interpreter, what
the chip computes, on all held-out rows), and the ATmega328P cycles per inference measured in
simavr on 20 held-out rows (`mcugen verify --target atmega328p`). Nothing is asserted.

Run: .venv/bin/python benchmarks/mlp_prune_finetune.py [--epochs 60]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import codegen
from codegen.optimize.mlp_finetune import fine_tune_mlp
from codegen.optimize.mlp_units import hidden_sizes, prune_hidden_units
from codegen.verification import CONVERSION_TARGET, verify

SHARES = (1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25)
CHIP = "atmega328p"
SIMULATED_ROWS = 20


def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.5, random_state=0)


def on_chip(model, X_train, X_test, y_test) -> tuple[float, float]:
    """(held-out accuracy of the int8 build, mean ATmega328P cycles per inference)."""
    converted = codegen.convert(model, name="digits", target=CONVERSION_TARGET[CHIP], calibration=X_train)
    rows = X_test.astype(np.float32)
    accuracy = float(np.mean(converted.decode(converted.interpret(rows).predictions) == y_test))
    result = verify(converted, rows, labels=y_test, target=CHIP, samples=SIMULATED_ROWS)
    if result["interpreter_agreement"] != 1.0:
        raise AssertionError("the simulated C differs from the interpreter")
    return accuracy, result["cycles_per_inference"]["mean"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60, help="fine-tuning epochs after pruning")
    args = parser.parse_args()
    X_train, X_test, y_train, y_test = digits_split()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X_train, y_train)
    trained = 100 * model.score(X_test, y_test)
    base_int8, base_cycles = on_chip(model, X_train, X_test, y_test)
    print(f"digits MLP 64-32-10 as trained: held-out {trained:.2f}% (int8 {100 * base_int8:.2f}%), "
          f"{base_cycles:,.0f} cycles on the {CHIP}; fine-tuning: {args.epochs} epochs, same rows")
    header = (f"{'keep':>5} {'hidden':>6} | {'pruned %':>8} {'int8 %':>7} | {'+tuned %':>8} {'int8 %':>7} | "
              f"{'cycles':>7} {'vs trained':>10} | within 1 pt and >= 30% fewer?")
    print(header)
    print("-" * len(header))
    reached = []
    for share in SHARES:
        pruned = prune_hidden_units(model, share)
        tuned = fine_tune_mlp(pruned, X_train, y_train, epochs=args.epochs)
        pruned_int8, cycles = on_chip(pruned, X_train, X_test, y_test)
        tuned_int8, tuned_cycles = on_chip(tuned, X_train, X_test, y_test)
        assert tuned_cycles == cycles or abs(tuned_cycles - cycles) / cycles < 0.02  # same shape, same work
        saving = 1 - tuned_cycles / base_cycles
        tuned_acc = 100 * tuned.score(X_test, y_test)
        ok = saving >= 0.30 and 100 * tuned_int8 >= trained - 1.0
        if ok:
            reached.append(hidden_sizes(tuned)[0])
        print(f"{share:>5.3f} {hidden_sizes(pruned)[0]:>6} | {100 * pruned.score(X_test, y_test):>8.2f} "
              f"{100 * pruned_int8:>7.2f} | {tuned_acc:>8.2f} {100 * tuned_int8:>7.2f} | "
              f"{tuned_cycles:>7,.0f} {-100 * saving:>+9.1f}% | {'yes' if ok else 'no'}")
    verdict = f"reached with {min(reached)} hidden units (smallest)" if reached else "not reached"
    print(f"30% fewer cycles within 1 point of {trained:.2f}% (int8 build, held-out rows): {verdict}")


if __name__ == "__main__":
    main()
