"""How conversion time grows with the size of a forest.

Trains one RandomForestClassifier of 500 trees (max_depth=12) on a generated dataset large
enough that the trees are deep, then converts its first 10, 25, 50, 100, 200 and 500 trees with
`layout="table"` and `layout="ifelse"`. Conversion time is the Python time to produce the header
text (frontend, passes, backend, template); no C compiler runs. Prints a table with nodes per
second and time per tree relative to the 10-tree forest (1.0 everywhere means linear growth),
then converts one depth-40 tree to show deep trees need no recursion.

Run: .venv/bin/python benchmarks/convert_scale.py [--trees 10,25,50] [--profile]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import pstats
import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

import codegen

TREE_COUNTS = (10, 25, 50, 100, 200, 500)
LAYOUTS = ("table", "ifelse")


def train(n_trees: int) -> RandomForestClassifier:
    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=12, n_classes=3,
                               random_state=0)
    forest = RandomForestClassifier(n_estimators=n_trees, max_depth=12, random_state=0, n_jobs=-1)
    return forest.fit(X.astype(np.float32), y)


def first_trees(forest: RandomForestClassifier, n: int) -> RandomForestClassifier:
    """The same forest cut down to its first n trees (no retraining)."""
    smaller = copy.copy(forest)
    smaller.estimators_ = forest.estimators_[:n]
    smaller.n_estimators = n
    return smaller


def timed_convert(forest, layout: str, repeats: int) -> tuple[float, codegen.ConvertedModel]:
    best = float("inf")
    model = None
    for _ in range(repeats):
        start = time.perf_counter()
        model = codegen.convert(forest, name="forest", layout=layout)
        best = min(best, time.perf_counter() - start)
    return best, model


def deep_tree() -> tuple[DecisionTreeClassifier, np.ndarray]:
    """A chain of depth 40: one feature, alternating classes, geometrically growing weights."""
    n = 120
    X = np.arange(n, dtype=np.float32).reshape(-1, 1)
    y = np.arange(n) % 2
    estimator = DecisionTreeClassifier(max_depth=40, random_state=0)
    return estimator.fit(X, y, sample_weight=2.0 ** (np.arange(n) - n + 1)), X


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", default=",".join(map(str, TREE_COUNTS)),
                        help="comma-separated forest sizes")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest conversion per layout")
    args = parser.parse_args()
    counts = [int(n) for n in args.trees.split(",")]

    start = time.perf_counter()
    forest = train(max(counts))
    print(f"trained {max(counts)} trees (max_depth=12) in {time.perf_counter() - start:.1f} s")
    print()
    header = (f"{'trees':>6} {'nodes':>8} {'layout':>7} {'convert s':>10} {'nodes/s':>10} "
              f"{'s/tree':>9} {'vs 10':>6} {'header KB':>10}")
    print(header)
    print("-" * len(header))
    per_tree_base: dict[str, float] = {}
    for n in counts:
        smaller = first_trees(forest, n)
        nodes = sum(int((t.tree_.children_left >= 0).sum()) for t in smaller.estimators_)
        for layout in LAYOUTS:
            seconds, model = timed_convert(smaller, layout, repeats=3 if n <= 50 else 1)
            per_tree = seconds / n
            per_tree_base.setdefault(layout, per_tree)
            print(f"{n:>6} {nodes:>8} {layout:>7} {seconds:>10.3f} {nodes / seconds:>10,.0f} "
                  f"{per_tree * 1e3:>7.2f}ms {per_tree / per_tree_base[layout]:>6.2f} "
                  f"{len(model.header_text) / 1024:>10,.0f}")

    if args.profile:
        largest = first_trees(forest, max(counts))
        for layout in LAYOUTS:
            profiler = cProfile.Profile()
            profiler.enable()
            codegen.convert(largest, name="forest", layout=layout)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            print(f"\n--- profile: {max(counts)} trees, layout {layout} ---")
            print(out.getvalue())

    print()
    estimator, X = deep_tree()
    limit = sys.getrecursionlimit()
    for layout in LAYOUTS:
        start = time.perf_counter()
        model = codegen.convert(estimator, name="deep", layout=layout)
        seconds = time.perf_counter() - start
        same = bool(np.array_equal(model.decode(model.interpret(X).predictions), estimator.predict(X)))
        print(f"depth-{estimator.get_depth()} tree, layout {layout}: converted in {seconds:.3f} s "
              f"(recursion limit {limit}), interpreter equals scikit-learn: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
