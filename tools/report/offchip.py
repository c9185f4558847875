"""What a report says about off-chip weights and partitions: DRAM use and placements per function, the schedule.

A function with a `dataflow.dram` (place-weights, or one partition of the
`partition` pass) moves bytes through DRAM every frame: its feature maps in
and out and its streamed weights (docs/passes/offchip.md, section 2).
`function_figures` gives its interval (compute against DRAM time), the
bandwidth it uses of what the board gives, where its weights are, and its
own resources.  A partitioned design is several such functions run one after
another, so each partition has its own figures and the design's frame rate
is the schedule's (`schedule_figures`).
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.dataflow.weights import DRAM_ATTR
from fpga_opt.dialects.partitions import SCHEDULE_ATTR, partition_funcs, partition_info


def dram_funcs(module: ModuleOp) -> list[FuncOp]:
    """The module's functions that move data through DRAM, in program order."""
    return [f for f in module.body.block.ops if isinstance(f, FuncOp) and DRAM_ATTR in f.attributes]


def function_figures(func: FuncOp, board) -> dict[str, Any]:
    """One function's interval (max of its slowest op and its DRAM time), DRAM use, placements and resources
    on `board` (a `Board` at the design's clock)."""
    from fpga_opt.dialects.dataflow import weight_placement
    from fpga_opt.passes.analysis.placement import dram_traffic, first_frame_latency, placed_cost, weight_layers

    cost = placed_cost(func, board)
    traffic = dram_traffic(func, board)
    placements: dict[str, int] = {}
    for layer in weight_layers(func):
        key = weight_placement(layer) or "onchip"
        placements[key] = placements.get(key, 0) + 1
    resources = {name: int(getattr(cost.resources, name)) for name in RESOURCE_NAMES}
    util = cost.resources.utilisation(board)  # type: ignore[attr-defined]
    busiest = max(util, key=lambda k: util[k])
    interval = cost.interval
    available = traffic.bytes_per_cycle * board.clock_hz / 1e9
    return {
        "function": func.sym_name.data,
        "interval": interval,
        "fps": round(board.clock_hz / interval, 3) if interval else None,
        "compute_interval": cost.compute_interval,
        "bottleneck": cost.bottleneck,
        "latency": first_frame_latency(func, interval),
        "dram_cycles": cost.dram_cycles,
        "dram_bytes_per_frame": traffic.total,
        "dram_bytes": {"inputs": traffic.inputs, "outputs": traffic.outputs, "weights": sum(traffic.streams.values())},
        "dram_gbps_needed": round(traffic.total * board.clock_hz / interval / 1e9, 3) if interval else None,
        "dram_gbps_available": round(available, 3),
        "binding": cost.binding,
        "binding_resource": f"{busiest} ({100 * util[busiest]:.0f}%)",
        "placements": placements,
        "totals": resources,
        "utilisation": {k: round(v, 6) for k, v in util.items()},
    }


def _plain(attr) -> Any:
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, IntegerAttr | FloatAttr):
        return attr.value.data
    return str(attr)


def schedule_figures(module: ModuleOp, board) -> dict[str, Any] | None:
    """A partitioned design's schedule (`dataflow.schedule`: partitions, batch, fps, binds...) with the batch's
    latency in ms (None: not partitioned)."""
    attr = module.attributes.get(SCHEDULE_ATTR)
    if not isinstance(attr, DictionaryAttr) or not partition_funcs(module):
        return None
    schedule = {key: _plain(value) for key, value in attr.data.items()}
    schedule["batch_latency_ms"] = round(schedule["batch_cycles"] / (board.clock_hz / 1e3), 3)
    return schedule


def partition_figures(module: ModuleOp, board) -> list[dict[str, Any]]:
    """Each partition's `function_figures` in run order, with its index and the op count of its body."""
    from fpga_opt.backend.costs import design_ops

    parts = []
    for func in partition_funcs(module):
        figures = function_figures(func, board)
        figures["index"] = partition_info(func)["index"]
        figures["ops"] = sum(1 for _ in design_ops(func))
        parts.append(figures)
    return parts
