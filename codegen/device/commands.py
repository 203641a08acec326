"""The device commands of `mcugen`: `project`, `flash`, `device-verify`.

codegen/cli.py adds every command in COMMANDS to its group. They share the conversion options
of every command (codegen/cli_common.py), so a model converts to the same header, and so the
same hash, whichever command converts it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from codegen.cli_common import conversion_flags, convert_model_file, model_options, user_errors
from codegen.device.boards import BOARDS, get_board
from codegen.device.flash import flash
from codegen.device.project import write_project
from codegen.device.verify import DeviceResult, device_verify
from codegen.errors import UserError

_board_option = click.option("--board", required=True, type=click.Choice(sorted(BOARDS)),
                             help="Target board (PlatformIO id in the generated platformio.ini).")


@click.command("project")
@model_options
@_board_option
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder for the PlatformIO project.")
@user_errors
def project_command(board: str, output: str, **options) -> None:
    """Write a PlatformIO project that runs MODEL on BOARD behind the serial protocol."""
    converted = convert_model_file(options, get_board(board).target)
    path = write_project(converted.header_text, converted.name, converted.model_hash, board, Path(output))
    click.echo(f"wrote {path} (model hash 0x{converted.model_hash:08X})")
    flags = conversion_flags(options)
    click.echo(f"build and upload: mcugen flash {options['model']}{flags} --board {board}  "
               f"(or: pio run -d {path} -t upload)")


@click.command("flash")
@model_options
@_board_option
@click.option("--port", help="Serial port of the board (default: PlatformIO finds it).")
@click.option("--project-dir", type=click.Path(file_okay=False),
              help="Keep the generated project here (default: a temporary folder).")
@user_errors
def flash_command(board: str, port: str | None, project_dir: str | None, **options) -> None:
    """Build MODEL's firmware for BOARD and upload it with PlatformIO."""
    converted = convert_model_file(options, get_board(board).target)
    with tempfile.TemporaryDirectory(prefix="mcugen-flash-") as tmp:
        where = Path(project_dir) if project_dir else Path(tmp) / "project"
        write_project(converted.header_text, converted.name, converted.model_hash, board, where)
        flash(where, board, port, echo=click.echo)
    click.echo(f"check it with: mcugen device-verify {options['model']}{conversion_flags(options)} "
               f"--port {port or 'PORT'} --data X.csv")


@click.command("device-verify")
@model_options
@click.option("--port", required=True, help="Serial port of the board.")
@click.option("--data", required=True, type=click.Path(dir_okay=False), help="CSV of input rows.")
@click.option("--labels", type=click.Path(dir_okay=False), help="CSV of true labels, for accuracy.")
@click.option("--scores", "check_scores", is_flag=True, help="Also compare every raw score.")
@click.option("--baud", default=115200, show_default=True, type=int)
@click.option("--timeout", default=1.0, show_default=True, type=float, help="Seconds to wait for one answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@user_errors
def device_verify_command(port: str, data: str, labels: str | None, check_scores: bool, baud: int,
                          timeout: float, as_json: bool, **options) -> None:
    """Run every row of DATA on the board at PORT and compare with the interpreter and
    scikit-learn. Exits 1 when any answer differs from the interpreter."""
    from codegen.data_io import read_csv, read_labels

    X = read_csv(data)
    y = read_labels(labels) if labels else None
    if y is not None and len(y) != len(X):
        raise UserError(f"--labels has {len(y)} rows but --data has {len(X)}; give one label per row")
    converted = convert_model_file(options, "host", fallback_calibration=X, check_passes=True)
    rows = converted.check_rows(X)
    result = device_verify(
        port, rows, converted.interpret(rows), converted.model_hash,
        input_dtype=converted.input_dtype, sklearn_predictions=converted.sklearn_predict(rows), labels=y,
        decode=converted.decode, tolerance=0.0 if converted.is_classifier else 2.0 ** -converted.output_frac_bits,
        check_scores=check_scores, baud=baud, timeout=timeout, progress=None if as_json else _progress,
    )
    click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True) if as_json else format_device_result(result))
    if not result.ok:
        click.echo("error: the board disagrees with the interpreter on some rows (see above)", err=True)
        sys.exit(1)


def _progress(done: int, total: int) -> None:
    if done == total or done % max(1, total // 20) == 0:
        click.echo(f"\rrows {done}/{total}", err=True, nl=done == total)


def format_device_result(result: DeviceResult) -> str:
    hello, stats = result.hello, result.cycles_stats()
    lines = [
        f"board: model 0x{hello.model_hash:08X}, {hello.n_features} features, {hello.n_outputs} outputs",
        f"interpreter: {result.agree_interpreter}/{result.n_rows} rows agree"
        + (" (scores too)" if result.scores_checked else ""),
    ]
    if result.agree_sklearn is not None:
        lines.append(f"scikit-learn: {result.agree_sklearn}/{result.n_rows} rows agree")
    if result.accuracy is not None:
        lines.append(f"accuracy: {result.accuracy:.4f}")
    unit = result.counter_unit
    lines.append(f"{unit} per prediction: min {stats['min']:.0f}, mean {stats['mean']:.1f}, max {stats['max']:.0f}")
    if unit == "cycles" and hello.counter_hz:
        lines.append(f"  = {stats['mean'] / hello.counter_hz * 1e6:.2f} us mean at {hello.counter_hz / 1e6:g} MHz")
    if result.mismatches:
        lines.append(f"rows that differ (first {len(result.mismatches)}): {list(result.mismatches)}")
    lines.append(f"transmission errors recovered: {result.recoveries}")
    return "\n".join(lines)


COMMANDS = (project_command, flash_command, device_verify_command)
