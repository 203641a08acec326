"""The one settings object that travels from the CLI to the API, the passes and the backends."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from codegen.chips import family_of, simulated_as, simulated_chips
from codegen.errors import UserError
from codegen.input_types import INPUT_TYPES as INPUT_TYPE_TABLE

LAYOUTS = ("auto", "ifelse", "table", "compact")
INPUT_TYPES = tuple(INPUT_TYPE_TABLE)

# C99 keywords and the C++ ones a header included from C++ must not use as names
_C_KEYWORDS = frozenset((
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary", "bool", "class", "delete", "new", "this",
    "template", "namespace", "operator", "private", "public", "protected", "virtual",
))
# `<name>.h` sits beside the harness sources and is found first by `#include`, so a name
# equal to a C standard header or a harness / firmware file would replace it (compared
# lowercased: macOS and Windows file systems ignore case); `main` would clash with the
# program's entry point. Names starting with `mcugen` or `harness` clash with their macros.
RESERVED_NAMES = frozenset((
    "assert", "complex", "ctype", "errno", "fenv", "float", "inttypes", "iso646", "limits", "locale",
    "math", "setjmp", "signal", "stdalign", "stdarg", "stdatomic", "stdbool", "stddef", "stdint",
    "stdio", "stdlib", "stdnoreturn", "string", "tgmath", "threads", "time", "uchar", "wchar",
    "wctype", "unistd", "poll", "arduino", "main", "driver", "model_driver", "null_model",
    "semihost", "startup", "io", "pgmspace", "interrupt", "sleep",
))
RESERVED_PREFIXES = ("mcugen", "harness")
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
                    f"--{what.replace('_', '-')} has {len(values)} values but the model has {n_features} "
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
    chip: str = ""  # the target as named (`atmega2560`, a board), for its flash; "" = target
    check_flash: bool = True  # refuse a model too big for the chip (tune: the build decides instead)

    def __post_init__(self) -> None:
        check_identifier(self.name)
        if self.layout not in LAYOUTS:
            raise UserError(f"unknown layout {self.layout!r}; use one of {', '.join(LAYOUTS)}")
        if self.input not in INPUT_TYPES:
            raise UserError(f"unknown input type {self.input!r}; use one of {', '.join(INPUT_TYPES)}")
        object.__setattr__(self, "chip", self.chip or self.target)
        object.__setattr__(self, "target", family_of(self.target))


def simulated_chip(target: str) -> str:
    """Where `verify --target` runs: `host`, or a chip in a simulator (a family: its usual chip)."""
    chip = "host" if target == "host" else simulated_as(target)  # an unknown name: the unknown-target error
    if chip is not None:
        return chip
    raise UserError(f"no simulator runs {target} code here; verify on one of host, "
                    f"{', '.join(simulated_chips())} (or build it with `mcugen project` and use `device-verify`)")


def check_identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name) or name in _C_KEYWORDS or keyword.iskeyword(name):
        raise UserError(
            f"--name {name!r} is not a usable C identifier; use letters, digits and '_', "
            "starting with a letter, at most 32 characters, not a C keyword"
        )
    if name.lower() in RESERVED_NAMES or name.lower().startswith(RESERVED_PREFIXES):
        raise UserError(
            f"--name {name!r} is reserved: {name}.h would shadow a standard C or mcugen harness "
            f"header or symbol; choose another name (e.g. my_{name})"
        )
    return name
