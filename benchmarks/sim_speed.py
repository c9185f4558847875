#!/usr/bin/env python3
"""How fast fpga-sim runs: ResNet-20 / ResNet-8 int8 at the folding select-folding picks.

    python benchmarks/sim_speed.py [--repeat 3] [--output FILE] [--json FILE]

The designs are the corpus models (examples/models/resnet{8,20}_int8.onnx) imported by the
frontend and run through dataflow-canonicalize, merge-loops, minimize-residual-buffers and
select-folding (KV260), as `fpga-opt` would.  Reported (median of `--repeat` runs):

* the headline: `simulate()` of 10 frames of ResNet-20 int8 (functional outputs of 10 inputs +
  streaming timing of 10 frames), split into its functional and timing parts, and the simulated
  cycles per wall-clock second of the timing;
* how the time grows with frames (1, 10, 100) and with depth (ResNet-8 vs ResNet-20);
* the timing resolutions (coarse / row / fine / exact): time and cycles per frame.

The target is < 5 s for the 10 frames on a 2-core machine.  Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"
PIPELINE = ("dataflow-canonicalize", "merge-loops", "minimize-residual-buffers", "select-folding")


def design(name: str):
    """(module, weights) of a corpus model after the pass pipeline."""
    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func

    from fpga_opt.dialects.dataflow import Dataflow
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes import load_pass

    imported = import_onnx(MODELS / f"{name}.onnx")
    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    module = imported.module
    for pass_name in PIPELINE:
        load_pass(pass_name)().apply(ctx, module)
    module.verify()
    return module, imported.weights


def median_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def inputs(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, 3, 32, 32), dtype=np.float32)


def measure(name: str, frames: int, repeat: int, resolution: str = "row", functional: bool = True) -> dict:
    from fpga_opt.backend.sim import FunctionalModel, elaborate, simulate_timing
    from fpga_opt.backend.sim.boundary import prepare_inputs

    module, weights = design(name)
    net = elaborate(module)
    timing_s, report = median_time(lambda: simulate_timing(net, frames=frames, resolution=resolution), repeat)
    row = {
        "model": name,
        "frames": frames,
        "resolution": resolution,
        "timing_s": timing_s,
        "events": report.events,
        "cycles_per_frame": report.cycles_per_frame,
        "model_cycles_per_frame": report.model_cycles_per_frame,
        "simulated_cycles": report.total_cycles,
        "cycles_per_wall_s": report.total_cycles / timing_s,
    }
    if functional:
        model = FunctionalModel(net, weights)
        batch = prepare_inputs(net, inputs(frames))
        functional_s, _ = median_time(lambda: model.run(batch), repeat)
        row["functional_s"] = functional_s
        row["functional_ms_per_frame"] = 1e3 * functional_s / frames
        row["total_s"] = timing_s + functional_s
    return row


def headline(repeat: int) -> dict:
    """simulate() end to end (elaboration, weights, functional, timing) for 10 frames of ResNet-20 int8."""
    from fpga_opt.backend.sim import simulate

    module, weights = design("resnet20_int8")
    xs = inputs(10)
    seconds, result = median_time(lambda: simulate(module, weights, xs, frames=10), repeat)
    return {
        "model": "resnet20_int8",
        "frames": 10,
        "simulate_s": seconds,
        "cycles_per_frame": result.timing.cycles_per_frame,
        "model_cycles_per_frame": result.timing.model_cycles_per_frame,
        "fps_at_clock": result.timing.fps,
        "clock_mhz": result.timing.clock_mhz,
        "latency_cycles": result.timing.latency_cycles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--output", type=Path, help="also write the text report to this file")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)

    head = headline(args.repeat)
    frames = [measure("resnet20_int8", n, args.repeat) for n in (1, 10, 100)]
    depth = [measure(name, 10, args.repeat) for name in ("resnet8_int8", "resnet20_int8")]
    resolutions = [
        measure("resnet20_int8", 10, args.repeat, res, functional=False) for res in ("coarse", "row", "fine", "exact")
    ]

    lines = [
        f"fpga-sim speed (median of {args.repeat}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end)",
        "",
        f"simulate() of 10 frames of ResNet-20 int8 at its selected folding: {head['simulate_s']:.2f} s (target < 5 s)",
        f"  cycles/frame {head['cycles_per_frame']:.1f} (model {head['model_cycles_per_frame']}), "
        f"{head['fps_at_clock']:.0f} fps at {head['clock_mhz']:g} MHz, latency {head['latency_cycles']:.0f} cycles",
        "",
        "| model | frames | functional s | ms/frame | timing s | events | simulated cycles/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in frames + depth:
        lines.append(
            f"| {r['model']} | {r['frames']} | {r['functional_s']:.3f} | {r['functional_ms_per_frame']:.1f} "
            f"| {r['timing_s']:.3f} | {r['events']} | {r['cycles_per_wall_s']:.3g} |"
        )
    lines += [
        "",
        "| resolution (ResNet-20 int8, 10 frames) | timing s | events | cycles/frame | / model |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in resolutions:
        lines.append(
            f"| {r['resolution']} | {r['timing_s']:.3f} | {r['events']} | {r['cycles_per_frame']:.1f} | "
            f"{r['cycles_per_frame'] / r['model_cycles_per_frame']:.3f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"headline": head, "frames": frames, "depth": depth, "resolutions": resolutions}, indent=2)
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
