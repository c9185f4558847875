#!/usr/bin/env python3
"""Early exits on the committed digits B-LeNet (int8): throughput gain, matching resources, accuracy.

    python benchmarks/early_exit.py [--board pynqz2] [--max-util 0.85] [--thresholds 0.5,0.9,0.99]
                                    [--passes 2] [--fifos decoupled|default] [--json FILE]

ATHEENA's claims, measured the same way on examples/early_exit/:

1. `fpga-profile-exits` runs the 540 test images through the interpreter and, with `--choose
   accuracy-within=1.0`, picks the threshold that keeps the accuracy within one point of the final
   exit's (it records the measured exit probabilities in the IR); `--thresholds` adds settings for
   comparison (each gets its own measured probabilities).
2. The **baseline** is the same network without its early exit (`drop-early-exits`: the backbone and
   the final classifier, every sample through all of it); the **early-exit design** is
   `split-exit-branches` of the profiled model.  Both go through the same `select-folding` (the
   early-exit design exit-aware: each stage scaled by the fraction of samples reaching it; the exit
   buffers then sized by `size-exit-buffers`).
3. (a) **Throughput gain at the same board limits**: both with objective=throughput.  (b) **Resources
   to match the baseline**: the early-exit design with objective=resources and target-fps = the
   baseline's frame rate, as a share of the baseline's resources (each resource, on the board's DSP
   slice).  (c) **Accuracy** of the early-exit network (and of the final exit alone).
4. Every design runs in `fpga-sim` on the real test images, in their order, routed by their real
   decisions: `--passes` times the batch, the achieved rate measured over the last pass (the first
   warms the pipeline up).  `--fifos decoupled` (default) gives every stream without an explicit
   buffer an unbounded FIFO -- the decoupled design the cost model and `size-fifos` aim at -- while
   the conditional buffer, the backlog and the merge queues keep the depths `size-exit-buffers`
   chose, so bursts of hard samples still stall; `default` uses the 2-word streams as emitted.

Figures only: nothing here asserts.  docs/passes/early_exit.md records a run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "early_exit"
RESOURCES = ("dsp", "bram18", "lut", "ff")


def profile(model: Path, thresholds: list[float], out: Path) -> dict:
    """fpga-profile-exits on the test split: the JSON report, and one profiled IR per threshold."""
    exe = [
        sys.executable,
        "-m",
        "fpga_opt.tools.fpga_profile_exits",
        str(model),
        "--data",
        str(EXAMPLE / "digits_test.npz"),
        "--labels-key",
        "y",
        "--thresholds",
        ",".join(f"{t:g}" for t in thresholds),
    ]
    chosen = out / "chosen.mlir"
    report = json.loads(
        subprocess.run(
            [*exe, "--json", "-", "--write-ir", str(chosen), "--choose", "accuracy-within=1.0"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    for t in thresholds:
        subprocess.run(
            [
                *exe,
                "--json",
                str(out / "ignored.json"),
                "--write-ir",
                str(out / f"t{t:g}.mlir"),
                "--choose",
                f"threshold={t:g}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    return report


def load(path: Path):
    from fpga_opt.backend.sim import load_module

    module = load_module(path)
    return module, next(iter(module.body.block.ops))


def fold(module, board: str, max_util: float, target_fps: float = 0.0) -> None:
    from xdsl.context import Context

    from fpga_opt.passes.select_folding import SelectFoldingPass

    if target_fps:
        SelectFoldingPass(board=board, max_util=max_util, objective="resources", target_fps=target_fps).apply(
            Context(), module
        )
    else:
        SelectFoldingPass(board=board, max_util=max_util).apply(Context(), module)


def figures(module, func, board_name: str, x, base_dir: Path, passes: int, fifos: str) -> dict:
    """Model interval and resources (board DSP slice), and fpga-sim on the real samples."""
    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.costs.exit_rates import effective_interval
    from fpga_opt.backend.sim import simulate
    from fpga_opt.backend.target.boards import get_board

    board = get_board(board_name)
    interval, bottleneck = effective_interval(func)
    res = analyse_network(module, CostContext.for_board(board)).resources
    start = time.perf_counter()
    frames = passes * len(x)
    result = simulate(module, None, x, base_dir=base_dir, frames=frames, fifo_depth=None if fifos == "decoupled" else 2)
    timing = result.timing
    if timing.exits is not None:
        cycles = timing.exits["cycles_per_sample"]
        hist = timing.exits["histogram"]
        buffers = timing.exits["conditional_buffers"]
    else:
        done = timing.frame_done_cycles
        first = frames - 1 - len(x) if passes >= 2 else 0
        cycles = (done[frames - 1] - done[first]) / (frames - 1 - first) if timing.deadlock is None else None
        hist, buffers = None, []
    clock = board.clock_mhz
    return {
        "model_cycles_per_sample": interval,
        "model_fps": clock * 1e6 / interval,
        "bottleneck": bottleneck.layer_name if bottleneck is not None else None,
        "sim_cycles_per_sample": cycles,
        "sim_fps": None if not cycles else clock * 1e6 / cycles,
        "deadlock": None if timing.deadlock is None else timing.deadlock.message(),
        "exit_histogram": hist,
        "conditional_buffers": buffers,
        "resources": {r: getattr(res, r) for r in RESOURCES},
        "sim_seconds": round(time.perf_counter() - start, 1),
    }


def folding_of(func) -> dict[str, dict[str, int]]:
    from fpga_opt.dialects.dataflow import DataflowOp

    return {op.layer_name: op.folding() for op in func.body.block.ops if isinstance(op, DataflowOp) and op.folding()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="pynqz2")
    parser.add_argument("--max-util", type=float, default=0.85)
    parser.add_argument(
        "--thresholds",
        default="0.5,0.9,0.99",
        help="settings to profile; the one accuracy-within=1.0 chooses is the headline",
    )
    parser.add_argument("--passes", type=int, default=2, help="times the 540-image batch streams through fpga-sim")
    parser.add_argument("--fifos", choices=("decoupled", "default"), default="decoupled")
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args(argv)

    import numpy as np

    from fpga_opt.frontend.onnx_import import import_onnx, write_import
    from fpga_opt.passes.drop_early_exits import drop_early_exits
    from fpga_opt.passes.split_exit_branches import split_function

    thresholds = [float(t) for t in args.thresholds.split(",")]
    with np.load(EXAMPLE / "digits_test.npz") as data:
        x = data["x"]
    tmp = Path(tempfile.mkdtemp(prefix="early_exit_bench_"))
    model = tmp / "digits.mlir"
    write_import(import_onnx(EXAMPLE / "digits_blenet_int8.onnx"), model)
    report = profile(model, thresholds, tmp)
    chosen_t = None
    module, func = load(tmp / "chosen.mlir")
    recorded = func.attributes["dataflow.exit_thresholds"]
    chosen_t = float(recorded.data[0].value.data)  # type: ignore[union-attr]
    if chosen_t not in thresholds:
        thresholds.append(chosen_t)
    by_t = {p["thresholds"][0]: p for p in report["profiles"]}

    results: dict = {
        "board": args.board,
        "max_util": args.max_util,
        "fifos": args.fifos,
        "samples": report["samples"],
        "final_exit_accuracy": report["exit_accuracy_alone"][-1],
        "chosen_threshold": chosen_t,
        "settings": [],
    }
    print(
        f"digits B-LeNet int8, {report['samples']} test images; {args.board} at max-util {args.max_util:g}; "
        f"fpga-sim with {args.fifos} FIFOs, {args.passes} passes of the batch",
        file=sys.stderr,
    )

    module, func = load(model)
    drop_early_exits(func)
    fold(module, args.board, args.max_util)
    base = figures(module, func, args.board, x, tmp, args.passes, args.fifos)
    base["folding"] = folding_of(func)
    results["baseline"] = base
    print(
        f"baseline: {base['model_cycles_per_sample']:.0f} cycles/sample (model), "
        f"{base['sim_cycles_per_sample']:.1f} (fpga-sim), {base['resources']}",
        file=sys.stderr,
    )

    for t in thresholds:
        setting = {"threshold": t, "accuracy": by_t[t]["accuracy"], "exit_fractions": by_t[t]["exit_fractions"]}
        module, func = load(tmp / f"t{t:g}.mlir")
        split_function(func, [t])
        fold(module, args.board, args.max_util)
        fast = figures(module, func, args.board, x, tmp, args.passes, args.fifos)
        fast["folding"] = folding_of(func)
        module, func = load(tmp / f"t{t:g}.mlir")
        split_function(func, [t])
        fold(module, args.board, args.max_util, target_fps=base["model_fps"])
        cheap = figures(module, func, args.board, x, tmp, args.passes, args.fifos)
        cheap["folding"] = folding_of(func)
        setting["throughput_design"] = fast
        setting["matched_design"] = cheap
        setting["gain_model"] = base["model_cycles_per_sample"] / fast["model_cycles_per_sample"]
        setting["gain_sim"] = (
            base["sim_cycles_per_sample"] / fast["sim_cycles_per_sample"] if fast["sim_cycles_per_sample"] else None
        )
        setting["resource_share"] = {
            r: cheap["resources"][r] / base["resources"][r] if base["resources"][r] else None for r in RESOURCES
        }
        results["settings"].append(setting)
        print(f"t={t:g}: done", file=sys.stderr)

    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


def print_table(r: dict) -> None:
    base = r["baseline"]
    print(
        f"\nBoard {r['board']} (max-util {r['max_util']:g}); fpga-sim on the {r['samples']} test images "
        f"({r['fifos']} FIFOs). Baseline (no exit): {base['model_cycles_per_sample']:.0f} cycles/sample, "
        f"fpga-sim {base['sim_cycles_per_sample']:.1f} = {base['sim_fps']:.0f} fps, accuracy "
        f"{100 * r['final_exit_accuracy']:.2f} %, DSP {base['resources']['dsp']}, LUT {base['resources']['lut']}, "
        f"BRAM18 {base['resources']['bram18']}\n"
    )
    head = (
        "threshold",
        "leave early",
        "accuracy",
        "model cyc",
        "sim cyc",
        "sim fps",
        "gain (sim)",
        "gain (model)",
        "match: DSP",
        "LUT",
        "FF",
        "BRAM18",
        "match sim fps",
    )
    rows = [head]
    for s in r["settings"]:
        fast, cheap, share = s["throughput_design"], s["matched_design"], s["resource_share"]
        mark = " *" if s["threshold"] == r["chosen_threshold"] else ""
        rows.append(
            (
                f"{s['threshold']:g}{mark}",
                f"{100 * s['exit_fractions'][0]:.1f} %",
                f"{100 * s['accuracy']:.2f} %",
                f"{fast['model_cycles_per_sample']:.0f}",
                "-" if fast["sim_cycles_per_sample"] is None else f"{fast['sim_cycles_per_sample']:.1f}",
                "-" if fast["sim_fps"] is None else f"{fast['sim_fps']:.0f}",
                "-" if s["gain_sim"] is None else f"{s['gain_sim']:.2f}x",
                f"{s['gain_model']:.2f}x",
                f"{100 * share['dsp']:.0f} %",
                f"{100 * share['lut']:.0f} %",
                f"{100 * share['ff']:.0f} %",
                f"{100 * share['bram18']:.0f} %" if share["bram18"] is not None else "-",
                "-" if cheap["sim_fps"] is None else f"{cheap['sim_fps']:.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for k, row in enumerate(rows):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(
        "\n* the threshold fpga-profile-exits --choose accuracy-within=1.0 picks (accuracy within one point of "
        "the final exit's)"
    )


if __name__ == "__main__":
    main()
