"""`mcugen tune`: the command line of codegen.optimize (parses, calls `tune`, prints)."""

from __future__ import annotations

import sys

import click

from codegen import chips
from codegen.cli_common import TableChoice, load_estimator, read_label_file, read_rows, user_errors
from codegen.optimize import DEFAULT_BUDGET, DEFAULT_SAMPLES

JOBS_HELP = "Candidates measured at once (local processes; ignored by dask/ray, which use their workers)."


@click.command(name="tune")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", required=True, type=click.Path(dir_okay=False),
              help="CSV of rows the model was NOT trained on; half are held out for validation.")
@click.option("--labels", type=click.Path(dir_okay=False),
              help="CSV of their labels (an IsolationForest without them is judged by agreement with its own "
                   "inlier/outlier decisions).")
@click.option("--val-data", type=click.Path(dir_okay=False), help="Validation rows (then all of --data is test rows).")
@click.option("--val-labels", type=click.Path(dir_okay=False), help="Labels of --val-data.")
@click.option("--train-data", type=click.Path(dir_okay=False),
              help="CSV of the rows the model WAS trained on: tune then also retrains smaller models of the same "
                   "class, refines the leaves of the best pruned candidates and fine-tunes pruned MLPs.")
@click.option("--train-labels", type=click.Path(dir_okay=False), help="Labels of --train-data.")
@click.option("--target", required=True, type=TableChoice(chips.target_names),
              help="Simulated chip to fit the model to (avr: the ATmega328P). host and esp32 are refused: tune "
                   "measures flash and cycles in a simulator, and neither has one here.")
@click.option("-o", "--output", required=True, type=click.Path(), help="Folder for the results.")
@click.option("--name", default="model", show_default=True, help="C identifier of the generated model.")
@click.option("--trust", is_flag=True, help="Do not warn that a .pkl/.joblib MODEL runs code when loaded (a file "
                                            "you made; MCUGEN_TRUST_PICKLES=1 does the same).")
@click.option("--max-flash", type=click.IntRange(min=1), help="Budget: model flash in bytes.")
@click.option("--max-ram", type=click.IntRange(min=0), help="Budget: model RAM in bytes.")
@click.option("--max-cycles", type=click.FloatRange(min=0), help="Budget: mean cycles (AVR) / instructions (Cortex-M).")
@click.option("--max-energy", type=click.FloatRange(min=0), help="Budget: energy per inference in pJ.")
@click.option("--max-accuracy-drop", type=click.FloatRange(min=0), help="Budget: validation accuracy points lost.")
@click.option("--prefer", type=click.Choice(("energy", "accuracy")), default="energy", show_default=True,
              help="energy: the least energy candidate within the budgets (without --max-accuracy-drop, within "
                   "one standard error of the most accurate); accuracy: the most accurate within the budgets.")
@click.option("--budget", type=click.IntRange(min=1), default=DEFAULT_BUDGET, show_default=True,
              help="Most candidates built and simulated.")
@click.option("--time", "time_limit", type=click.FloatRange(min=0),
              help="Stop starting measurements after this many seconds.")
@click.option("--samples", type=click.IntRange(min=1), default=DEFAULT_SAMPLES, show_default=True,
              help="Rows simulated per candidate.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help=JOBS_HELP)
@click.option("--backend", type=click.Choice(("local", "dask", "ray")), default="local", show_default=True,
              help="Where candidates run: local processes, a Dask or a Ray cluster (workers need the toolchains).")
@click.option("--scheduler", help="--backend dask: the scheduler address (tcp://HOST:8786).")
@click.option("--address", help="--backend ray: the cluster address (HOST:6379; default: start a local Ray).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Measurement cache.  [default: ~/.cache/mcugen/tune]")
@user_errors
def tune_command(model, data, labels, val_data, val_labels, train_data, train_labels, target, output, name, trust,
                 prefer, budget, time_limit, samples, jobs, backend, scheduler, address, cache_dir, **limits):
    """Fit MODEL to a chip: prune and quantise it many ways, measure the promising candidates
    in the simulator, and write the one --prefer picks within the budgets to OUTPUT.

    Writes <name>.h, <name>.skops (the pruned model, for verify/project/flash), <name>.json,
    candidates.csv, pareto.png and pareto.svg. Exits 1, writing no header, when no candidate
    meets the budgets; then a folder holding <name>.h (an earlier run's, or yours) is left as it was."""
    from codegen.errors import UserError
    from codegen.optimize import Budgets, tune
    from codegen.optimize.output import write_results
    from codegen.settings import check_identifier

    check_identifier(name)
    if (val_data is None) != (val_labels is None):
        raise UserError("give --val-data and --val-labels together")
    if (train_data is None) != (train_labels is None):
        raise UserError("give --train-data and --train-labels together")
    target = tune_target(target)
    check_before_search(output, name, backend, scheduler, address, cache_dir)
    from codegen.verification import labels_as_classes

    estimator = load_estimator({"model": model, "trust": trust})
    X = read_rows(data, estimator)
    X_val = read_rows(val_data, estimator, "validation data") if val_data else None
    y = read_label_file(labels, len(X))
    y_val = read_label_file(val_labels, 0 if X_val is None else len(X_val), ("--val-labels", "--val-data"))
    X_train = read_rows(train_data, estimator, "training data") if train_data else None
    y_train = read_label_file(train_labels, 0 if X_train is None else len(X_train), ("--train-labels", "--train-data"))
    if len(getattr(estimator, "classes_", ())):  # labels are read as text: compare them in the classes' type
        y, y_val, y_train = (None if v is None else labels_as_classes(v, estimator.classes_)
                             for v in (y, y_val, y_train))
    try:
        result = tune(estimator, X, y, target=target, X_val=X_val, y_val=y_val, name=name, budgets=Budgets(**limits),
                      budget=budget, time_limit=time_limit, samples=samples,
                      jobs=jobs, backend=backend, address=scheduler if backend == "dask" else address,
                      cache_dir=cache_dir, progress=True, X_train=X_train, y_train=y_train, prefer=prefer)
        written = write_results(result, output)
    except KeyboardInterrupt:
        click.echo(f"interrupted: {output} is unchanged; run the same command again to resume "
                   "(measurements so far are cached)", err=True)
        sys.exit(130)
    click.echo(format_front(result))
    for path in written:
        click.echo(f"wrote {path}")
    if result.best is None:
        _fail_without_choice(result, output, written)
    click.echo(format_choice(result, output, data, labels))
    if not result.trained_rows:
        click.echo("with the training rows (--train-data/--train-labels) tune also tries retrained smaller models of "
                   "the same class, refined leaves and fine-tuned MLPs")


def tune_target(target: str) -> str:
    """The simulated chip for --target (a family: its usual chip); host and esp32 have none."""
    chip = chips.simulated_as(target)
    if chip is None:
        from codegen.errors import UserError

        raise UserError(f"tune measures flash and cycles in a simulator, and none runs {target} code here; "
                        f"choose one of {', '.join(chips.simulated_chips())}")
    return chip


def check_before_search(output, name: str, backend: str, scheduler, address, cache_dir) -> None:
    """What needs no search fails before any: backend options and packages, the packages the
    results are written with, the cache folder and the output folder."""
    import importlib.util

    from codegen.errors import UserError
    from codegen.optimize.cache import check_cache_dir
    from codegen.optimize.output import check_output
    from codegen.optimize.parallel import check_backend

    check_backend(backend, scheduler, address)
    for package, what in (("matplotlib", "the Pareto plot"), ("skops", "saving the tuned model")):
        if importlib.util.find_spec(package) is None:
            raise UserError(f"{what} needs {package}: pip install 'mcugen[tune]'")
    check_cache_dir(cache_dir)
    check_output(output, name)


def _fail_without_choice(result, output, written) -> None:
    unbuilt = [row for row in result.rows if "score" in row and str(row.get("reason", "")).startswith("not built")]
    if any(row.get("measured") for row in result.rows):
        click.echo(format_closest(result), err=True)
        reason = "no candidate meets the budgets (closest above); relax a budget or raise --budget"
    elif unbuilt and all(row.get("fits") is False for row in result.rows if "score" in row):
        smallest = min(unbuilt, key=lambda row: row.get("flash_estimate", 0))
        why = smallest["reason"].removeprefix("not built: ")
        reason = (f"no candidate meets the budgets: none was built, as even the smallest is {why}; "
                  "relax --max-flash or choose a chip with more flash")
    else:
        reason = "nothing was simulated (--time stopped the search first); raise --time"
    if not written:
        reason += f"; {output} is unchanged (it holds {result.name}.h of an earlier run or yours)"
    click.echo(f"error: {reason}", err=True)
    sys.exit(1)


def format_front(result) -> str:
    counter = next((r["counter"] for r in result.rows if r.get("fits")), "cycles")
    phases = ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in result.phases.items())
    simulated = sum(1 for r in result.rows if r.get("measured"))
    lines = [f"{result.n_evaluated} candidates scored, {simulated} simulated on the {result.target} in "
             f"{result.seconds:.0f} s ({phases})", format_as_trained(result), "Pareto front:",
             f"  {'score':>13} {'drop':>5} {counter:>12} {'flash':>7} {'RAM':>5} {'energy pJ':>10}  candidate"]
    for row in result.pareto:
        lines.append(_line(row))
    return "\n".join(lines)


def format_as_trained(result) -> str:
    found = result.as_trained()
    text = (f"as trained: {found['score']:.2f} ± {found['score_se']:.2f} (cross-validated on "
            f"{result.decision_rows} rows)")
    if found["fits"]:
        return text + f", fits the {result.target} in {found['flash_bytes']:,} B"
    needs = f", needs about {found['needs_bytes']:,} B" if found.get("needs_bytes") else ""
    return text + f"; does not fit the {result.target}{needs}"


def _line(row: dict) -> str:
    score = f"{row['score']:.2f} ± {row['score_se']:.2f}"
    return (f"  {score:>13} {row['accuracy_drop']:5.2f} {row['cycles']:12,.0f} {row['flash_bytes']:7,} "
            f"{row['ram_bytes']:5,} {row['energy_pj']:10,.0f}  {row['transform']} [{row['layout']}, {row['input']}]")


def format_closest(result) -> str:
    from codegen.optimize.pareto import misses

    lines = ["closest candidates:"]
    for row in result.closest():
        lines.append(_line(row) + "  misses: " + "; ".join(misses(row, result.budgets)))
    return "\n".join(lines)


def format_choice(result, output: str = "OUT", data: str = "X.csv", labels: str = "y.csv") -> str:
    best = result.best
    text = (f"chosen: {best['transform']} [{best['layout']}, {best['input']}]: {best['score']:.2f} ± "
            f"{best['score_se']:.2f}, drop {best['accuracy_drop']:.2f} ± {best['drop_se']:.2f} below the model as "
            f"trained (cross-validated)")
    scores = result.report_scores
    if "best" in scores:
        text += (f"\non the {scores['rows']} report rows no decision used: {scores['best']:.2f} ± "
                 f"{scores['best_se']:.2f} (as trained {scores['original']:.2f} ± {scores['original_se']:.2f}; "
                 f"drop {scores['drop']:.2f} ± {scores['drop_se']:.2f})")
    if best["input"] != "float32":
        text += (f"\nthe device passes {best['input']} readings; the scale and zero point per feature are in "
                 f"{result.name}.json (settings)")
    return text + "\ncheck this exact build: " + verify_command(result, output, data, labels)


def verify_command(result, output: str, data: str, labels: str) -> str:
    """The `mcugen verify` line that checks the chosen build (layout, input type, scale and zero
    point) on float rows, on the same simulated chip."""
    from pathlib import Path

    settings = result.settings()
    folder = Path(output)
    words = ["mcugen", "verify", str(folder / result.model_file), "--data", data, "--labels", labels,
             "--target", result.target, "--layout", settings["layout"], "--name", result.name]
    if settings["input"] != "float32":
        words += ["--input", settings["input"], "--scale", str(folder / "input_scale.json"),
                  "--zero-point", str(folder / "input_zero_point.json"), "--quantize"]
    if result.calibration is not None:
        words += ["--calibration", str(folder / "calibration.csv")]
    import shlex

    return " ".join(shlex.quote(word) for word in words)
