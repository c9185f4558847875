"""`fpga-compile`: the one-shot flow, ONNX model to a checked Vitis HLS project.

    fpga-compile model.onnx --board kv260 -o build/ [--frames 20] [--no-csim]

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
resources against the board, the csim verdict), also written to `report.json`.
Bad input prints one line and exits 1; a failing C simulation exits 1 after the report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.parser import Parser
from xdsl.passes import PassPipeline

from fpga_opt.dialects import make_context
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import write_atomically
from fpga_opt.tools.diagnostics import exit_on_user_error

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

LOWERING = "lower-dataflow-to-hls{board=$board}"

DEFAULT_FRAMES = 20
#: With --frames left out, the check runs DEFAULT_FRAMES frames, or as many as fit this many
#: multiply-accumulates (at least one): a ResNet-50 (4 GMAC a frame) is checked on one frame
#: instead of twenty, which would take the C simulation and fpga-sim minutes.
CHECK_MACS = 2_000_000_000


def auto_frames(module: ModuleOp) -> int:
    """Frames to check and simulate when --frames is not given (see CHECK_MACS)."""
    from fpga_opt.backend.costs import macs_per_frame

    macs = macs_per_frame(module)
    return max(1, min(DEFAULT_FRAMES, CHECK_MACS // max(macs, 1)))


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
    from fpga_opt.dialects.errors import one_line
    from fpga_opt.passes import registry

    try:
        pipeline = PassPipeline.parse_spec(registry(), spec)
    except Exception as error:  # a malformed --pipeline entry is the user's input
        raise FpgaOptError(f"bad pass '{spec}': {one_line(error)}") from None
    pipeline.apply(ctx, module)
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
        module = Parser(make_context(), path.read_text(), str(path)).parse_module()
        module.verify()
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


def estimate_summary(module: ModuleOp) -> dict:
    """The `dataflow.estimate` of estimate-resources as plain values (empty if absent)."""
    attr = module.attributes.get("dataflow.estimate")
    if not isinstance(attr, DictionaryAttr):
        return {}
    from fpga_opt.passes.analysis.annotations import dict_value

    return {key: dict_value(attr, key) for key in attr.data}


def run(args: argparse.Namespace) -> int:
    from fpga_opt.backend.hls.csim import INSTALL_HINT, find_ap_types, have_compiler, run_csim
    from fpga_opt.backend.hls.emit import build_project
    from fpga_opt.backend.sim import run_functional
    from fpga_opt.backend.sim.boundary import random_inputs
    from fpga_opt.backend.target.boards import resolve_board

    model = Path(args.model)
    out = Path(args.output)
    board = resolve_board(args.board)
    if args.frames is not None and args.frames < 1:
        raise FpgaOptError(f"--frames must be >= 1, got {args.frames}")
    if out.exists() and not out.is_dir():
        raise FpgaOptError(f"{out}: exists and is not a directory")
    specs = list(DEFAULT_PIPELINE) if args.pipeline is None else [s for s in _split_pipeline(args.pipeline) if s]
    passes, skipped = pipeline_specs(specs, args.board)
    ctx = make_context()
    stem = model.stem
    report: dict = {"model": str(model), "board": board.name, "part": board.part}
    total_steps = 6

    t0 = time.perf_counter()
    module, weights, ir_path = import_model(model, out, args.input_shape)
    n_layers = len(list(next(op for op in module.body.block.ops if isinstance(op, func.FuncOp)).body.block.ops)) - 1
    _say(f"[1/{total_steps}] import    {model} -> {ir_path} ({n_layers} ops)  {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    imported = module.clone()
    for spec in passes:
        _apply(ctx, module, spec)
    opt_path = out / f"{stem}.opt.mlir"
    _relocate_sidecar(module, ir_path, opt_path)
    write_atomically(opt_path, _module_text(module))
    note = f" (skipped, not in this build: {', '.join(skipped)})" if skipped else ""
    _say(
        f"[2/{total_steps}] optimise  {', '.join(passes) or '(no passes)'} -> {opt_path}{note}  {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    frames = args.frames if args.frames is not None else auto_frames(module)
    inputs = random_inputs(module, frames, args.seed)
    expected = run_functional(module, weights, inputs, layout="hwc")
    reference = run_functional(imported, weights, inputs, layout="hwc")
    same = all(np.array_equal(a, b) for a, b in zip(expected, reference, strict=True))
    if not same:
        raise FpgaOptError(
            "fpga-sim: the optimised IR computes different outputs from the imported one "
            f"(a pass is not exact; compare {ir_path} and {opt_path})"
        )
    _say(
        f"[3/{total_steps}] simulate  fpga-sim on {frames} random input(s): optimised IR == imported IR, "
        f"bit for bit  {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    _apply(ctx, module, LOWERING.replace("$board", _board_option(args.board)))
    hls_path = out / f"{stem}.hls.mlir"
    write_atomically(hls_path, _module_text(module))
    from fpga_opt.backend.hls.emit import find_design

    design = find_design(module)
    _say(
        f"[4/{total_steps}] lower     lower-dataflow-to-hls -> {hls_path} ({len(design.kernels())} kernels, "
        f"{len(design.streams())} streams, {len(design.weights())} weight tables)  {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    frames_in = [[b[i] for b in inputs] for i in range(frames)]
    frames_out = [[b[i] for b in expected] for i in range(frames)]
    project = build_project(module, weights, inputs=frames_in, expected=frames_out, python=sys.executable)
    project_dir = out / "hls"
    project.write(project_dir)
    _say(
        f"[5/{total_steps}] emit      {project_dir}/ (top.cpp, weights.cpp, tb.cpp, run_hls.tcl, Makefile)  {time.perf_counter() - t0:.1f} s"
    )

    if args.no_csim:
        verdict, passed = "skipped (--no-csim)", True
    elif not have_compiler():
        verdict, passed = "skipped: no g++/make on PATH", True
    elif find_ap_types() is None:
        verdict, passed = f"skipped: no ap_int.h/hls_stream.h; {INSTALL_HINT}", True
    else:
        result = run_csim(project_dir, jobs=args.jobs, opt=args.opt)
        verdict, passed = result.verdict, result.passed
        report["csim_build_seconds"] = round(result.build_seconds, 2)
        report["csim_run_seconds"] = round(result.run_seconds, 2)
        verdict += f" (build {result.build_seconds:.1f} s, run {result.run_seconds:.1f} s)"
        if not passed:
            write_atomically(out / "csim.log", result.output)
    _say(f"[6/{total_steps}] csim      {verdict}")

    estimate = estimate_summary(module)
    report.update({"estimate": estimate, "csim": verdict, "csim_passed": passed, "project": str(project_dir)})
    write_atomically(out / "report.json", json.dumps(report, indent=2, default=str) + "\n")
    _say(_report_text(report, board))
    if not passed:
        print(f"fpga-compile: error: C simulation failed; see {out / 'csim.log'}", file=sys.stderr)
        return 1
    return 0


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


def _report_text(report: dict, board) -> str:
    est = report.get("estimate") or {}
    lines = ["", "report"]
    clock = est.get("clock_mhz", board.clock_mhz)
    lines.append(f"  board       {board.name} ({board.part}) at {clock:g} MHz")
    if est.get("fps") is not None:
        lines.append(
            f"  throughput  {est['fps']:.0f} FPS predicted (interval {est.get('interval')} cycles, "
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
    lines.append(f"  csim        {report['csim']}")
    lines.append(f"  project     {report['project']}  (vitis_hls -f run_hls.tcl for csynth/cosim/export)")
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
        help=f"random test inputs for the check and csim (default {DEFAULT_FRAMES}, fewer for networks "
        f"over {CHECK_MACS // DEFAULT_FRAMES:,} MACs a frame)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random test inputs")
    parser.add_argument(
        "--pipeline",
        default=None,
        help="optimisation passes instead of the default list, e.g. 'merge-loops,select-folding{board=kv260}'",
    )
    parser.add_argument("--no-csim", action="store_true", help="emit the project but do not build or run it")
    parser.add_argument("--jobs", type=int, default=None, help="parallel compiler jobs for csim (default: CPUs)")
    parser.add_argument("--opt", default="-O1", help="g++ optimisation flag for csim (default -O1)")
    parser.add_argument(
        "--input-shape", action="append", default=[], metavar="NAME:1xCxHxW", help="static shape of a dynamic input"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    with exit_on_user_error("fpga-compile"):
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        code = run(args)
    if code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
