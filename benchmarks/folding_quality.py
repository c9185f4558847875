#!/usr/bin/env python3
"""How good are select-folding's designs?  ResNet-8/20 int8 on KV260 against the DSP roofline.

    python benchmarks/folding_quality.py [--board kv260] [--algorithms greedy,anneal] [--frames 4] [--json FILE]

For each model (imported from examples/models by the ONNX frontend) and each
design flow

  fold        select-folding
  resnet      merge-loops, select-folding, minimize-residual-buffers   (the ResNet HLS flow's fusions)

it reports the model's interval and frames per second at the board clock,
`fpga-sim`'s cycles per frame with unbounded FIFOs between ops (the
decoupled design the model describes) and with the default depth-2 streams,
the DSPs used, and the fraction of the DSP roofline reached:

    roofline FPS = DSP_count * MACs_per_DSP_per_cycle * clock / MACs_per_frame

with MACs_per_DSP_per_cycle = 2 (two int8 multiplies per DSP48E2, WP486).
Two DSP counts are shown: the DSPs the design uses (how well the chosen
parallelism is kept busy; target >= 0.85) and all of the board's DSPs (how
much of the device the design turns into throughput).  The published
figures of the ResNet HLS flow (Minnella et al., arXiv:2309.15631: 30153 FPS
ResNet-8 and 7601 FPS ResNet-20 on KV260) are compared at the board clock.
Figures only: nothing here asserts.  docs/passes/folding.md records a run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"

PUBLISHED_FPS = {"resnet8_int8": 30153, "resnet20_int8": 7601}
MACS_PER_DSP_PER_CYCLE = 2  # int8 packing on a DSP48E2

FLOWS = {
    "fold": ["select-folding"],
    "resnet": ["merge-loops", "select-folding", "minimize-residual-buffers"],
}


def compile_design(model: str, flow: str, board: str, algorithm: str):
    from xdsl.context import Context

    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes import load_pass

    imported = import_onnx(MODELS / f"{model}.onnx")
    search_s = 0.0
    for name in FLOWS[flow]:
        if name == "select-folding":
            start = time.perf_counter()
            load_pass(name)(board=board, algorithm=algorithm).apply(Context(), imported.module)
            search_s = time.perf_counter() - start
        else:
            load_pass(name)().apply(Context(), imported.module)
    imported.module.verify()
    return imported, search_s


def measure(model: str, flow: str, board_name: str, algorithm: str, frames: int) -> dict[str, object]:
    from fpga_opt.backend.sim import simulate
    from fpga_opt.passes.analysis.boards import get_board
    from fpga_opt.passes.analysis.op_costs import CostContext, analyse_network, macs_per_frame

    board = get_board(board_name)
    imported, search_s = compile_design(model, flow, board_name, algorithm)
    module = imported.module
    net = analyse_network(module, CostContext.for_board(board))
    macs = macs_per_frame(module)
    clock = board.clock_mhz * 1e6
    sims = {}
    for label, depth in (("decoupled", None), ("depth2", 2)):
        timing = simulate(
            module, imported.weights, None, frames=frames, clock_mhz=board.clock_mhz, fifo_depth=depth
        ).timing
        sims[label] = None if timing.deadlock is not None else timing.cycles_per_frame
    model_fps = clock / net.interval
    sim_fps = clock / sims["decoupled"] if sims["decoupled"] else None
    roof_used = net.resources.dsp * MACS_PER_DSP_PER_CYCLE * clock / macs
    roof_board = board.dsp * MACS_PER_DSP_PER_CYCLE * clock / macs
    published = PUBLISHED_FPS.get(model)
    return {
        "model": model,
        "flow": flow,
        "algorithm": algorithm,
        "board": board.name,
        "clock_mhz": board.clock_mhz,
        "search_s": search_s,
        "macs_per_frame": macs,
        "dsp": net.resources.dsp,
        "bram18": net.resources.bram18,
        "lut": net.resources.lut,
        "utilisation": {k: round(v, 4) for k, v in net.resources.utilisation(board).items()},
        "model_interval": net.interval,
        "model_fps": model_fps,
        "sim_cycles_per_frame": sims["decoupled"],
        "sim_fps": sim_fps,
        "sim_depth2_cycles_per_frame": sims["depth2"],
        "sim_depth2_fps": clock / sims["depth2"] if sims["depth2"] else None,
        "roofline_fps_used_dsp": roof_used,
        "roofline_fps_board_dsp": roof_board,
        "model_fraction_used_dsp": model_fps / roof_used,
        "model_fraction_board_dsp": model_fps / roof_board,
        "sim_fraction_used_dsp": sim_fps / roof_used if sim_fps else None,
        "sim_fraction_board_dsp": sim_fps / roof_board if sim_fps else None,
        "published_fps": published,
        "model_vs_published": model_fps / published if published else None,
        "sim_vs_published": sim_fps / published if published and sim_fps else None,
    }


def _f(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, object]]) -> None:
    header = (
        f"{'model':14s} {'flow':7s} {'algo':7s} {'search':>7s} {'DSP':>5s} {'BRAM':>5s} {'LUT%':>5s} "
        f"{'interval':>8s} {'model FPS':>9s} {'sim FPS':>8s} {'sim FPS d2':>10s} "
        f"{'roof(used)':>10s} {'roof(board)':>11s} {'published':>9s} {'vs pub':>6s}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['model']:14s} {r['flow']:7s} {r['algorithm']:7s} {r['search_s']:6.2f}s {r['dsp']:5d} {r['bram18']:5d} "
            f"{100 * r['utilisation']['lut']:4.0f}% {r['model_interval']:8d} {r['model_fps']:9.0f} "
            f"{_f(r['sim_fps'], '8.0f')} {_f(r['sim_depth2_fps'], '10.0f')} "
            f"{_f(r['sim_fraction_used_dsp'] or r['model_fraction_used_dsp'], '10.3f')} "
            f"{_f(r['sim_fraction_board_dsp'] or r['model_fraction_board_dsp'], '11.3f')} "
            f"{_f(r['published_fps'], '9d')} {_f(r['sim_vs_published'] or r['model_vs_published'], '6.2f')}"
        )
    print(
        "\nroof(used) / roof(board): simulated FPS over DSP_count * 2 MACs/DSP/cycle * clock / MACs_per_frame with the"
        "\nDSPs the design uses / all of the board's DSPs.  'sim FPS d2': fpga-sim with depth-2 streams on every edge"
        "\nwithout a dataflow.buffer ('-': deadlock, a skip path without a FIFO).  vs pub: simulated FPS / published FPS."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="kv260")
    parser.add_argument("--models", default="resnet8_int8,resnet20_int8")
    parser.add_argument("--flows", default=",".join(FLOWS))
    parser.add_argument("--algorithms", default="greedy,anneal")
    parser.add_argument("--frames", type=int, default=4, help="frames fpga-sim simulates per design")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = []
    for model in args.models.split(","):
        for flow in args.flows.split(","):
            for algorithm in args.algorithms.split(","):
                rows.append(measure(model, flow, args.board, algorithm, args.frames))
                print(f"  measured {model} {flow} {algorithm}", file=sys.stderr, flush=True)
    print(f"board {args.board}, MACs per DSP per cycle = {MACS_PER_DSP_PER_CYCLE} (int8 packing)\n")
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
