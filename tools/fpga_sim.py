"""`fpga-sim`: run a dataflow design: bit-exact outputs and streaming timing.

    fpga-sim model.mlir --input x.npy [--frames N] [--clock-mhz F] [--output out.npz] [--report-json r.json]

`model.onnx` works too: it is imported on the fly, unfolded (as fpga-opt imports it).

Without `--input` only the timing is simulated (it does not depend on the
data, except in an early-exit network: there each sample is routed by its
decision, from `--input`, else `--exit-pattern`, else the recorded exit
probabilities; docs/passes/early_exit.md).  `--input` takes an `.npy` (one sample or a batch) or an `.npz` (key
the port name from `dataflow.input_names`, else `input0`, `input1`, ...,
else `input` or the only array for a one-input design), in NCHW or HWC (see
docs/simulator.md).  `--output` writes an `.npz` with one array per result
(keyed by `dataflow.output_names`, else `output` / `output0`, ...), batch
first, in NCHW unless `--output-layout hwc`.  A deadlock prints one line and exits 1;
the table on stdout describes it, and no file is written (a failing run leaves
nothing behind).  `--frames` is at most `MAX_FRAMES`.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

from fpga_opt.dialects.files import write_atomically
from fpga_opt.dialects.progress import set_quiet
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.tables import render

MAX_FRAMES = 10_000
"""Upper bound of --frames: the timing settles within a few frames, and each costs simulation time
(0.1-0.2 s for ResNet-20, docs/simulator.md), so more would only look like a hang."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fpga-sim",
        description="Simulate a dataflow design: bit-exact outputs, cycles per frame, latency, stalls.",
    )
    p.add_argument("model", help="the design: an IR file (.mlir), or an ONNX model imported on the fly")
    p.add_argument("--input", "-i", help="input .npy (a sample or a batch) or .npz (see --help of the docs)")
    p.add_argument(
        "--frames",
        "-n",
        type=int,
        default=None,
        help=f"frames to stream, 1-{MAX_FRAMES} (default: the batch size, at least 8); inputs repeat cyclically",
    )
    p.add_argument(
        "--clock-mhz",
        type=float,
        default=None,
        help="clock for fps (default: the dataflow.clock_mhz attribute, else 200)",
    )
    p.add_argument("--output", "-o", help="write the outputs to this .npz")
    p.add_argument("--report-json", help="write the timing report to this .json")
    p.add_argument("--func", help="the function to simulate (default: the only one, or @main)")
    p.add_argument(
        "--layout",
        choices=("auto", "nchw", "hwc"),
        default="auto",
        help="layout of the input arrays (default auto: NCHW if it fits, else HWC)",
    )
    p.add_argument("--output-layout", choices=("nchw", "hwc"), default="nchw", help="layout of --output arrays")
    p.add_argument(
        "--dequantize",
        action="store_true",
        help="write integer outputs as float32 q*scale (needs dataflow.output_scales)",
    )
    p.add_argument(
        "--fifo-depth",
        type=_depth,
        default=2,
        help="depth in words of an edge without dataflow.buffer (default 2; 'unbounded': the fully "
        "decoupled design the analytical model assumes)",
    )
    p.add_argument(
        "--resolution",
        choices=("coarse", "row", "fine", "exact"),
        default="row",
        help="timing granularity of sliding windows: exact (every run of pads, pixels and windows), "
        "fine (three runs per row), row (default: one segment per row; within ~3%% of exact), "
        "coarse (rows merged while within one row of exact: fast, optimistic)",
    )
    p.add_argument(
        "--no-frame-overlap",
        action="store_true",
        help="line buffers read nothing while they emit a frame's last windows (as the HLS "
        "sliding_window kernel does) instead of taking the next frame's first rows",
    )
    p.add_argument(
        "--exit-pattern",
        help="early exits: the exit each frame takes, e.g. 0,0,1 (repeated cyclically), instead of the inputs' "
        "real decisions (default: the inputs; without inputs dataflow.exit_probabilities spread evenly, else all "
        "final)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no table on stdout, no progress bar on stderr")
    return p


def _depth(text: str) -> int | None:
    if text in ("unbounded", "inf"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'unbounded', got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'unbounded', got '{text}'")
    return value


def _exit_pattern(text: str | None) -> list[int] | None:
    if text is None:
        return None
    from fpga_opt.dialects.errors import FpgaOptError

    try:
        return [int(t) for t in text.replace(" ", "").split(",") if t != ""]
    except ValueError:
        raise FpgaOptError(f"--exit-pattern: expected exit indices such as 0,0,1, got '{text}'") from None


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}f}"


def _folding(f: dict[str, int]) -> str:
    short = {"coarse_in": "ci", "coarse_out": "co", "coarse_group": "cg", "fine": "f", "coarse": "c", "terms": "t"}
    hidden = ("coarse_group", "terms")  # shown only when not 1
    return ",".join(f"{short.get(k, k)}={v}" for k, v in f.items() if not (k in hidden and v == 1))


def format_report(timing, model_path: str, func: str) -> str:
    """The human-readable table printed on stdout."""
    lines = [
        f"fpga-sim: {model_path} @{func}: {timing.frames} frame(s) at {timing.clock_mhz:g} MHz "
        f"(timing resolution {timing.resolution}, default FIFO depth "
        f"{'unbounded' if timing.fifo_depth is None else f'{timing.fifo_depth} words'})"
    ]
    if timing.deadlock is not None:
        lines.append(f"DEADLOCK at cycle {round(timing.deadlock.cycle)}")
    else:
        lines.append(
            f"cycles/frame   {_fmt(timing.cycles_per_frame)}   (model {timing.model_cycles_per_frame}, "
            f"bottleneck {timing.bottleneck})"
        )
        lines.append(f"latency        {_fmt(timing.latency_cycles)} cycles   (model {timing.model_latency_cycles})")
        lines.append(f"fps            {_fmt(timing.fps)}")
    lines.append(f"total          {_fmt(timing.total_cycles)} cycles, {timing.events} events")
    rows = [("op", "kind", "folding", "model cyc", "busy%", "stall%", "starved%", "blocked%", "max FIFO")]
    for o in timing.ops:
        occ = (
            "-"
            if o.max_fifo_occupancy is None
            else (
                f"{o.max_fifo_occupancy:.0f}/{o.fifo_capacity:.0f}"
                if o.fifo_capacity not in (None, float("inf"))
                else f"{o.max_fifo_occupancy:.0f}"
            )
        )
        rows.append(
            (
                o.name,
                o.kind,
                _folding(o.folding),
                "-" if o.model_cycles is None else str(o.model_cycles),
                _fmt(o.busy_pct),
                _fmt(o.stall_pct),
                _fmt(o.starved_pct),
                _fmt(o.blocked_pct),
                occ,
            )
        )
    lines.append(render(rows[0], rows[1:], right=range(3, len(rows[0]))))
    return "\n".join(lines) + "\n"


def output_key(net, i: int) -> str:
    """The `.npz` key of result i: its port name, else `output` (one result) or `output<i>`."""
    if net.output_names and net.output_names[i] and net.output_names.count(net.output_names[i]) == 1:
        return net.output_names[i]
    return f"output{i}" if len(net.outputs) > 1 else "output"


@tool_main("fpga-sim")
def main(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    set_quiet(args.quiet)
    run(args)


def _run_schedule(args: argparse.Namespace, module, model_path: Path) -> None:
    from fpga_opt.backend.sim.partitions import simulate_schedule
    from fpga_opt.dialects.errors import FpgaOptError

    if args.input:
        raise FpgaOptError(f"{model_path}: a partitioned design: --input runs one partition, name it with --func")
    report = simulate_schedule(module, batch=args.frames or 0, resolution=args.resolution)
    if args.report_json:
        data = {"model": str(model_path), "batch": report.batch, "cycles_per_batch": report.batch_cycles}
        data.update({"cycles_per_frame": report.cycles_per_frame, "fps": report.fps, "partitions": report.names})
        write_atomically(args.report_json, json.dumps(data, indent=2) + "\n")
    if not args.quiet:
        sys.stdout.write(format_schedule(report, str(model_path)))


def format_schedule(report, model_path: str) -> str:
    """The text report of a partitioned design's schedule (a `ScheduleReport`): one row per partition."""
    from fpga_opt.backend.sim.partitions import batch_done_cycles

    lines = [
        f"fpga-sim: {model_path}: {len(report.parts)} partition(s) in turn, batch {report.batch}, "
        f"reconfiguration {report.reconfig_cycles} cycles each, at {report.clock_mhz:g} MHz (unbounded FIFOs)"
    ]
    rows = [
        (
            f"@{name}",
            f"{batch_done_cycles(part):.0f}",  # the batch's last frame out, not the simulator's guard frame
            f"{part.cycles_per_frame or 0:.1f}",
            str(part.model_cycles_per_frame),
        )
        for name, part in zip(report.names, report.parts, strict=True)
    ]
    header = ("partition", "cycles for the batch", "cycles/frame", "model cycles/frame")
    lines += ["  " + line for line in render(header, rows, right={1, 2, 3}).splitlines()]
    lines.append(f"cycles/batch   {report.batch_cycles:.0f}")
    lines.append(f"cycles/frame   {report.cycles_per_frame:.1f}")
    lines.append(f"fps            {report.fps:.1f}")
    lines.append(f"batch latency  {report.latency_s * 1e3:.3f} ms")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> None:
    from fpga_opt.backend.sim import simulate
    from fpga_opt.backend.sim.boundary import load_inputs, to_layout
    from fpga_opt.backend.sim.graph import elaborate
    from fpga_opt.dialects.errors import FpgaOptError, check_range
    from fpga_opt.dialects.files import check_output_file
    from fpga_opt.tools.design_input import load_design

    if args.frames is not None:
        check_range("--frames", "the frame count", args.frames, 1, MAX_FRAMES)
    if args.clock_mhz is not None:
        check_range("--clock-mhz", "the clock", args.clock_mhz, 1, 2000, "MHz, as board files")
    if args.output is not None:
        check_output_file(args.output, "--output", inputs=(args.model, args.input))
        if not args.input:
            raise FpgaOptError("--output needs --input (the outputs of which inputs?)")
    if args.report_json is not None:
        check_output_file(args.report_json, "--report-json", inputs=(args.model, args.input))
    model_path = Path(args.model)
    module, weights = load_design(model_path)
    from fpga_opt.passes.analysis.partitions import SCHEDULE_ATTR

    if args.func is None and SCHEDULE_ATTR in module.attributes:  # partitions run in turn (backend/sim/partitions.py)
        _run_schedule(args, module, model_path)
        return
    net = elaborate(module, args.func, source=str(model_path))
    inputs = load_inputs(args.input) if args.input is not None else None
    if isinstance(inputs, dict) and not inputs:
        raise FpgaOptError(f"{args.input}: the .npz holds no arrays")
    result = simulate(
        net,
        weights,
        inputs,
        frames=args.frames,
        clock_mhz=args.clock_mhz,
        layout=args.layout,
        fifo_depth=args.fifo_depth,
        resolution=args.resolution,
        frame_overlap=not args.no_frame_overlap,
        dequantize=args.dequantize,
        exits=_exit_pattern(args.exit_pattern),
    )
    timing = result.timing
    if timing.exits is not None and timing.exits["source"] == "final":  # never a silent worst case
        from fpga_opt.backend.costs.exit_rates import warn

        warn(
            "fpga-sim",
            f"@{net.func.sym_name.data}: early-exit network without inputs, --exit-pattern or "
            "dataflow.exit_probabilities: every sample takes the final exit (the worst case); give --input "
            "samples, or record the rates with fpga-profile-exits --write-ir",
        )

    if args.report_json is not None:
        report = {"model": str(model_path), "func": net.func.sym_name.data, **timing.as_dict()}
        write_atomically(args.report_json, json.dumps(report, indent=2) + "\n")  # committed on success only
    if not args.quiet:
        sys.stdout.write(format_report(timing, str(model_path), net.func.sym_name.data))
        if timing.exits is not None:
            from fpga_opt.backend.sim.exits import format_exits

            sys.stdout.write(format_exits(timing.exits))
    if timing.deadlock is not None:
        raise FpgaOptError(f"{model_path}: {timing.deadlock.message()}")
    if args.output and result.outputs is not None:
        arrays = {}
        for i, y in enumerate(result.outputs):
            arrays[output_key(net, i)] = to_layout(y, args.output_layout)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_atomically(args.output, buffer.getvalue())


if __name__ == "__main__":
    main()
