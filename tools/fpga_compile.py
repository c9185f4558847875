"""`fpga-compile`: the one-shot flow, ONNX model to a checked Vitis HLS project.

    fpga-compile model.onnx --board kv260 -o build/ [--frames 20] [--no-csim]
    fpga-compile model.onnx --board pynqz2 -o build/ --exit-data samples.npz --labels-key y   # early exits

An early-exit model with `--exit-data` takes its own flow (tools/compile_exits.py: profile,
thresholds, baseline, split, exit-aware search, simulate on the real samples, lower, emit, csim).

Steps, each leaving an inspectable artefact in the output folder (FINN's
named build steps):

1. import     `<model>.mlir` + `<model>.weights.npz`   (fpga-translate --import-onnx;
              a `.mlir` input is taken as already imported)
2. optimise   `<model>.opt.mlir`: `DEFAULT_PIPELINE`, the passes that exist in this build
3. simulate   fpga-sim on `--frames` random inputs (normal images quantised with the
              input scale; by default 20, fewer for large networks: CHECK_MACS), checking that
              the optimised IR computes what the imported one does
4. lower      `<model>.hls.mlir`: lower-dataflow-to-hls
5. emit       `hls/`: the Vitis HLS project with inputs.bin / expected.bin from step 3
6. csim       `make csim` in `hls/` with g++ -O1, when g++ and the ap_types headers exist

It ends with a report (frame rate and latency predicted by estimate-resources,
resources against the board, the status of every check), also written to
`report.json` and drawn in `report.html` (fpga-report's page: the dataflow
graph, utilisation, layers, simulated against predicted).  `report.json`'s
`design` part is deterministic (the same model and options give the same
bytes); its `run` part holds what differs between runs (times, absolute paths,
versions).  Each check in `design.checks` is `passed`, `failed` or `skipped`
with its reason; `csim_passed` is true or false only when the C simulation
ran, else null.

Outputs are a transaction: the steps write into a hidden staging folder beside
`-o`, which becomes `-o` when the run finishes.  Bad input (or Ctrl-C) prints
one line, exits 1 (130), and leaves nothing behind, unless `--keep` asks to
keep the earlier steps' files.  A failing C simulation is a finished run: it
exits 1 after the report, with `csim.log` beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp

from fpga_opt.dialects import make_context
from fpga_opt.dialects.errors import FpgaOptError, check_range
from fpga_opt.dialects.files import check_output_dir, commit_now, staging_directory, write_atomically
from fpga_opt.dialects.parsing import load_module
from fpga_opt.dialects.progress import set_quiet
from fpga_opt.tools.csim_check import run_csim_check
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.figures import fps_text
from fpga_opt.tools.pipeline import parse_pipeline
from fpga_opt.tools.run_facts import run_facts

DEFAULT_PIPELINE: tuple[str, ...] = (
    "dataflow-canonicalize",
    "select-folding{board=$board}",
    "merge-loops",
    "minimize-residual-buffers",
    "size-fifos{refold=true}",
    "estimate-resources{board=$board}",
)
"""The optimisation passes `fpga-compile` runs, in order (`$board` is the --board value).

The order and why: docs/passes/folding.md, "Pass order" (size-fifos last: it measures the final design).

A pass named here that this build does not have is skipped with a note, so
later passes slot in by being added to this list (or given with --pipeline).
"""

LARGE_MODEL_PIPELINE: tuple[str, ...] = (
    "dataflow-canonicalize",
    "merge-loops",
    # skip FIFOs sized before the search: the importer's join FIFOs hold whole tensors (ResNet-50's
    # first block: 56x56x256 bytes, 375 RAMB18), which no placement of the weights can make fit
    "minimize-residual-buffers",
    "place-weights{board=$board max-util=0.75$generate}",  # headroom for the FIFOs size-fifos adds
    "minimize-residual-buffers",  # again, at the folding place-weights chose
    "size-fifos{refold=true}",
    "estimate-resources{board=$board}",
)
"""The pipeline for a network whose weights do not fit on chip (docs/passes/offchip.md): place-weights chooses
each layer's weight placement and the folding together, under the board's resources and DRAM bandwidth."""

LOWERING = "lower-dataflow-to-hls{board=$board}"

DEFAULT_FRAMES = 20
MAX_FRAMES = 10_000
"""Upper bound of --frames: every frame is simulated twice and checked by csim; 10^4 is minutes."""
MAX_JOBS = 256
#: With --frames left out, the check runs DEFAULT_FRAMES frames, or as many as fit this many
#: multiply-accumulates (at least one): a ResNet-50 (4 GMAC a frame) is checked on one frame
#: instead of twenty, which would take the C simulation and fpga-sim minutes.
CHECK_MACS = 2_000_000_000


def auto_frames(module: ModuleOp) -> int:
    """Frames to check and simulate when --frames is not given (see CHECK_MACS); within [1, MAX_FRAMES]."""
    from fpga_opt.backend.costs import macs_per_frame

    macs = macs_per_frame(module)
    return max(1, min(DEFAULT_FRAMES, MAX_FRAMES, CHECK_MACS // max(macs, 1)))


def _say(text: str) -> None:
    print(text, flush=True)


def _module_text(module: ModuleOp) -> str:
    from io import StringIO

    from xdsl.printer import Printer

    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


def _board_option(board: str) -> str:
    return f'"{board}"' if any(ch in board for ch in '/.\\ "') else board


def pipeline_specs(specs: Sequence[str], board: str) -> tuple[list[str], list[str]]:
    """(passes to run, passes skipped because this build lacks them)."""
    from fpga_opt.passes import pass_names

    known = set(pass_names())
    run, skipped = [], []
    for spec in specs:
        name = spec.split("{", 1)[0].strip()
        (run if name in known else skipped).append(spec.replace("$board", _board_option(board)))
    return run, skipped


def _apply(ctx: Context, module: ModuleOp, spec: str) -> None:
    from fpga_opt.passes import registry

    parse_pipeline(spec, registry(), option="--pipeline").apply(ctx, module)
    module.verify()


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------


def import_model(path: Path, out: Path, shapes: list[str]) -> tuple[ModuleOp, dict, Path]:
    """Step 1: the dataflow IR and its weights (written to `out`)."""
    from fpga_opt.dialects.weights import WeightStore

    if path.suffix == ".mlir":
        if shapes:
            raise FpgaOptError("--input-shape only applies to ONNX models")
        module = load_module(path)
        store = WeightStore.for_module(module, path.parent)
        weights = {name: np.asarray(store[name]) for name in store}
        return module, weights, path
    from fpga_opt.frontend.onnx_import import import_onnx, parse_input_shapes, write_import

    if not path.exists():
        raise FpgaOptError(f"{path}: no such file")
    imported = import_onnx(path, parse_input_shapes(shapes))
    ir_path = out / f"{path.stem}.mlir"
    write_import(imported, ir_path)
    return imported.module, dict(imported.weights), ir_path


FLOAT_TOLERANCE = 1e-5
"""Largest relative difference allowed between the optimised and the imported IR on float outputs.

Relative to the largest magnitude of each output over the frames: passes that
reassociate float sums (merge-loops folding adds, a different accumulation
order after refolding) move results by a few float32 ULPs of the partial sums,
so bit equality is the wrong test for float graphs.  The bound is the issue's
float criterion (#13); integer outputs must be equal bit for bit.
"""


def compare_outputs(ours: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> dict:
    """How far `ours` is from `reference`: bit-exact for integer outputs, FLOAT_TOLERANCE for float ones."""
    is_float = any(np.issubdtype(np.asarray(r).dtype, np.floating) for r in reference)
    max_rel = 0.0
    exact = True
    for a, b in zip(ours, reference, strict=True):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return {"float": is_float, "exact": False, "max_rel_error": float("inf"), "passed": False}
        exact &= bool(np.array_equal(a, b))
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        max_rel = max(max_rel, diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf")))
    passed = exact or (is_float and max_rel <= FLOAT_TOLERANCE)
    result = {"float": is_float, "exact": exact, "max_rel_error": max_rel, "passed": passed}
    if is_float:
        result["tolerance"] = FLOAT_TOLERANCE
    return result


def _agreement_text(agreement: dict) -> str:
    if agreement["exact"]:
        return "bit for bit"
    return f"max relative error {agreement['max_rel_error']:.2g} (float tolerance {FLOAT_TOLERANCE:g})"


def first_inexact_pass(ctx, imported: ModuleOp, passes: Sequence[str], weights, inputs, reference) -> str:
    """Re-run the pipeline pass by pass from the imported IR; name the first that moves the outputs too far."""
    from fpga_opt.backend.sim import run_functional

    module = imported.clone()
    for spec in passes:
        _apply(ctx, module, spec)
        agreement = compare_outputs(run_functional(module, weights, inputs, layout="hwc"), reference)
        if not agreement["passed"]:
            kind = "float outputs" if agreement["float"] else "integer outputs"
            limit = f" > {FLOAT_TOLERANCE:g}" if agreement["float"] else " (integer outputs must be bit-exact)"
            return (
                f"pass '{spec.split('{', 1)[0]}' is not exact: the optimised IR's {kind} differ from the imported "
                f"IR's by up to {agreement['max_rel_error']:.3g} relative{limit}"
            )
    return "the optimised IR computes different outputs from the imported one (no single pass reproduces it)"


def estimate_summary(module: ModuleOp) -> dict:
    """The `dataflow.estimate` of estimate-resources as plain values (empty if absent)."""
    attr = module.attributes.get("dataflow.estimate")
    if not isinstance(attr, DictionaryAttr):
        return {}
    from fpga_opt.passes.analysis.annotations import dict_value

    return {key: dict_value(attr, key) for key in attr.data}


def run(args: argparse.Namespace) -> int:
    from fpga_opt.backend.target.boards import resolve_board

    model = Path(args.model)
    if not model.is_file():
        raise FpgaOptError(f"{model}: {'is a directory, not a model' if model.is_dir() else 'no such file'}")
    out = check_output_dir(args.output, "-o")
    board = resolve_board(args.board)
    if args.frames is not None:  # left out: auto_frames chooses, within the same bound
        check_range("--frames", "the frame count", args.frames, 1, MAX_FRAMES)
    check_range("--seed", "the seed", args.seed, 0, 2**63 - 1)
    if args.jobs is not None:
        check_range("--jobs", "the job count", args.jobs, 1, MAX_JOBS)
    if args.exit_data is not None:  # early exits: their own flow (tools/compile_exits.py)
        from fpga_opt.tools.compile_exits import Hooks
        from fpga_opt.tools.compile_exits import run as run_exits

        if args.pipeline is not None:
            raise FpgaOptError("--exit-data chooses its own passes; it does not take --pipeline")
        if args.frames is None:  # the exit flow picks real samples: DEFAULT_FRAMES of them
            args.frames = DEFAULT_FRAMES
        # Its steps read back what they wrote: they write into the staging folder that becomes -o.
        staged = argparse.Namespace(**{**vars(args), "output": str(staging_directory(out)), "final_output": str(out)})
        try:
            return run_exits(staged, Hooks(import_model, _module_text, _relocate_sidecar, _apply, _say))
        except BaseException:
            if args.keep:
                commit_now()
            raise
    specs = list(DEFAULT_PIPELINE) if args.pipeline is None else [s for s in _split_pipeline(args.pipeline) if s]
    if args.weights == "place" and args.pipeline is None:
        specs = _large_model_specs(args)
    if args.weights == "partition" and args.pipeline is None:
        from fpga_opt.tools.compile_partitions import PARTITION_PIPELINE

        specs = list(PARTITION_PIPELINE)
    passes, skipped = pipeline_specs(specs, args.board)
    ctx = make_context()
    stem = model.stem
    work = staging_directory(out)
    try:
        return _steps(args, model, out, work, board, passes, skipped, ctx, stem)
    except BaseException:
        if args.keep:
            commit_now()
        raise


def _steps(args, model: Path, out: Path, work: Path, board, passes, skipped, ctx: Context, stem: str) -> int:
    """The six steps, writing into `work` (which becomes `out`); paths are shown as they will be in `out`."""
    from fpga_opt.backend.hls.emit import build_project
    from fpga_opt.backend.sim import run_functional
    from fpga_opt.backend.sim.boundary import random_inputs

    def shown(path: Path) -> Path:
        return out / path.relative_to(work)

    design: dict = {
        "model": model.name,
        "model_sha256": _sha256(model),
        "board": board.name,
        "part": board.part,
        "pipeline": passes,
        "frames": args.frames,
        "seed": args.seed,
    }
    timings: dict[str, float] = {}
    total_steps = 6

    t0 = time.perf_counter()
    module, weights, ir_path = import_model(model, work, args.input_shape)
    n_layers = len(list(next(op for op in module.body.block.ops if isinstance(op, func.FuncOp)).body.block.ops)) - 1
    timings["import"] = time.perf_counter() - t0
    shown_ir = shown(ir_path) if ir_path.is_relative_to(work) else ir_path
    _say(f"[1/{total_steps}] import    {model} -> {shown_ir} ({n_layers} ops)  {timings['import']:.1f} s")
    if args.frames is None:  # the partitioned path reads args.frames too
        args.frames = auto_frames(module)
        design["frames"] = args.frames
    from fpga_opt.tools.compile_exits import unsplit_note

    if (note := unsplit_note(module, passes)) is not None:
        _say(f"          {note}")

    t0 = time.perf_counter()
    imported = module.clone()
    try:
        for spec in passes:
            _apply(ctx, module, spec)
    except FpgaOptError as error:
        # Weights larger than the chip: the large-model path (place-weights) when the user chose no pipeline.
        if args.pipeline is not None or args.weights != "auto" or "even at minimum folding" not in str(error):
            raise
        _say(f"[2/{total_steps}] optimise  the weights do not fit on chip ({error}); large-model path: place-weights")
        try:
            module, passes, skipped = _optimised(ctx, imported, _large_model_specs(args), args.board)
        except FpgaOptError as placed:
            # No single configuration fits even with the weights off chip: partitions run in turn.
            if "nothing else can be moved off chip" not in str(placed):
                raise
            from fpga_opt.tools.compile_partitions import WEIGHED_PARTITION_PIPELINE

            _say(f"[2/{total_steps}] optimise  no single configuration fits ({placed}); partitions")
            module, passes, skipped = _optimised(ctx, imported, list(WEIGHED_PARTITION_PIPELINE), args.board)
        else:
            placed_run = (module, passes, skipped)
            module, passes, skipped = _weigh_partitions(ctx, args, placed_run, imported, board, design, total_steps)
        design["pipeline"] = passes
    opt_path = work / f"{stem}.opt.mlir"
    _relocate_sidecar(module, ir_path, opt_path)
    write_atomically(opt_path, _module_text(module))
    note = f" (skipped, not in this build: {', '.join(skipped)})" if skipped else ""
    timings["optimise"] = time.perf_counter() - t0
    _say(
        f"[2/{total_steps}] optimise  {', '.join(passes) or '(no passes)'} -> {shown(opt_path)}{note}  "
        f"{timings['optimise']:.1f} s"
    )

    from fpga_opt.passes.analysis.partitions import SCHEDULE_ATTR

    if SCHEDULE_ATTR in module.attributes:  # one project per partition (tools/compile_partitions.py)
        return _run_partitioned(args, module, imported, weights, out, work, board, total_steps, design, timings, model)
    offchip = offchip_summary(module, board)
    t0 = time.perf_counter()
    frames = args.frames
    inputs = random_inputs(module, frames, args.seed)
    expected = run_functional(module, weights, inputs, layout="hwc")
    reference = run_functional(imported, weights, inputs, layout="hwc")
    from fpga_opt.tools.compile_exits import split_check

    split, problem = split_check(imported, module, expected, reference)  # early exits: per sample, the exit taken
    if split and problem is not None:
        raise FpgaOptError(f"fpga-sim: the split early-exit network is not the imported one's exits: {problem}")
    agreement = (
        {"float": False, "exact": True, "max_rel_error": 0.0, "passed": True}
        if split
        else compare_outputs(expected, reference)
    )
    design["simulate"] = agreement
    if not agreement["passed"]:
        culprit = first_inexact_pass(ctx, imported, passes, weights, inputs, reference)
        raise FpgaOptError(f"fpga-sim: {culprit} (compare {shown_ir} and {shown(opt_path)}, kept with --keep)")
    timings["simulate"] = time.perf_counter() - t0
    _say(
        f"[3/{total_steps}] simulate  fpga-sim on {frames} random input(s): optimised IR vs imported IR: "
        f"{_agreement_text(agreement)}{' (each sample at the exit it took)' if split else ''}  "
        f"{timings['simulate']:.1f} s"
    )

    t0 = time.perf_counter()
    optimised = module.clone()  # for report.html: lowering rewrites `module` in place
    _apply(ctx, module, LOWERING.replace("$board", _board_option(args.board)))
    hls_path = work / f"{stem}.hls.mlir"
    write_atomically(hls_path, _module_text(module))
    from fpga_opt.backend.hls.emit import find_design

    hls_design = find_design(module)
    timings["lower"] = time.perf_counter() - t0
    _say(
        f"[4/{total_steps}] lower     lower-dataflow-to-hls -> {shown(hls_path)} ({len(hls_design.kernels())} kernels, "
        f"{len(hls_design.streams())} streams, {len(hls_design.weights())} weight tables)  {timings['lower']:.1f} s"
    )

    t0 = time.perf_counter()
    frames_in = [[b[i] for b in inputs] for i in range(frames)]
    frames_out = [[b[i] for b in expected] for i in range(frames)]
    project = build_project(module, weights, inputs=frames_in, expected=frames_out)
    project_dir = work / "hls"
    project.write(project_dir)
    timings["emit"] = time.perf_counter() - t0
    _say(
        f"[5/{total_steps}] emit      {shown(project_dir)}/ (top.cpp, weights.cpp, tb.cpp, run_hls.tcl, Makefile)  "
        f"{timings['emit']:.1f} s"
    )

    equivalence = {
        "name": "equivalence",
        "status": "passed",
        "detail": f"fpga-sim on {frames} random input(s): optimised IR vs imported IR: "
        f"{_agreement_text(design['simulate'])}",
    }
    csim = run_csim_check([project_dir], no_csim=args.no_csim, jobs=args.jobs, opt=args.opt, log=work / "csim.log")
    verdict, passed = csim.verdict, csim.passed  # passed None: skipped, never reported as passed
    shown_verdict = ""
    if passed is not None:
        timings["csim_build"], timings["csim_run"] = csim.build_seconds, csim.run_seconds
        shown_verdict = f" (build {csim.build_seconds:.1f} s, run {csim.run_seconds:.1f} s)"
    _say(f"[6/{total_steps}] csim      {verdict}{shown_verdict}")

    checks = [equivalence, csim.check]
    design.update(
        {
            "estimate": estimate_summary(module),
            "checks": checks,
            "csim": verdict,
            "csim_passed": passed,
            "project": "hls",
        }
    )
    if offchip is not None:
        design["offchip"] = offchip
    report = {"design": design, "run": run_facts(model, out, timings)}
    write_atomically(work / "report.json", json.dumps(report, indent=2, default=str) + "\n")
    _write_html(optimised, work / "report.html", model.name, checks)
    _say(_report_text(design, board, out / "hls"))
    if passed is False:
        print(f"fpga-compile: error: C simulation failed; see {out / 'csim.log'}", file=sys.stderr)
        return 1
    return 0


def _write_html(module: ModuleOp, path: Path, title: str, checks: list[dict]) -> None:
    """fpga-report's page of the optimised design, with the checks of this run."""
    from fpga_opt.tools.fpga_report import report_data
    from fpga_opt.tools.report.build import html_report

    data = report_data(module)
    sim = None if data.get("partitions") else report_simulation(module)  # partitions: one short run each
    write_atomically(path, html_report(module, data, title=title, sim=sim, checks=checks))


def report_simulation(module: ModuleOp) -> dict:
    """The page's timing simulation, at size-fifos' automatic resolution: row for small frames (what
    `fpga-report --html` shows), coarse above 64 rows, where the row resolution would make a
    ResNet-50's page the bulk of the compile (minutes, against seconds)."""
    from fpga_opt.backend.sim import simulate
    from fpga_opt.passes.analysis.fifo_sizing import auto_resolution
    from fpga_opt.tools.report.build import DEFAULT_SIM_FRAMES
    from fpga_opt.tools.report.graph import design_function

    func = design_function(module)
    result = simulate(
        module, None, None, frames=DEFAULT_SIM_FRAMES, func=func.sym_name.data, resolution=auto_resolution(func)
    )
    return result.timing.as_dict()


def _run_partitioned(args, module, imported, weights, out: Path, work: Path, board, total_steps: int, design: dict,
                     timings: dict[str, float], model: Path) -> int:  # fmt: skip
    from fpga_opt.backend.target.boards import CLOCK_ATTR, number
    from fpga_opt.tools.compile_partitions import run_partitioned, schedule_summary, schedule_text

    optimised = module.clone()  # for report.html (the projects are lowered from clones, but to be sure)
    entries, passed = run_partitioned(args, module, imported, weights, work, board, _say, total_steps)
    clock = number(module.attributes.get(CLOCK_ATTR)) or board.clock_mhz
    design.update(entries)
    design["project"] = "hls"
    design["schedule"] = schedule_summary(module, clock)
    report = {"design": design, "run": run_facts(model, out, timings)}
    write_atomically(work / "report.json", json.dumps(report, indent=2, default=str) + "\n")
    _write_html(optimised, work / "report.html", model.name, entries["checks"])
    lines = ["", "report", f"  board       {board.name} ({board.part}) at {clock:g} MHz"]
    lines += schedule_text(design["schedule"])
    lines += [f"  csim        {design['csim']}", f"  html        {out / 'report.html'}"]
    lines += [f"  project     {out / 'hls'}  (README.md: host run order)"]
    _say("\n".join(lines))
    if passed is False:
        print(f"fpga-compile: error: C simulation failed; see {out / 'csim.log'}", file=sys.stderr)
        return 1
    return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _large_model_specs(args: argparse.Namespace) -> list[str]:
    return [spec.replace("$generate", " generate=true" if args.generate else "") for spec in LARGE_MODEL_PIPELINE]


def _optimised(ctx: Context, imported: ModuleOp, specs: Sequence[str], board: str):
    """A copy of the imported module through the passes of `specs` this build has: (module, passes, skipped)."""
    module = imported.clone()
    passes, skipped = pipeline_specs(specs, board)
    for spec in passes:
        _apply(ctx, module, spec)
    return module, passes, skipped


def _weigh_partitions(ctx, args, placed_run, imported, board, design, total):
    """The large-model path's streamed design is bandwidth-bound: weigh partitions (their feature maps share the
    same DRAM, reconfiguration amortised over a batch) against it, keep the faster, say both in one line.
    `placed_run`: (module, passes, skipped) of the place-weights pipeline; returns the kept one's."""
    placed = offchip_summary(placed_run[0], board)
    if placed is None or placed["binding"] != "bandwidth" or not placed["fps"]:
        return placed_run
    from fpga_opt.passes.analysis.partitions import SCHEDULE_ATTR
    from fpga_opt.tools.compile_partitions import WEIGHED_PARTITION_PIPELINE

    try:
        alternative_run = _optimised(ctx, imported, list(WEIGHED_PARTITION_PIPELINE), args.board)
    except FpgaOptError as error:
        design["offchip_choice"] = {"chosen": "streaming", "streaming_fps": placed["fps"], "partitions": str(error)}
        _say(f"[2/{total}] optimise  streaming: {fps_text(placed['fps'])} FPS (bandwidth binds); partitions: {error}")
        return placed_run
    alternative = alternative_run[0]
    schedule = alternative.attributes[SCHEDULE_ATTR].data  # type: ignore[union-attr]
    count = schedule["partitions"].value.data
    fps = float(schedule["fps"].value.data)
    chosen = "partitions" if fps > placed["fps"] else "streaming"
    design["offchip_choice"] = {
        "chosen": chosen,
        "streaming_fps": placed["fps"],
        "partitions": count,
        "partitions_fps": round(fps, 3),
        "batch": schedule["batch"].value.data,
    }
    _say(
        f"[2/{total}] optimise  streaming: {fps_text(placed['fps'])} FPS (bandwidth binds) vs {count} partition(s): "
        f"{fps_text(fps)} FPS (batch {schedule['batch'].value.data}); {chosen}"
    )
    return alternative_run if chosen == "partitions" else placed_run


def offchip_summary(module: ModuleOp, board) -> dict | None:
    """Placement, DRAM time and what binds, for a design with a `dataflow.dram` (None otherwise)."""
    from fpga_opt.dialects.dataflow import weight_placement
    from fpga_opt.dialects.dataflow.weights import DRAM_ATTR
    from fpga_opt.passes.analysis.placement import dram_traffic, placed_cost, weight_layers

    funcs = [f for f in module.body.block.ops if isinstance(f, func.FuncOp) and DRAM_ATTR in f.attributes]
    if len(funcs) != 1:
        return None
    fn = funcs[0]
    target = board
    from fpga_opt.backend.target.boards import CLOCK_ATTR, number, with_clock

    clock = number(module.attributes.get(CLOCK_ATTR))
    if clock:
        target = with_clock(board, clock)
    cost = placed_cost(fn, target)
    traffic = dram_traffic(fn, target)
    placements: dict[str, int] = {}
    for layer in weight_layers(fn):
        key = weight_placement(layer) or "onchip"
        placements[key] = placements.get(key, 0) + 1
    util = cost.resources.utilisation(target)  # type: ignore[attr-defined]
    busiest = max(util, key=lambda k: util[k])
    return {
        "interval": cost.interval,
        "fps": round(target.clock_hz / cost.interval, 3) if cost.interval else None,
        "compute_interval": cost.compute_interval,
        "dram_cycles": cost.dram_cycles,
        "dram_bytes_per_frame": traffic.total,
        "dram_gbps_needed": round(traffic.total * target.clock_hz / cost.interval / 1e9, 3) if cost.interval else None,
        "binding": cost.binding,
        "binding_resource": f"{busiest} ({100 * util[busiest]:.0f}%)",
        "placements": placements,
    }


def _split_pipeline(text: str) -> list[str]:
    """`a,b{x=1 y=2},c` -> ["a", "b{x=1 y=2}", "c"] (commas inside braces stay)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def _relocate_sidecar(module: ModuleOp, ir_path: Path, new_path: Path) -> None:
    """Keep `dataflow.weights` pointing at the sidecar from the new IR file's folder."""
    import os

    from xdsl.dialects.builtin import StringAttr

    ref = module.attributes.get("dataflow.weights")
    if isinstance(ref, StringAttr):
        sidecar = (ir_path.parent / ref.data).absolute()
        module.attributes["dataflow.weights"] = StringAttr(
            Path(os.path.relpath(sidecar, new_path.parent.absolute())).as_posix()
        )


def _report_text(report: dict, board, project: Path) -> str:
    est = report.get("estimate") or {}
    lines = ["", "report"]
    clock = est.get("clock_mhz", board.clock_mhz)
    lines.append(f"  board       {board.name} ({board.part}) at {clock:g} MHz")
    if est.get("fps") is not None:
        lines.append(
            f"  throughput  {fps_text(est['fps'])} FPS predicted (interval {est.get('interval')} cycles, "
            f"bottleneck {est.get('bottleneck')}), latency {est.get('latency')} cycles"
        )
        util = est.get("util") or {}
        parts = []
        for key, label in (("dsp", "DSP"), ("bram18", "BRAM18"), ("uram", "URAM"), ("lut", "LUT"), ("ff", "FF")):
            if key in est:
                total = getattr(board, key)
                pct = f" ({100 * util[key]:.0f}%)" if key in util else ""
                parts.append(f"{label} {est[key]}/{total}{pct}")
        lines.append("  resources   " + "  ".join(parts))
    else:
        lines.append("  throughput  (no estimate: estimate-resources did not run)")
    off = report.get("offchip")
    if off:
        lines.append(
            f"  off-chip    {fps_text(off['fps'])} FPS with the DRAM (interval {off['interval']} cycles: compute "
            f"{off['compute_interval']}, DRAM {off['dram_cycles']}); binds: {off['binding']}; "
            f"busiest resource {off['binding_resource']}"
        )
        lines.append(
            "  weights     "
            + ", ".join(f"{n} {k}" for k, n in sorted(off["placements"].items()))
            + f"; DRAM {off['dram_bytes_per_frame'] / 1e6:.2f} MB/frame ({off['dram_gbps_needed']} GB/s)"
        )
    lines.append(f"  csim        {report['csim']}")
    lines.append(f"  html        {project.parent / 'report.html'}")
    lines.append(f"  project     {project}  (vitis_hls -f run_hls.tcl for csynth/cosim/export)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fpga-compile",
        description="ONNX model -> dataflow IR -> optimised IR -> Vitis HLS project, checked by C simulation.",
    )
    parser.add_argument("model", help="an ONNX model (float, QDQ or QONNX) or an imported .mlir")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder for every artefact")
    parser.add_argument(
        "--board", default="kv260", help="target board: a built-in name or a .toml file (default kv260)"
    )
    parser.add_argument(
        "--frames",
        type=int,
        default=None,
        help=f"random test inputs for the check and csim, 1-{MAX_FRAMES} (default {DEFAULT_FRAMES}, fewer "
        f"for networks over {CHECK_MACS // DEFAULT_FRAMES:,} MACs a frame)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random test inputs, 0 to 2^63-1")
    parser.add_argument(
        "--pipeline",
        default=None,
        help="optimisation passes instead of the default list, e.g. 'merge-loops,select-folding{board=kv260}'",
    )
    parser.add_argument(
        "--weights",
        choices=("auto", "onchip", "place", "partition"),
        default="auto",
        help="auto: the default pipeline, or the large-model path (place-weights) when the weights do not fit "
        "on chip; onchip: never place weights off chip; place: always the large-model path; partition: "
        "split the network into partitions run in turn with reconfiguration (one HLS project each)",
    )
    parser.add_argument(
        "--generate",
        action="store_true",
        help="large-model path: let place-weights generate weights on chip from their OVSF form (unzipFPGA)",
    )
    parser.add_argument("--no-csim", action="store_true", help="emit the project but do not build or run it")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="when a step fails, keep the files the earlier steps wrote (default: a failing run leaves nothing)",
    )
    parser.add_argument("--jobs", type=int, default=None, help="parallel compiler jobs for csim (default: CPUs)")
    parser.add_argument("--opt", default="-O1", help="g++ optimisation flag for csim (default -O1)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars on stderr")
    parser.add_argument(
        "--input-shape", action="append", default=[], metavar="NAME:1xCxHxW", help="static shape of a dynamic input"
    )
    from fpga_opt.tools.compile_exits import add_arguments

    add_arguments(parser)
    return parser


@tool_main("fpga-compile")
def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    set_quiet(args.quiet)
    return run(args)


if __name__ == "__main__":
    main()
