"""`fpga-explore`: multi-objective cross-layer design-space exploration (HALF-style).

    fpga-explore MODEL --board B [--data labelled.npz] [--budget N] [--seed S]
                 [--workers W] [--cluster ADDRESS] -o front.json

MODEL is a float ONNX model (its per-layer weight and activation bit widths become genes: it
is re-quantised per candidate), a quantised ONNX model (bit widths fixed), or a model builder
`.py` (KNOBS + build_onnx: topology knobs become genes, each candidate trained briefly on
--train-data).  NSGA-II (pymoo) searches bit widths, board, clock, resource budget and each
weight layer's parallelism (pinned in select-folding, or 0: left to select-folding, run as the
inner step); the last tenth of the budget steps the three design goals' picks (low energy, low
power, high throughput).  Objectives: throughput, latency, power, energy per inference,
resources and accuracy (fpga-sim's functional model on --data).

Writes front.json (every non-dominated point: objective values, settings, the re-quantised
model and the fpga-compile command that rebuilds it), front.csv, PNG plots with --plots, and
compiles a chosen point with --emit.  docs/explore.md has the details.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import time
from pathlib import Path

import numpy as np

from fpga_opt.dialects.errors import FpgaOptError, check_range
from fpga_opt.dialects.files import (
    check_output_file,
    commit_now,
    load_arrays,
    scratch_directory,
    staging_directory,
    write_atomically,
)
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.tables import render

DEFAULT_BUDGET = 60
DEFAULT_EVAL_SAMPLES = 200
#: Without labelled data: this many seeded standard-normal inputs measure agreement with the float model.
AGREEMENT_SAMPLES = 64


def _csv_list(text: str, cast, what: str) -> list:
    try:
        return [cast(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise FpgaOptError(f"{what}: expected a comma-separated list, got '{text}'") from None


def _load_npz(path: str, what: str, need_labels: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    if not Path(path).is_file():
        raise FpgaOptError(f"{what} {path}: no such file")
    arrays = load_arrays(path, what)  # every way the file can be broken is one line there
    if not isinstance(arrays, dict) or "x" not in arrays or (need_labels and "y" not in arrays):
        raise FpgaOptError(f"{what} {path}: needs arrays 'x' (inputs, NCHW or NCL) and 'y' (integer labels)")
    x, y = arrays["x"], arrays.get("y")
    if x.ndim < 2 or len(x) == 0:
        raise FpgaOptError(f"{what} {path}: 'x' must be a non-empty batch of samples (N, C, ...), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise FpgaOptError(f"{what} {path}: 'x' holds NaN or infinite values")
    if y is not None and (y.ndim != 1 or len(y) != len(x)):
        raise FpgaOptError(f"{what} {path}: 'y' must hold one label per sample of 'x' ({len(x)}), got shape {y.shape}")
    if y is not None and (y.dtype.kind not in "iub" or (len(y) and y.min() < 0)):
        raise FpgaOptError(f"{what} {path}: 'y' must hold class indices (integers >= 0)")
    return x.astype(np.float32), (y.astype(np.int64) if y is not None else None)


def _input_shape(model_path: Path) -> tuple[int, ...]:
    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    value = next(v for v in model.graph.input if v.name not in inits)
    dims = [d.dim_value if d.dim_value > 0 else 1 for d in value.type.tensor_type.shape.dim]
    return tuple(dims[1:])


def spread(x: np.ndarray, n: int) -> np.ndarray:
    """`n` samples evenly spaced over `x` (data files are often sorted by class)."""
    return x[np.linspace(0, len(x) - 1, min(n, len(x))).astype(int)]


def prepare(args: argparse.Namespace, workdir: str):
    """The model source, the evaluator and the space of this run."""
    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.tools.explore.evaluate import OBJECTIVES, Evaluator, float_predictions
    from fpga_opt.tools.explore.model import ModelSource
    from fpga_opt.tools.explore.space import (
        BIT_CHOICES,
        BUDGET_CHOICES,
        CLOCK_FRACTIONS,
        THRESHOLD_CHOICES,
        build_space,
    )

    boards = _csv_list(args.board, str, "--board")
    if not boards:
        raise FpgaOptError("--board: give at least one board")
    for b in boards:
        resolve_board(b)
    train = None
    if args.train_data:
        tx, ty = _load_npz(args.train_data, "--train-data")
        train = {"x": tx, "y": ty}
    data_x = data_y = None
    if args.data:
        data_x, data_y = _load_npz(args.data, "--data")
    calibration = spread(train["x"], 64) if train else None
    if calibration is None and data_x is not None:
        # No training split: every k-th sample calibrates (64 of them), the others measure accuracy.
        chosen = np.zeros(len(data_x), bool)
        chosen[np.linspace(0, len(data_x) - 1, min(64, len(data_x) // 2)).astype(int)] = True
        calibration, data_x, data_y = data_x[chosen], data_x[~chosen], data_y[~chosen]  # type: ignore[index]
    source = ModelSource.open(args.model, workdir, calibration, train, args.builder_epochs, args.seed)
    if source.kind == "builder" and not train:
        raise FpgaOptError("a model builder needs --train-data (labelled .npz) to train its candidates")
    accuracy_kind = ""
    if data_x is not None:
        accuracy_kind = "labels"
        keep = np.linspace(0, len(data_x) - 1, min(args.eval_samples, len(data_x))).astype(int)
        data_x, data_y = data_x[keep], data_y[keep]  # type: ignore[index]  # spread over the file, not its head
    elif source.kind == "float":
        accuracy_kind = "agreement"
        shape = _input_shape(Path(args.model))
        rng = np.random.default_rng(args.seed)
        calibration = rng.standard_normal((64, *shape)).astype(np.float32)
        source.calibration = calibration
        data_x = rng.standard_normal((AGREEMENT_SAMPLES, *shape)).astype(np.float32)
        data_y = float_predictions(args.model, data_x)
    objectives = _csv_list(args.objectives, str, "--objectives") if args.objectives else list(OBJECTIVES)
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown:
        raise FpgaOptError(f"--objectives: unknown {', '.join(unknown)} (choose from {', '.join(OBJECTIVES)})")
    if not accuracy_kind and "accuracy" in objectives:
        if args.objectives:
            raise FpgaOptError("--objectives accuracy needs --data (labelled) or a float model")
        objectives.remove("accuracy")
    if len(objectives) < 2:
        raise FpgaOptError("--objectives: give at least two objectives for a front")
    bits = _csv_list(args.bits, int, "--bits") if args.bits else list(BIT_CHOICES)
    budgets = _csv_list(args.budgets, float, "--budgets") if args.budgets else list(BUDGET_CHOICES)
    if any(not 0 < b <= 1 for b in budgets):
        raise FpgaOptError(f"--budgets: every resource budget must be in (0, 1], got {budgets}")
    clocks = _csv_list(args.clocks, float, "--clocks") if args.clocks else None
    early_exits = source.outputs - 1
    thresholds = _csv_list(args.thresholds, float, "--thresholds") if args.thresholds else list(THRESHOLD_CHOICES)
    if early_exits:
        # An early-exit network: thresholds are genes, measured on labelled samples; fpga-compile --exit-data
        # (which rebuilds its points) targets the board's own clock, so the clock is not a gene here.
        if accuracy_kind != "labels":
            raise FpgaOptError(
                f"{args.model}: {source.outputs} outputs (an early-exit network): its exit thresholds are chosen on "
                "labelled samples: give --data x.npz with labels y"
            )
        if clocks:
            raise FpgaOptError(
                "--clocks: an early-exit network is built at the board's clock (fpga-compile --exit-data)"
            )
        if source.kind == "builder":
            raise FpgaOptError(f"{args.model}: early exits from a model builder are not supported")
    elif args.thresholds:
        raise FpgaOptError(f"--thresholds: {args.model} has one output (exit thresholds are for early-exit networks)")
    folded = []
    if args.parallelism == "layers" and source.kind != "builder" and not early_exits:
        from fpga_opt.tools.explore.parallelism import folded_layers

        # select-folding's layers as a candidate has them: the reference design's model (re-quantising can
        # drop ops a float model has, e.g. a final Softmax); the bit widths change element types, not ops.
        layers = source.layers()
        reference = source.model_for({"bits": {layer: [8, 8] for layer in layers}} if layers else {})
        folded = folded_layers(str(reference), boards[0])
    space = build_space(
        folded=folded,
        boards=boards,
        clocks=clocks,
        layers=source.layers(),
        bit_choices=bits,
        budgets=budgets,
        knobs=source.knobs(),
        early_exits=early_exits,
        thresholds=thresholds,
        clock_fractions=(1.0,) if early_exits else CLOCK_FRACTIONS,
        tied=source.exit_layers() if early_exits else (),
    )
    evaluator = Evaluator(source, data_x, data_y, accuracy_kind)
    return source, evaluator, space, objectives, accuracy_kind, (0 if data_x is None else len(data_x))


def _compile_command(point: dict, model: str, out_dir: str, data: str | None = None) -> str:
    result = point["result"]
    settings = result["settings"]
    if settings.get("thresholds"):  # an early-exit network: fpga-compile's early-exit flow at these thresholds
        thresholds = "/".join(f"{t:g}" for t in settings["thresholds"])
        return shlex.join(
            ["fpga-compile", model, "--board", settings["board"], "--exit-data", str(data), "--inputs-key", "x",
             "--labels-key", "y", "--thresholds", thresholds, "--max-util", f"{settings['max_util']:g}", "-o", out_dir]
        )  # fmt: skip
    pipeline = ",".join(result["pipeline"])
    return shlex.join(["fpga-compile", model, "--board", settings["board"], "--pipeline", pipeline, "-o", out_dir])


def _what(objective: str, accuracy_kind: str) -> str:
    """The objective's definition as front.json states it (accuracy says what it was measured against)."""
    from fpga_opt.tools.explore.evaluate import OBJECTIVES

    if objective == "accuracy" and accuracy_kind == "agreement":
        return "top-1 agreement with the float model (onnxruntime) on seeded random inputs, in fpga-sim"
    return OBJECTIVES[objective][2]


def write_front(args, source, archive, objectives, accuracy_kind, n_samples, space) -> dict:
    """front.json (+ csv, designs) from the archive; returns the document."""
    from fpga_opt.tools.explore.evaluate import OBJECTIVES
    from fpga_opt.tools.explore.front import design_goals, pareto_front, to_csv

    out = Path(args.output)
    designs = out.with_name(out.stem + ".designs")
    front = pareto_front(archive.records, objectives)
    # The designs replace the folder whole, and only when the run succeeds (a staging folder).
    staged = staging_directory(designs, replace=True)
    points = []
    for record in front:
        res = record["result"]
        design = designs / f"point-{record['id']}.onnx"
        # Rebuilt here (the same bytes): a worker on another machine wrote its copy there, not here.
        shutil.copyfile(source.model_for(res["settings"]), staged / design.name)
        rel = os.path.relpath(design, out.parent if str(out.parent) else ".")
        record["design"] = rel
        points.append(
            {
                "id": record["id"],
                "objectives": {o: res["metrics"][o] for o in objectives},
                "settings": res["settings"],
                "board": res["board_name"],
                "clock_mhz": res["clock_mhz"],
                "resources": res["resources_used"],
                "utilisation": res["utilisation"],
                "power": res["power_w"],
                "design": rel,
                **({"exits": res["exits"]} if "exits" in res else {}),
                "compile": _compile_command(record, str(design), str(designs / f"point-{record['id']}"), args.data),
            }
        )
    goals = design_goals(front, args.accuracy_tolerance, args.accuracy_target)
    document = {
        "tool": "fpga-explore",
        "model": args.model,
        "boards": _csv_list(args.board, str, "--board"),
        "algorithm": "random" if args.random else args.algorithm,
        "seed": args.seed,
        "budget": args.budget,
        "evaluations": len(archive.records),
        "infeasible": sum(1 for r in archive.records if not r["result"].get("feasible")),
        "objectives": {
            o: {"direction": OBJECTIVES[o][0], "unit": OBJECTIVES[o][1], "what": _what(o, accuracy_kind)}
            for o in objectives
        },
        "accuracy": {"kind": accuracy_kind, "samples": n_samples} if accuracy_kind else None,
        "genes": [{"name": g.name, "choices": list(g.choices)} for g in space.genes],
        "points": points,
        "goals": goals,
    }
    write_atomically(out, json.dumps(document, indent=2) + "\n")
    write_atomically(out.with_suffix(".csv"), to_csv(front, objectives))
    if args.all_evaluations:
        rows = [
            {"id": r["id"], "genes": r["genes"], **{k: v for k, v in r["result"].items() if k not in ("model",)}}
            for r in archive.records
        ]
        write_atomically(out.with_suffix(".all.json"), json.dumps(rows, indent=2, default=str) + "\n")
    return {"document": document, "front": front, "goals": goals}


def _summary(document: dict, seconds: float) -> str:
    lines = [
        f"fpga-explore: {document['evaluations']} evaluations ({document['infeasible']} did not fit) in {seconds:.1f} s "
        f"({document['evaluations'] / max(seconds, 1e-9):.2f}/s); {len(document['points'])} points on the front"
    ]
    objectives = list(document["objectives"])
    header = ["id", "board", "MHz", *objectives]
    rows = [
        [str(p["id"]), p["board"], f"{p['clock_mhz']:g}", *(f"{p['objectives'][o]:.4g}" for o in objectives)]
        for p in document["points"]
    ]
    lines.append(render(header, rows, right=[0, *range(2, len(header))]))
    for goal, pick in document["goals"].items():
        best = "highest" if pick["objective"] == "throughput" else "lowest"
        lines.append(
            f"goal {goal}: point {pick['id']} ({best} {pick['objective']}"
            + (f" with accuracy >= {pick['accuracy_floor']:.3f})" if pick["accuracy_floor"] is not None else ")")
        )
    return "\n".join(lines)


def emit(document: dict, which: str, out_dir: str | None, no_csim: bool) -> int:
    """Compile one front point with fpga-compile (`which`: a point id or a goal name)."""
    from fpga_opt.tools import fpga_compile

    points = {str(p["id"]): p for p in document["points"]}
    if which in document["goals"]:
        which = str(document["goals"][which]["id"])
    if which not in points:
        raise FpgaOptError(
            f"--emit: no point '{which}' on the front (ids {', '.join(points)}; goals {', '.join(document['goals'])})"
        )
    argv = shlex.split(points[which]["compile"])[1:]
    if out_dir:
        argv[argv.index("-o") + 1] = out_dir
    if no_csim:
        argv.append("--no-csim")
    print(f"fpga-explore: compiling point {which}: fpga-compile {shlex.join(argv)}", flush=True)
    return fpga_compile.run(fpga_compile.build_parser().parse_args(argv))


MAX_BUDGET = 100_000
"""Upper bound of --budget: at about a second per evaluation, more than a day of search."""
MAX_POPULATION = 1_000
"""Upper bound of --population: NSGA-II's populations are tens to hundreds (Deb et al., 2002)."""
MAX_WORKERS = 1_024
"""Upper bound of --workers: local processes (a cluster's size is the scheduler's, not this option's)."""
MAX_EVAL_SAMPLES = 1_000_000
MAX_BUILDER_EPOCHS = 10_000


def check_options(args: argparse.Namespace) -> None:
    """The numeric options' bounds (docs/reliability.md), before any work starts."""
    check_range("--budget", "the number of evaluations", args.budget, 1, MAX_BUDGET)
    check_range("--population", "the population (0: budget/4)", args.population, 0, MAX_POPULATION)
    check_range("--workers", "the number of local worker processes", args.workers, 1, MAX_WORKERS)
    check_range("--seed", "the seed", args.seed, 0, 2**63 - 1, "numpy's seeds are non-negative")
    check_range("--eval-samples", "the number of samples", args.eval_samples, 1, MAX_EVAL_SAMPLES)
    check_range("--builder-epochs", "the number of epochs", args.builder_epochs, 1, MAX_BUILDER_EPOCHS)
    check_range("--accuracy-tolerance", "the tolerance", args.accuracy_tolerance, 0, 1, "a share of top-1 accuracy")
    if args.accuracy_target is not None:
        check_range("--accuracy-target", "the target", args.accuracy_target, 0, 1, "a top-1 accuracy")


def run(args: argparse.Namespace) -> int:
    check_options(args)
    if not Path(args.model).is_file():  # before the search's imports (seconds): a typo is told at once
        raise FpgaOptError(
            f"{args.model}: no such file" if not Path(args.model).exists() else f"{args.model}: not a file"
        )
    from fpga_opt.tools.explore.engines import make_engine
    from fpga_opt.tools.explore.search import explore, population_for, random_search

    out = check_output_file(args.output)
    if out.suffix != ".json":
        raise FpgaOptError(f"-o {out}: the front is written as JSON; give a .json path")
    if args.plots:
        from fpga_opt.tools.explore.plots import require_matplotlib

        require_matplotlib()
    start = time.perf_counter()
    with scratch_directory("fpga-explore-") as workdir:
        source, evaluator, space, objectives, accuracy_kind, n_samples = prepare(args, str(workdir))
        population = args.population or population_for(args.budget)
        engine = make_engine(evaluator, args.workers, args.cluster)
        try:
            if args.random:
                archive = random_search(space, objectives, engine, args.budget, args.seed, population, args.quiet)
            else:
                archive = explore(
                    space, objectives, engine, args.budget, args.seed, population, args.quiet, args.algorithm,
                    args.accuracy_tolerance, args.accuracy_target,
                )  # fmt: skip
        except BaseException:
            engine.close(abort=True)  # an error or Ctrl-C/SIGTERM: stop the workers, do not wait for them
            raise
        engine.close()
        written = write_front(args, source, archive, objectives, accuracy_kind, n_samples, space)
    seconds = time.perf_counter() - start
    document = written["document"]
    print(_summary(document, seconds))
    print(f"fpga-explore: wrote {out}, {out.with_suffix('.csv')} and {out.with_name(out.stem + '.designs')}/")
    if args.plots:
        from fpga_opt.tools.explore.plots import plot_front

        title = f"{Path(args.model).name} on {args.board}"
        for path in plot_front(archive.records, written["front"], written["goals"], out.with_suffix(""), title):
            print(f"fpga-explore: wrote {path}")
    if args.emit:
        # The search is done and its front complete: it is written now, so the compile reads FRONT.designs
        # where its command says, and a failed compile discards only its own outputs.
        commit_now()
        return emit(document, args.emit, args.emit_dir, args.no_csim)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from fpga_opt.tools.explore.search import ALGORITHMS

    p = argparse.ArgumentParser(prog="fpga-explore", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a float or quantised ONNX model, or a model builder .py (KNOBS, build_onnx)")
    p.add_argument(
        "--board", required=True, help="target board(s): a name, a .toml file, or a comma list (board becomes a gene)"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="FRONT.json", help="the Pareto front (also FRONT.csv, FRONT.designs/)"
    )
    p.add_argument("--data", help="labelled samples .npz (x, y) for the accuracy objective")
    p.add_argument("--train-data", help="labelled .npz to train builder candidates and calibrate re-quantisation")
    p.add_argument(
        "--budget",
        type=int,
        default=DEFAULT_BUDGET,
        help=f"distinct candidates to evaluate (default {DEFAULT_BUDGET}; the last tenth refines the design goals' picks)",
    )
    p.add_argument("--population", type=int, default=0, help="NSGA-II population (default: budget/4, 4..16)")
    p.add_argument(
        "--seed", type=int, default=0, help="random seed (the front is the same for a seed, whatever --workers)"
    )
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel evaluations (default: CPUs)")
    p.add_argument(
        "--cluster", help="a Dask scheduler address (tcp://host:8786), or 'local' for a local Dask cluster of --workers"
    )
    p.add_argument(
        "--objectives", help="comma list of throughput, latency, power, energy, resources, accuracy (default: all)"
    )
    p.add_argument("--bits", help="bit widths to choose from (default 2,3,4,5,6,7,8)")
    p.add_argument("--clocks", help="clocks in MHz to choose from (default: 40/60/80/100%% of each board's clock)")
    p.add_argument(
        "--thresholds", help="early-exit networks: exit thresholds to choose from (default 0.5,0.6,...,0.999)"
    )
    p.add_argument("--budgets", help="resource budgets (select-folding max-util) to choose from (default 0.05..0.85)")
    p.add_argument(
        "--parallelism",
        choices=("layers", "search"),
        default="layers",
        help="layers (default): a parallelism gene per layer with weights (0: select-folding chooses); "
        "search: select-folding chooses every layer's folding",
    )
    p.add_argument("--eval-samples", type=int, default=DEFAULT_EVAL_SAMPLES, help="samples of --data for accuracy")
    p.add_argument("--builder-epochs", type=int, default=3, help="training epochs per builder candidate")
    p.add_argument(
        "--accuracy-tolerance",
        type=float,
        default=0.02,
        help="design goals pick among points within this of the best accuracy",
    )
    p.add_argument(
        "--accuracy-target",
        type=float,
        default=None,
        help="design goals pick among points with at least this accuracy (default: best - tolerance)",
    )
    p.add_argument("--random", action="store_true", help="random search instead of NSGA-II (the baseline)")
    p.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="nsga2",
        help="the evolutionary algorithm (pymoo's): nsga2 (default), smsemoa (hypervolume-based selection) or nsga3 "
        "(reference directions); docs/explore.md compares them",
    )
    p.add_argument(
        "--plots", action="store_true", help="write FRONT.throughput_energy.png and FRONT.accuracy_resources.png"
    )
    p.add_argument(
        "--emit", metavar="ID|GOAL", help="compile a front point (an id, or low-energy / low-power / high-throughput)"
    )
    p.add_argument("--emit-dir", help="output folder of --emit (default FRONT.designs/point-ID)")
    p.add_argument("--no-csim", action="store_true", help="--emit without the C simulation")
    p.add_argument("--all-evaluations", action="store_true", help="also write FRONT.all.json with every candidate")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


@tool_main("fpga-explore")
def main(argv: list[str]) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    main()
