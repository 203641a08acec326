"""The one settings object that travels from the CLI to the API, the passes and the backends."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from codegen.errors import UserError
from codegen.input_types import INPUT_TYPES as INPUT_TYPE_TABLE

LAYOUTS = ("auto", "ifelse", "table")
INPUT_TYPES = tuple(INPUT_TYPE_TABLE)
TARGETS = ("host", "avr", "cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "esp32", "riscv32")

# C99 keywords and the C++ ones a header included from C++ must not use as names
_C_KEYWORDS = frozenset((
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary", "bool", "class", "delete", "new", "this",
    "template", "namespace", "operator", "private", "public", "protected", "virtual",
))
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


@dataclass(frozen=True)
class InputQuantization:
    """How integer sensor readings map to the model's real-valued features:
    real = scale * (q - zero_point), per feature (a single value applies to all)."""

    scale: tuple[float, ...] = (1.0,)
    zero_point: tuple[int, ...] = (0,)

    def for_features(self, n_features: int) -> tuple[tuple[float, ...], tuple[int, ...]]:
        def spread(values: tuple, what: str) -> tuple:
            if len(values) == 1:
                return values * n_features
            if len(values) != n_features:
                raise UserError(
                    f"input {what} has {len(values)} values but the model has {n_features} "
                    f"features; give one value or one per feature"
                )
            return values

        scale = spread(tuple(float(s) for s in self.scale), "scale")
        if any(not (s > 0.0) or s != s or s == float("inf") for s in scale):
            raise UserError("input scale must be finite and > 0; fix the scale values")
        return scale, spread(tuple(int(z) for z in self.zero_point), "zero_point")


@dataclass(frozen=True)
class Settings:
    name: str = "model"
    layout: str = "auto"
    input: str = "float32"
    target: str = "host"
    quantization: InputQuantization = field(default_factory=InputQuantization)

    def __post_init__(self) -> None:
        check_identifier(self.name)
        if self.layout not in LAYOUTS:
            raise UserError(f"unknown layout {self.layout!r}; use one of {', '.join(LAYOUTS)}")
        if self.input not in INPUT_TYPES:
            raise UserError(f"unknown input type {self.input!r}; use one of {', '.join(INPUT_TYPES)}")
        if self.target not in TARGETS:
            raise UserError(f"unknown target {self.target!r}; use one of {', '.join(TARGETS)}")


def check_identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name) or name in _C_KEYWORDS or keyword.iskeyword(name):
        raise UserError(
            f"--name {name!r} is not a usable C identifier; use letters, digits and '_', "
            "starting with a letter, at most 32 characters, not a C keyword"
        )
    return name
