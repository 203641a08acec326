"""What every `mcugen` command shares: the model argument and conversion options (the same
names and meaning everywhere, so a model converts to the same header and hash whichever
command converts it), the conversion itself, and the `error: ...` / exit 2 rule."""

from __future__ import annotations

import functools
import sys

import click

from codegen.errors import UserError
from codegen.settings import INPUT_TYPES, LAYOUTS, InputQuantization, Settings

DEFAULTS = {"name": "model", "layout": "auto", "input_type": "float32", "scale": "1", "zero_point": "0",
            "calibration": None}
FLAGS = {"name": "--name", "layout": "--layout", "input_type": "--input", "scale": "--scale",
         "zero_point": "--zero-point", "calibration": "--calibration"}


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def user_errors(command):
    """A UserError prints `error: ...` on stderr and exits 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)

    return wrapper


def model_options(command):
    """The MODEL argument and the options that decide what it converts to."""
    options = [
        click.argument("model", type=click.Path(dir_okay=False)),
        click.option("--name", default=DEFAULTS["name"], show_default=True,
                     help="C identifier prefixing everything generated (<name>.h, <name>_predict)."),
        click.option("--layout", type=click.Choice(LAYOUTS), default=DEFAULTS["layout"], show_default=True,
                     help="Trees: nested branches (ifelse), node tables in flash (table), or picked by size."),
        click.option("--input", "input_type", type=click.Choice(INPUT_TYPES), default=DEFAULTS["input_type"],
                     show_default=True,
                     help="Type of the features the device passes; integers need --scale/--zero-point."),
        click.option("--scale", default=DEFAULTS["scale"], show_default=True,
                     help="Integer input: real = scale * (q - zero_point). One number, a comma list "
                          "(one per feature) or a .json list."),
        click.option("--zero-point", default=DEFAULTS["zero_point"], show_default=True,
                     help="Integer input zero point(s), like --scale."),
        click.option("--calibration", type=click.Path(dir_okay=False),
                     help="MLPs: CSV of typical input rows that set the activation ranges."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def settings_from(options: dict, target: str) -> Settings:
    from codegen.data_io import read_number_list

    quantization = InputQuantization(
        read_number_list(options["scale"], "scale"),
        tuple(int(z) for z in read_number_list(options["zero_point"], "zero-point")),
    )
    return Settings(name=options["name"], layout=options["layout"], input=options["input_type"],
                    target=target, quantization=quantization)


def convert_model_file(options: dict, target: str, fallback_calibration=None, check_passes: bool = False):
    """Load MODEL (warning that pickles run code) and convert it for `target`; with
    `check_passes` (the verify commands), the IR is validated after every pass."""
    # imported here: the converter is the heavy part, and `--help` should not need it
    from codegen.api import convert_with
    from codegen.data_io import read_csv
    from codegen.frontends.load import load_model

    settings = settings_from(options, target)
    estimator = load_model(options["model"], warn=warn)
    calibration = read_csv(options["calibration"], "calibration") if options["calibration"] else fallback_calibration
    return convert_with(estimator, settings, calibration=calibration, verify=check_passes)


def conversion_flags(options: dict) -> str:
    """The options that differ from the defaults, as flags for a command to print as a hint."""
    return "".join(f" {FLAGS[key]} {options[key]}" for key, default in DEFAULTS.items()
                   if options.get(key) not in (None, default))
