"""`fpga-report`: what a design costs, layer by layer, and whether it fits.

    fpga-opt net.mlir -p 'select-folding{board=kv260},estimate-resources' -o annotated.mlir
    fpga-report annotated.mlir [--json report.json] [--html report.html] [--plot report.png]

Prints a per-layer table (layer, op, folding, cycles, DSP, BRAM18, URAM,
LUT, FF; `*` marks the bottleneck; an early-exit network adds each op's
cycles per network sample, scaled by the fraction of samples reaching it), the board utilisation in %, the
predicted frame rate, and the power (static + dynamic, backend/costs/power.py)
with the energy per inference it implies.  `--json` writes the same data; `--html` one
self-contained page with the dataflow graph drawn (each layer's folding,
share of the interval and resources, the bottleneck in red, FIFOs and skip
buffers with their depths, exits with their rates), utilisation bars, the
layer table and a short fpga-sim run against the prediction
(`--sim-frames`, 0: none); `--plot` draws each
layer's cycles against the bottleneck's and a resource bar chart (needs
matplotlib).  When the IR carries no `dataflow.estimate` (or `--board` /
`--clock-mhz` ask for another target), it runs `estimate-resources` itself.
Input `-` reads standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp

from fpga_opt.backend.costs import design_ops, layer_name
from fpga_opt.backend.costs.exit_rates import MISSING_RATES_HINT
from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.dataflow import DataflowOp
from fpga_opt.dialects.errors import FpgaOptError, check_range
from fpga_opt.dialects.files import check_output_file, write_atomically
from fpga_opt.dialects.parsing import load_module
from fpga_opt.dialects.progress import set_quiet
from fpga_opt.passes.analysis.annotations import COST_ATTR, ESTIMATE_ATTR, dict_value
from fpga_opt.passes.estimate_resources import EstimateResourcesPass
from fpga_opt.tools.design_input import is_onnx, load_design
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.figures import folding_text
from fpga_opt.tools.tables import RULE, render

RESOURCE_LABELS = {"dsp": "DSP", "bram18": "BRAM18", "uram": "URAM", "lut": "LUT", "ff": "FF"}


def load(path: str) -> ModuleOp:
    """Parse and verify an IR file (`-`: standard input), or import an ONNX model."""
    if is_onnx(path):
        return load_design(path)[0]
    return load_module(path)


def _annotated(module: ModuleOp) -> bool:
    if not isinstance(module.attributes.get(ESTIMATE_ATTR), DictionaryAttr):
        return False
    return all(isinstance(op.attributes.get(COST_ATTR), DictionaryAttr) for op in design_ops(module))


def report_data(module: ModuleOp, board: str = "", clock_mhz: float = 0.0) -> dict[str, Any]:
    """The report as plain data, estimating first if the IR is not annotated (or another target is asked)."""
    if board or clock_mhz or not _annotated(module):
        EstimateResourcesPass(board=board, clock_mhz=clock_mhz).apply(Context(), module)
    estimate = module.attributes[ESTIMATE_ATTR]
    assert isinstance(estimate, DictionaryAttr)
    summary = {k: dict_value(estimate, k) for k in estimate.data}
    bottleneck = summary.get("bottleneck")
    layers = []
    marked = False
    for op in design_ops(module):
        cost = op.attributes[COST_ATTR]
        assert isinstance(cost, DictionaryAttr)
        entry: dict[str, Any] = {
            "layer": layer_name(op),
            "op": op.name.removeprefix("dataflow."),
            "folding": op.folding() if isinstance(op, DataflowOp) else {},
        }
        entry.update({k: int(dict_value(cost, k) or 0) for k in ("cycles", "depth", *RESOURCE_NAMES)})
        # early exits: cycles per network sample (reach x cycles) where fewer than all samples reach the op
        entry["per_sample"] = int(dict_value(cost, "per_sample") or entry["cycles"])
        # The first op with the bottleneck's name and the interval's cycles is the bottleneck.
        is_bottleneck = not marked and entry["layer"] == bottleneck and entry["per_sample"] == summary.get("interval")
        marked = marked or is_bottleneck
        entry["bottleneck"] = is_bottleneck
        layers.append(entry)
    totals = {name: int(summary.get(name) or 0) for name in RESOURCE_NAMES}
    fifos = {"lut": int(summary.get("fifo_lut") or 0), "ff": int(summary.get("fifo_ff") or 0)}
    fifos["bram18"] = int(summary.get("fifo_bram18") or 0)
    data = {
        "board": summary.get("board"),
        "clock_mhz": summary.get("clock_mhz"),
        "interval_cycles": int(summary.get("interval") or 0),
        "latency_cycles": int(summary.get("latency") or 0),
        "fps": summary.get("fps"),
        "bottleneck": bottleneck,
        "totals": totals,
        "default_fifos": fifos,
        "utilisation": summary.get("util") or {},
        "exit_rates": summary.get("exit_rates"),
        "layers": layers,
    }
    _add_offchip(module, data, board, clock_mhz)
    data["power"] = power_data(module, data["totals"], data["fps"])
    return data


def _add_offchip(module: ModuleOp, data: dict[str, Any], board: str, clock_mhz: float) -> None:
    """Off-chip weights and partitions (tools/report/offchip.py): each layer's weight placement when off chip;
    `offchip` for a design with a DRAM; for a partitioned design the schedule, each partition's figures, the
    schedule's frame rate, and as totals the largest partition's use of each resource (they run one at a time)."""
    from fpga_opt.backend.target.boards import resolve_target
    from fpga_opt.dialects.dataflow import weight_placement
    from fpga_opt.tools.report.offchip import dram_funcs, function_figures, partition_figures, schedule_figures

    for entry, op in zip(data["layers"], design_ops(module), strict=True):
        placement = weight_placement(op) if isinstance(op, DataflowOp) else None
        if placement:
            entry["weights"] = placement
    target, _ = resolve_target(module, board, "", clock_mhz, "fpga-report")
    schedule = schedule_figures(module, target)
    if schedule is None:
        funcs = dram_funcs(module)
        if len(funcs) == 1:
            data["offchip"] = function_figures(funcs[0], target)
        return
    parts = partition_figures(module, target)
    rows = iter(data["layers"])
    for part in parts:
        for _ in range(part["ops"]):
            next(rows)["partition"] = part["index"]
    data["schedule"] = schedule
    data["partitions"] = parts
    data["fps"] = schedule["fps"]
    data["totals"] = {name: max(p["totals"][name] for p in parts) for name in RESOURCE_NAMES}
    data["utilisation"] = {name: max(p["utilisation"][name] for p in parts) for name in RESOURCE_NAMES}


def power_data(module: ModuleOp, totals: dict[str, int], fps: float | None) -> dict[str, Any]:
    """Static + dynamic power of the design's resources at its clock, and energy per inference
    (backend/costs/power.py; docs/explore.md, "The power model")."""
    from fpga_opt.backend.costs.power import estimate_power
    from fpga_opt.backend.target.boards import resolve_target
    from fpga_opt.backend.target.resources import Resources

    board, _ = resolve_target(module, "", "", 0.0, "fpga-report")
    return estimate_power(Resources(**totals), board).as_dict(float(fps or 0.0))


def format_table(data: dict[str, Any]) -> str:
    """The human-readable report."""
    exits = data.get("exit_rates") is not None
    parts = data.get("partitions")
    per = ["per sample"] if exits else []  # early exits: reach x cycles, what sets the interval
    headers = ["", "layer", "op", "folding", "cycles", *per, "DSP", "BRAM18", "URAM", "LUT", "FF"]
    rows = [
        [
            "*" if e["bottleneck"] else "",
            f"p{e['partition']} {e['layer']}" if "partition" in e else e["layer"],
            e["op"],
            folding_text(e["folding"]),
            f"{e['cycles']:,}",
            *([f"{e['per_sample']:,}"] if exits else []),
            *(f"{e[r]:,}" for r in RESOURCE_NAMES),
        ]
        for e in data["layers"]
    ]
    fifo = data["default_fifos"]
    blank = [""] if exits else []
    rows.append(
        [
            "",
            "(stream FIFOs)",
            "",
            "",
            "",
            *blank,
            "0",
            f"{fifo['bram18']:,}",
            "0",
            f"{fifo['lut']:,}",
            f"{fifo['ff']:,}",
        ]
    )
    totals = data["totals"]
    rows.append(RULE)
    interval = f"{data['interval_cycles']:,}"
    total = "largest partition" if parts else "total"  # partitions run one at a time
    rows.append(["", total, "", "", *([""] if exits else []), interval, *(f"{totals[r]:,}" for r in RESOURCE_NAMES)])
    out = [render(headers, rows, right=set(range(4, len(headers))))]
    util = data["utilisation"]
    out.append("")
    out.append(
        f"board {data['board']} at {data['clock_mhz']:g} MHz: "
        + ", ".join(f"{RESOURCE_LABELS[r]} {100 * float(util.get(r, 0.0)):.1f}%" for r in RESOURCE_NAMES)
    )
    fps = data["fps"] or 0.0
    per_sample = " per sample" if exits else ""
    if parts:
        out += _partition_lines(data["schedule"], parts)
    elif data.get("offchip"):
        out += _offchip_lines(data["offchip"])
    if not parts:
        out.append(
            f"interval {data['interval_cycles']:,} cycles{per_sample} (bottleneck: {data['bottleneck']}), "
            f"latency {data['latency_cycles']:,} cycles, predicted {fps:,.1f} FPS"
        )
    if exits and data["exit_rates"] == "none":
        out.append(
            "warning: early-exit network without exit probabilities: the interval assumes every sample reaches "
            f"every stage (the worst case); {MISSING_RATES_HINT}"
        )
    elif exits:
        out.append(
            f"early exits: per sample = cycles x the fraction of samples reaching the op ({data['exit_rates']} exit rates)"
        )
    power = data.get("power")
    if power:
        energy = power.get("energy_per_inference_j")
        out.append(
            f"power {power['total_w']:.3f} W (static {power['static_w']:.3f} W, dynamic {power['dynamic_w']:.3f} W), "
            + (f"energy {energy * 1e6:,.2f} uJ per inference" if energy is not None else "energy n/a (no frame rate)")
        )
    return "\n".join(out) + "\n"


def _offchip_lines(fig: dict[str, Any]) -> list[str]:
    placed = ", ".join(f"{n} {k}" for k, n in sorted(fig["placements"].items()))
    return [
        f"DRAM {fig['dram_bytes_per_frame']:,} bytes/frame: {fig['dram_cycles']:,} cycles against compute "
        f"{fig['compute_interval']:,}, {fig['dram_gbps_needed']} of {fig['dram_gbps_available']} GB/s; "
        f"binds: {fig['binding']}; weights {placed}"
    ]


def _partition_lines(schedule: dict[str, Any], parts: list[dict[str, Any]]) -> list[str]:
    """The schedule, then one line per partition (its interval, DRAM use, busiest resource)."""
    lines = [
        f"{schedule['partitions']} partitions run in turn, batch {schedule['batch']}: predicted "
        f"{schedule['fps']:,.1f} FPS, batch latency {schedule['batch_latency_ms']:g} ms "
        f"(reconfiguration {schedule['reconfig_cycles']:,} cycles each); binds: {schedule['binds']}"
    ]
    for part in parts:
        lines.append(
            f"  p{part['index']} @{part['function']}: interval {part['interval']:,} cycles ({part['binding']}), "
            f"DRAM {part['dram_bytes_per_frame']:,} bytes/frame, {part['dram_gbps_needed']} of "
            f"{part['dram_gbps_available']} GB/s; busiest {part['binding_resource']}"
        )
    return lines


def _require_matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FpgaOptError("--plot needs matplotlib, which is not installed: pip install matplotlib") from None
    return plt


def plot(data: dict[str, Any], path: str) -> None:
    """Per-layer cycles against the bottleneck, and the board utilisation per resource, as a PNG."""
    plt = _require_matplotlib()
    layers = data["layers"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(8, 0.35 * len(layers) + 5), 5), width_ratios=[3, 1])
    names = [e["layer"] for e in layers]
    cycles = [e["cycles"] for e in layers]
    colours = ["tab:red" if e["bottleneck"] else "tab:blue" for e in layers]
    ax1.bar(range(len(layers)), cycles, color=colours)
    ax1.axhline(data["interval_cycles"], color="tab:red", linestyle="--", label="interval (bottleneck)")
    ax1.set_xticks(range(len(layers)), names, rotation=90, fontsize=7)
    ax1.set_ylabel("cycles per frame")
    ax1.set_title(f"{data['fps'] or 0:,.0f} FPS on {data['board']} at {data['clock_mhz']:g} MHz")
    ax1.legend()
    util = data["utilisation"]
    labels = [RESOURCE_LABELS[r] for r in RESOURCE_NAMES]
    values = [100 * min(float(util.get(r, 0.0)), 10.0) for r in RESOURCE_NAMES]
    ax2.bar(labels, values, color="tab:green")
    ax2.axhline(100, color="black", linewidth=0.8)
    ax2.set_ylabel("% of board")
    ax2.set_title("utilisation")
    fig.tight_layout()
    image = BytesIO()
    try:
        fig.savefig(image, format="png", dpi=120)
    finally:
        plt.close(fig)
    write_atomically(path, image.getvalue())


def write_html(module: ModuleOp, data: dict[str, Any], path: str, source: str, sim_frames: int) -> None:
    """The HTML report of `module` (see tools/report), written atomically."""
    from fpga_opt.tools.report.build import html_report

    title = "standard input" if source == "-" else Path(source).name
    write_atomically(path, html_report(module, data, title=title, sim_frames=sim_frames))


@tool_main("fpga-report")
def main(argv: list[str]) -> None:
    from fpga_opt.tools.fpga_sim import MAX_FRAMES

    parser = argparse.ArgumentParser(prog="fpga-report", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "input", help="IR file (annotated by estimate-resources, or not; '-' for stdin), or an ONNX model"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--plot", metavar="FILE", help="also draw a PNG (needs matplotlib)")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with the graph")
    parser.add_argument(
        "--sim-frames", type=int, default=8, help="frames fpga-sim runs for --html (default 8; 0: no simulation)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar (--html's simulation)")
    parser.add_argument("--board", default="", help="estimate for this board (default: as annotated, else kv260)")
    parser.add_argument("--clock-mhz", type=float, default=0.0, help="estimate at this clock (default: as annotated)")
    args = parser.parse_args(argv)
    set_quiet(args.quiet)
    if args.json is not None:
        check_output_file(args.json, "--json", inputs=(args.input,))
    if args.html is not None:
        check_output_file(args.html, "--html", inputs=(args.input,))
    check_range("--sim-frames", "the simulated frame count", args.sim_frames, 0, MAX_FRAMES, "as fpga-sim --frames")
    if args.plot is not None:
        check_output_file(args.plot, "--plot", inputs=(args.input,))
        _require_matplotlib()  # fail before doing any work
    if args.clock_mhz != 0:
        check_range("--clock-mhz", "the clock", args.clock_mhz, 1, 2000, "MHz, or 0 for the annotated clock")
    module = load(args.input)
    data = report_data(module, args.board, args.clock_mhz)
    sys.stdout.write(format_table(data))
    if args.json is not None:
        write_atomically(args.json, json.dumps(data, indent=2) + "\n")
    if args.plot is not None:
        plot(data, args.plot)
    if args.html is not None:
        write_html(module, data, args.html, args.input, args.sim_frames)


if __name__ == "__main__":
    main()
