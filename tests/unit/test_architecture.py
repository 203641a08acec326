"""The joints of codegen/ (issue 18): the import graph, read with `ast`, has no circle (imports
inside functions count too: a lazy import hides a circle, it does not remove it), `ir/` imports
nothing above it, and nothing outside `frontends/` reads meaning back from the IR's display
text (`estimator`, `notes`): what later stages need is a typed fact (`TreeEnsemble.source`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "codegen"
ABOVE_THE_IR = ("frontends", "passes", "backends", "harness", "optimize", "device")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The codegen modules a file imports anywhere (module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("codegen"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("codegen"))
    return {name for name in found if name in known and name != "codegen"}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_is_read():
    graph = import_graph()
    assert "codegen.ir.model" in graph["codegen.ir.proba"]
    assert "codegen.backends.trees" in graph["codegen.api"]  # an import inside a function counts


def test_codegen_has_no_import_circle():
    assert circles(import_graph()) == []


def test_the_ir_imports_nothing_above_it():
    upward = sorted((name, imported) for name, imported_set in import_graph().items()
                    if name.startswith("codegen.ir") for imported in imported_set
                    if imported.split(".")[1] in ABOVE_THE_IR)
    assert upward == []


# `ir.estimator == ...`, `estimator.startswith("XGBoost")`, `"loss=..." in ir.notes`, ...
DISPLAY_TEXT_READ = re.compile(
    r"\.estimator\s*(==|!=|\bin\b|\bnot in\b)|\.estimator\.(startswith|endswith)|"
    r"\bin\s+[\w.]*\.(estimator|notes)\b|\.notes\s*(==|!=|\[)|\bestimator_family\(")


def test_no_meaning_is_read_from_display_text_outside_the_frontends():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "frontends":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if DISPLAY_TEXT_READ.search(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_what_it_is_for():
    for line in ('if ir.estimator == "XGBoost binary:logistic":', 'kind.estimator.startswith("LightGBM")',
                 '"loss=log_loss" in ir.notes', "family = estimator_family(ir.estimator)"):
        assert DISPLAY_TEXT_READ.search(line), line
    assert not DISPLAY_TEXT_READ.search('"estimator": ir.estimator,')
