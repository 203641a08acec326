"""Where the templates and firmware sources are: beside the package in a source checkout,
inside it in an installed wheel (pyproject force-includes them as codegen/templates and
codegen/firmware)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(folder: str) -> Path:
    for candidate in (_PACKAGE / folder, _PACKAGE.parent / folder):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mcugen's {folder}/ folder is missing from the installation")


def templates_dir() -> Path:
    return _find("templates")


def firmware_dir() -> Path:
    return _find("firmware")
