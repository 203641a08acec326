"""The built wheel works on its own: it holds codegen/templates/*.j2 and codegen/firmware/, and
`mcugen convert` and `mcugen verify` run from a fresh virtualenv with the working folder
outside the source tree (so nothing can be found beside the checkout by accident).

Offline: the wheel is built without build isolation (hatchling comes from the running
environment) and installed with --no-deps into a new venv; the new venv reaches scikit-learn
and the other dependencies through a .pth file naming the running environment's
site-packages, placed *after* the new venv's own site-packages, so `codegen` itself can only
come from the wheel.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import joblib
import pytest
from sklearn import datasets, tree

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def build_wheel(out: Path) -> Path:
    if has_module("build"):
        run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, REPO])
    else:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, REPO])
    wheels = sorted(out.glob("mcugen-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not has_module("hatchling"):
        reason = "hatchling is missing; run: .venv/bin/pip install -e '.[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have it: {reason}")
        pytest.skip(reason)
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with only the wheel installed into it."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # dependencies from the running environment, searched after the new venv's own packages
    outer = [p for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                         *site.getsitepackages()} if Path(p).is_dir()]
    (Path(purelib) / "zz_outer_env.pth").write_text("\n".join(sorted(outer)) + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel])
    return venv / "bin"


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["MCUGEN_CACHE"] = env.get("MCUGEN_CACHE", str(Path.home() / ".cache" / "mcugen"))
    return env


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    templates = [n for n in names if n.startswith("codegen/templates/") and n.endswith(".j2")]
    assert {Path(n).name for n in templates} >= {p.name for p in (REPO / "templates").glob("*.j2")}
    firmware = {n.removeprefix("codegen/firmware/") for n in names if n.startswith("codegen/firmware/")}
    expected = {str(p.relative_to(REPO / "firmware")) for p in (REPO / "firmware").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    assert expected <= firmware, sorted(expected - firmware)[:10]
    assert "codegen/cli.py" in names and "codegen/api.py" in names
    assert not [n for n in names if n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "mcugen = codegen.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_cli_converts_and_verifies(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    X, y = datasets.load_iris(return_X_y=True)
    joblib.dump(tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), work / "m.joblib")
    (work / "X.csv").write_text("\n".join(",".join(map(str, row)) for row in X[::3]) + "\n")
    env = clean_env()
    where = run([installed / "python", "-c", "import codegen, codegen.resources as r; "
                 "print(codegen.__file__); print(r.templates_dir()); print(r.firmware_dir())"],
                cwd=work, env=env).stdout.split()
    for path in where:
        assert not Path(path).resolve().is_relative_to(REPO), f"{path} comes from the source tree, not the wheel"
    assert Path(where[1]).name == "templates" and Path(where[1]).parent.name == "codegen"
    run([installed / "mcugen", "--help"], cwd=work, env=env)
    result = run([installed / "mcugen", "convert", "m.joblib", "-o", "out", "--name", "iris", "--layout", "table"],
                 cwd=work, env=env)
    assert "wrote" in result.stdout
    assert "#define IRIS_N_FEATURES 4" in (work / "out" / "iris.h").read_text()
    verified = run([installed / "mcugen", "verify", "m.joblib", "--data", "X.csv"], cwd=work, env=env)
    assert "agreement with scikit-learn  100.00%" in verified.stdout
