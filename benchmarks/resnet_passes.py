#!/usr/bin/env python3
"""What merge-loops and minimize-residual-buffers buy on ResNet-8/20 int8 (KV260 by default).

    python benchmarks/resnet_passes.py [--board kv260] [--frames 3] [--models resnet8_int8,resnet20_int8]
                                       [--resolution row|coarse|fine|exact] [--json FILE]

Each model is imported from examples/models and compiled with these pipelines:

  naive       select-folding; every skip path gets a whole-tensor FIFO (H*W*C)
  sized       select-folding, minimize-residual-buffers
  fold-merge  select-folding, merge-loops, minimize-residual-buffers
  merge-fold  merge-loops, select-folding, minimize-residual-buffers

and reports, per design: the skip FIFOs (bits, RAMB18 with the words of their
stream's lanes, share of the whole-tensor baseline), the whole design's DSP,
BRAM18 and LUT (backend/costs/, every FIFO included), the
model's interval and frames per second at the board clock, and `fpga-sim`'s
simulated cycles per frame (deadlock reported if any).  Figures only: nothing
here asserts.  docs/passes/resnet.md records a run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"

PIPELINES = {
    "naive": [("select-folding", "board"), ("minimize-residual-buffers", {"forward_centre": False})],
    "sized": [("select-folding", "board"), ("minimize-residual-buffers", {})],
    "fold-merge": [("select-folding", "board"), ("merge-loops", {}), ("minimize-residual-buffers", {})],
    "merge-fold": [("merge-loops", {}), ("select-folding", "board"), ("minimize-residual-buffers", {})],
}


def compile_design(model_name: str, pipeline: str, board: str):
    from xdsl.context import Context
    from xdsl.dialects.builtin import IntegerAttr, i64

    from fpga_opt.dialects.dataflow import BufferOp
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes import load_pass

    model = import_onnx(MODELS / f"{model_name}.onnx")
    start = time.perf_counter()
    for name, options in PIPELINES[pipeline]:
        kwargs = {"board": board} if options == "board" else options
        load_pass(name)(**kwargs).apply(Context(), model.module)
    seconds = time.perf_counter() - start
    if pipeline == "naive":  # the unoptimised design: each skip buffers its whole tensor
        for op in model.module.walk():
            if isinstance(op, BufferOp):
                op.depth = IntegerAttr(op.output.type.numel, i64)
    model.module.verify()
    return model, seconds


def skip_fifos(module, ctx):
    """(bits, RAMB18, whole-tensor bits, count) of the module's dataflow.buffer ops (all are skip FIFOs here)."""
    from fpga_opt.backend.costs import fifo_cost
    from fpga_opt.dialects.dataflow import BufferOp

    bits = bram = full = count = 0
    for op in module.walk():
        if isinstance(op, BufferOp):
            t = op.output.type
            depth = op.depth.value.data
            bits += depth * t.bitwidth
            full += t.numel * t.bitwidth
            bram += fifo_cost(op.input, depth, ctx).bram18
            count += 1
    return bits, bram, full, count


def measure(
    model_name: str, pipeline: str, board_name: str, frames: int, resolution: str | None = None
) -> dict[str, object]:
    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.sim import simulate
    from fpga_opt.backend.target.boards import get_board

    board = get_board(board_name)
    ctx = CostContext.for_board(board)
    model, pass_s = compile_design(model_name, pipeline, board_name)
    net = analyse_network(model.module, ctx)
    bits, bram, full, count = skip_fifos(model.module, ctx)
    start = time.perf_counter()
    extra = {"resolution": resolution} if resolution else {}
    timing = simulate(model.module, model.weights, None, frames=frames, clock_mhz=board.clock_mhz, **extra).timing
    sim_s = time.perf_counter() - start
    ops = [op.name for op in model.module.walk() if op.name.startswith("dataflow.")]
    return {
        "model": model_name,
        "design": pipeline,
        "ops": len(ops),
        "skip_fifos": count,
        "skip_bits": bits,
        "skip_bram18": bram,
        "full_tensor_bits": full,
        "skip_share": bits / full if full else 0.0,
        "dsp": net.resources.dsp,
        "bram18": net.resources.bram18,
        "lut": net.resources.lut,
        "model_interval": net.interval,
        "model_fps": board.clock_mhz * 1e6 / net.interval,
        "sim_cycles_per_frame": timing.cycles_per_frame,
        "sim_fps": (board.clock_mhz * 1e6 / timing.cycles_per_frame) if timing.cycles_per_frame else None,
        "deadlock": None if timing.deadlock is None else str(timing.deadlock)[:200],
        "pass_s": pass_s,
        "sim_s": sim_s,
    }


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, object]]) -> None:
    from fpga_opt.tools.tables import render

    header = ["model", "design", "ops", "skip bits", "of full", "skip BRAM18", "DSP", "BRAM18", "LUT", "model FPS",
              "sim cyc/frame", "sim FPS", ""]  # fmt: skip
    table = [
        [
            r["model"], r["design"], f"{r['ops']}", f"{r['skip_bits']}", f"{r['skip_share']:.1%}", f"{r['skip_bram18']}",
            f"{r['dsp']}", f"{r['bram18']}", f"{r['lut']}", f"{r['model_fps']:.0f}",
            _fmt(r["sim_cycles_per_frame"], ".0f"), _fmt(r["sim_fps"], ".0f"), "DEADLOCK" if r["deadlock"] else "",
        ]
        for r in rows
    ]  # fmt: skip
    print(render(header, table, right=set(range(2, 12))))


def _indented(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def print_savings(rows: list[dict[str, object]]) -> None:
    from fpga_opt.tools.tables import render

    print("\nagainst the naive design (same model):")
    by = {(r["model"], r["design"]): r for r in rows}
    table = []
    for r in rows:
        base = by.get((r["model"], "naive"))
        if base is None or r["design"] == "naive":
            continue
        d_fps = (r["sim_fps"] / base["sim_fps"] - 1) if r["sim_fps"] and base["sim_fps"] else None
        table.append(
            [
                r["model"], r["design"], f"{r['skip_bits'] - base['skip_bits']:+d}",
                f"{r['skip_bram18'] - base['skip_bram18']:+d}", f"{r['dsp'] - base['dsp']:+d}",
                f"{r['lut'] - base['lut']:+d}", f"{r['bram18'] - base['bram18']:+d}", _fmt(d_fps, "+.2%"),
            ]
        )  # fmt: skip
    header = ["model", "design", "skip bits", "skip BRAM18", "DSP", "LUT", "BRAM18", "sim FPS"]
    print(_indented(render(header, table, right=set(range(2, 8)))))


def print_merge_savings(rows: list[dict[str, object]]) -> None:
    """The merges alone: fold-merge against sized (the same select-folding result)."""
    from fpga_opt.tools.tables import render

    by = {(r["model"], r["design"]): r for r in rows}
    table = []
    for model in dict.fromkeys(r["model"] for r in rows):
        merged, sized = by.get((model, "fold-merge")), by.get((model, "sized"))
        if merged is None or sized is None:
            continue
        table.append(
            [
                model, f"{merged['ops'] - sized['ops']:+d}", f"{sized['dsp'] - merged['dsp']:+d}",
                f"{sized['lut'] - merged['lut']:+d}", f"{sized['bram18'] - merged['bram18']:+d}",
            ]
        )  # fmt: skip
    if table:
        print("\nthe merges (fold-merge against sized, same folding):")
        header = ["model", "ops", "DSP saved", "LUT saved", "BRAM18 saved"]
        print(_indented(render(header, table, right={1, 2, 3, 4})))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="kv260")
    parser.add_argument("--frames", type=int, default=3, help="frames fpga-sim simulates per design")
    parser.add_argument("--models", default="resnet8_int8,resnet20_int8")
    parser.add_argument("--designs", default=",".join(PIPELINES))
    parser.add_argument("--resolution", help="fpga-sim timing resolution (default: fpga-sim's)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = []
    for model_name in args.models.split(","):
        for design in args.designs.split(","):
            rows.append(measure(model_name, design, args.board, args.frames, args.resolution))
            print(f"  measured {model_name} {design}", file=sys.stderr, flush=True)
    resolution = args.resolution or "default"
    print(f"board {args.board}, fpga-sim over {args.frames} frames, {resolution} resolution\n")
    print_table(rows)
    print_savings(rows)
    print_merge_savings(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
