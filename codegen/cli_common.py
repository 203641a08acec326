"""What every `mcugen` command shares: the model argument and conversion options (the same
names and meaning everywhere, so a model converts to the same header and hash whichever
command converts it), the conversion itself, and the `error: ...` / exit 2 rule."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import sys
import traceback

import click

from codegen import chips
from codegen.errors import UserError
from codegen.settings import INPUT_TYPES, LAYOUTS, InputQuantization, Settings

DEFAULTS = {"name": "model", "layout": "auto", "input_type": "float32", "scale": "1", "zero_point": "0",
            "calibration": None}
FLAGS = {"name": "--name", "layout": "--layout", "input_type": "--input", "scale": "--scale",
         "zero_point": "--zero-point", "calibration": "--calibration"}


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def fail(message: str, code: int = 2):
    """One `error:` line on stderr (newlines folded), then exit."""
    click.echo("error: " + " ".join(str(message).split()), err=True)
    sys.exit(code)


def user_errors(command):
    """A UserError, or an OSError from the file system, prints `error: ...` and exits 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as error:
            fail(str(error))
        except BrokenPipeError:  # stdout closed by its reader: not a file of the user's
            _quiet_exit_on_closed_stdout()
        except OSError as error:
            where = f" {error.filename}" if error.filename else ""
            fail(f"cannot access{where}: {error.strerror or error}; check the path and its permissions")

    return wrapper


class OneLineErrors(click.Group):
    """click's own usage errors (unknown option, bad choice, missing argument) as one line
    `error: ...` and exit 2, like every other error; a bug prints one line too and exits 3
    (MCUGEN_DEBUG=1 shows the traceback)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            if type(error).__name__ == "NoArgsIsHelpError" and error.ctx is not None:  # bare `mcugen`
                click.echo(error.ctx.get_help())
                sys.exit(0)
            command = error.ctx.command_path if error.ctx else "mcugen"
            fail(f"{error.format_message()} (see `{command} --help`)")
        except (click.Abort, KeyboardInterrupt):
            fail("interrupted; nothing was written", 130)
        except click.ClickException as error:
            fail(error.format_message())
        except UserError as error:
            fail(str(error))
        except Exception as error:  # a bug: say so in one line unless asked for the traceback
            if os.environ.get("MCUGEN_DEBUG"):
                traceback.print_exc()
            fail(f"internal error ({type(error).__name__}: {error}); this is a bug in mcugen, please "
                 "report it with the command you ran (MCUGEN_DEBUG=1 prints the traceback)", 3)


def _quiet_exit_on_closed_stdout():
    """`mcugen inspect M | head -1`: the reader closed the pipe. Like a Unix tool killed by
    SIGPIPE: no message, exit 141 (128 + SIGPIPE); later writes and the final flush go nowhere."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


class TableChoice(click.Choice):
    """A choice among names read from codegen/chips.py when the command line is parsed, not
    when this module is imported, so a chip row added at run time is a valid choice."""

    def __init__(self, names) -> None:
        self._names = names
        super().__init__(names())

    @property
    def choices(self):
        return tuple(self._names())

    @choices.setter
    def choices(self, _value) -> None:
        pass  # click.Choice.__init__ sets them; they are always read from the table


def target_option(default: str = "host", help_text: str = "Chip or family the code is tuned for "
                  "(--layout auto weighs its flash); chips convert for their family."):
    return click.option("--target", type=TableChoice(chips.target_names), default=default, show_default=True,
                        help=help_text)


def model_options(command):
    """The MODEL argument and the options that decide what it converts to."""
    options = [
        click.argument("model", type=click.Path(dir_okay=False)),
        click.option("--name", default=DEFAULTS["name"], show_default=True,
                     help="C identifier prefixing everything generated (<name>.h, <name>_predict)."),
        click.option("--layout", type=click.Choice(LAYOUTS), default=DEFAULTS["layout"], show_default=True,
                     help="Trees: nested branches (ifelse), node tables in flash (table), smaller preorder tables "
                          "(compact), or picked by size and speed (auto)."),
        click.option("--input", "input_type", type=click.Choice(INPUT_TYPES), default=DEFAULTS["input_type"],
                     show_default=True,
                     help="Type of the features the device passes; integers need --scale/--zero-point."),
        click.option("--scale", default=DEFAULTS["scale"], show_default=True,
                     help="Integer input: real = scale * (q - zero_point). One number, a comma list "
                          "(one per feature) or a .json list."),
        click.option("--zero-point", default=DEFAULTS["zero_point"], show_default=True,
                     help="Integer input zero point(s), like --scale."),
        click.option("--calibration", type=click.Path(dir_okay=False),
                     help="MLPs: CSV of typical input rows that set the activation ranges, in real values "
                          "(the features the model was trained on, also with an integer --input)."),
        click.option("--trust", is_flag=True,
                     help="Do not warn that a .pkl/.joblib MODEL runs code when loaded (a file you made; "
                          "or set MCUGEN_TRUST_PICKLES=1)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def settings_from(options: dict, target: str, chip: str | None = None) -> Settings:
    from codegen.data_io import read_number_list

    if options["input_type"] == "float32" and (options["scale"], options["zero_point"]) != ("1", "0"):
        raise UserError("--scale and --zero-point describe integer input; add --input int8 (or int16, "
                        "int32, uint8, uint16), or drop them for float32 input")
    scale = read_number_list(options["scale"], "scale")
    if not all(math.isfinite(s) and s > 0 for s in scale):
        raise UserError(f"--scale {options['scale']!r} must be finite numbers > 0; e.g. --scale 0.5")
    zero_point = read_number_list(options["zero_point"], "zero-point")
    if not all(math.isfinite(z) and z == int(z) and abs(z) < 2**31 for z in zero_point):
        raise UserError(f"--zero-point {options['zero_point']!r} must be whole numbers (the integer the "
                        "device reads for 0.0); e.g. --zero-point 128")
    quantization = InputQuantization(scale, tuple(int(z) for z in zero_point))
    return Settings(name=options["name"], layout=options["layout"], input=options["input_type"],
                    target=target, quantization=quantization, chip=chip or "")


def load_estimator(options: dict):
    """MODEL, warning that pickles run code unless --trust or MCUGEN_TRUST_PICKLES=1."""
    from codegen.frontends.load import load_model

    trusted = bool(options.get("trust")) or os.environ.get("MCUGEN_TRUST_PICKLES") == "1"
    return load_model(options["model"], warn=warn, trusted=trusted)


def read_rows(path: str, estimator, what: str = "data"):
    """A CSV of input rows for `estimator` (its feature names and count decide the header)."""
    from codegen.data_io import read_csv
    from codegen.feature_names import model_feature_names

    rows = read_csv(path, what, n_features=getattr(estimator, "n_features_in_", None),
                    feature_names=model_feature_names(estimator), warn=warn)
    _warn_beyond_float32(rows, path, what)
    return rows


def _warn_beyond_float32(rows, path: str, what: str) -> None:
    """Finite values float32 cannot hold are +-inf on a device that reads float32: one line says so."""
    import numpy as np

    beyond = np.isfinite(rows) & (np.abs(np.nan_to_num(rows)) > np.finfo(np.float32).max)
    if beyond.any():
        row, column = (int(i) + 1 for i in np.argwhere(beyond)[0])
        warn(f"{what} file {path}: {int(beyond.sum())} values are beyond float32's range (first: row {row}, "
             f"column {column}); a device reading float32 gets +-inf for them, and mcugen checks it so")


def read_label_file(path: str | None, n_rows: int, flags: tuple[str, str] = ("--labels", "--data")):
    from codegen.data_io import read_labels

    if path is None:
        return None
    labels = read_labels(path, n_rows=n_rows, warn=warn)
    if len(labels) != n_rows:
        raise UserError(f"{flags[0]} has {len(labels)} labels but {flags[1]} has {n_rows} rows; give one label per row")
    return labels


def convert_model_file(options: dict, target: str, *, chip: str | None = None, fallback_calibration=None,
                       check_passes: bool = False, estimator=None):
    """Convert MODEL for `target` (a family; `chip`, when known, sizes the flash check); with
    `check_passes` (the verify commands), the IR is validated after every pass."""
    # imported here: the converter is the heavy part, and `--help` should not need it
    import numpy as np

    from codegen.api import convert_with
    from codegen.frontends import model_kind

    settings = settings_from(options, target, chip)
    estimator = load_estimator(options) if estimator is None else estimator
    if options["calibration"]:
        calibration = read_rows(options["calibration"], estimator, "calibration")
    else:
        calibration = fallback_calibration
        if calibration is not None and model_kind(estimator) == "mlp":
            warn("calibrating the MLP on the --data rows it checks, which can differ from the header "
                 "`convert --calibration` wrote; pass the same --calibration file to check that header")
            calibration = real_values(calibration, settings)
    if calibration is not None and model_kind(estimator) == "mlp":
        _check_calibration(np.asarray(calibration, dtype=np.float64), bool(options["calibration"]))
    with np.errstate(over="ignore"):  # calibration values beyond float32 become +-inf (warned when read)
        return convert_with(estimator, settings, calibration=calibration, verify=check_passes, warn=warn)


def _check_calibration(rows, from_file: bool) -> None:
    """Activation ranges come from finite values: inf, or a value beyond float32, sets none (NaN
    rows are left out of the ranges)."""
    import numpy as np

    with np.errstate(over="ignore"):
        bad = np.isinf(rows.astype(np.float32))
    if bad.any():
        row, column = (int(i) + 1 for i in np.argwhere(bad)[0])
        source = "--calibration" if from_file else "the --data rows (used as calibration rows)"
        raise UserError(f"{source}: row {row}, column {column} is {rows[row - 1, column - 1]:g}, which sets no "
                        "activation range; calibrate on finite rows within float32's range with --calibration")


def real_values(rows, settings: Settings):
    """--data rows are what the device passes: integer readings q for an integer --input, whose
    real values (what the model was trained on, and what calibration needs) are scale * (q - zero_point).
    A --calibration file holds real values already."""
    import numpy as np

    if settings.input == "float32":
        return rows
    rows = np.asarray(rows, dtype=np.float64)
    scale, zero_point = settings.quantization.for_features(rows.shape[1])
    return np.asarray(scale) * (rows - np.asarray(zero_point, dtype=np.float64))


def quantized_rows(rows, settings: Settings):
    """Real values as the device's readings for an integer --input (`verify --quantize`)."""
    import numpy as np

    from codegen.optimize.inputs import quantize_rows

    rows = np.asarray(rows, dtype=np.float64)
    missing = np.argwhere(np.isnan(rows))
    if len(missing):
        row, column = (int(i) + 1 for i in missing[0])
        raise UserError(f"--quantize: row {row}, column {column} is NaN, which no {settings.input} reading holds; "
                        "drop or fill such rows, or verify the float32 build")
    scale, zero_point = settings.quantization.for_features(rows.shape[1])
    return quantize_rows(rows, settings.input, scale, zero_point).astype(np.float64)


def conversion_flags(options: dict) -> str:
    """The options that differ from the defaults, as flags for a command to print as a hint."""
    return "".join(f" {FLAGS[key]} {options[key]}" for key, default in DEFAULTS.items()
                   if options.get(key) not in (None, default))
