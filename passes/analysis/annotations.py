"""The attributes the cost passes write on the IR, and how the target board is resolved.

Written by `select-folding`:

* `dataflow.board = "kv260"` on the module (plus `dataflow.board_file` when
  the board came from a TOML file), and `dataflow.clock_mhz = 250.0 : f64`.

Written by `estimate-resources`:

* `dataflow.cost = {cycles, depth, dsp, bram18, uram, lut, ff}` on every op
  that has a cost model (discardable, all `i64`);
* `dataflow.estimate = {board, clock_mhz, interval, latency, fps,
  bottleneck, dsp, bram18, uram, lut, ff, fifo_lut, fifo_ff, fifo_bram18, util}`
  on the module: totals include every FIFO, `util` maps each resource to its
  fraction of the board.

Early-exit networks (docs/passes/early_exit.md): an op that the fraction q < 1
of the samples reach also gets `per_sample` = ceil(q x cycles) in its
`dataflow.cost`, and the interval is the largest per-sample figure
(`exit_rates.exit_interval`); the estimate adds `exit_rates` (how the rates
were known: "measured", "given", or "none" when they were not, the interval
then being the worst case) and `frame_interval` (the slowest op's cycles per
frame, every sample through every stage).

Passes that take a board resolve it the same way: the `board`/`board-file`
option, else the module's `dataflow.board_file` / `dataflow.board`, else
KV260; the clock is the `clock-mhz` option, else the module's
`dataflow.clock_mhz`, else the board's default.
"""

from __future__ import annotations

from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64

from fpga_opt.backend.costs import NetworkCost, layer_name
from fpga_opt.backend.costs.exit_rates import exit_interval
from fpga_opt.backend.target.boards import Board, number
from fpga_opt.backend.target.resources import RESOURCE_NAMES

COST_ATTR = "dataflow.cost"
ESTIMATE_ATTR = "dataflow.estimate"

COST_KEYS = ("cycles", "depth", *RESOURCE_NAMES)


def _i64(v: int) -> IntegerAttr:
    return IntegerAttr(v, i64)


def annotate(module: ModuleOp, net: NetworkCost, board: Board) -> list[str]:
    """Write `dataflow.cost` on every costed op and `dataflow.estimate` on the module.

    Returns the early-exit functions costed without exit rates (at the worst case).
    """
    exits = exit_interval(module, {op: cost.cycles for op, cost in net.layers.items()})
    for op, cost in net.layers.items():
        r = cost.resources
        per_sample = (
            {} if exits is None or exits.reach.get(op, 1.0) >= 1.0 else {"per_sample": _i64(exits.per_sample[op])}
        )
        op.attributes[COST_ATTR] = DictionaryAttr(
            {
                "cycles": _i64(cost.cycles),
                **per_sample,
                "depth": _i64(cost.pipeline_depth),
                **{name: _i64(getattr(r, name)) for name in RESOURCE_NAMES},
            }
        )
    total = net.resources
    util = total.utilisation(board)
    interval, bottleneck = (net.interval, net.bottleneck) if exits is None else (exits.interval, exits.bottleneck)
    fps = board.clock_mhz * 1e6 / interval if interval else 0.0
    exit_entries = {}
    if exits is not None:
        known = sorted(set(exits.sources.values()))
        exit_entries = {
            "exit_rates": StringAttr("none" if "none" in known else ",".join(known)),
            "frame_interval": _i64(net.interval),
        }
    module.attributes[ESTIMATE_ATTR] = DictionaryAttr(
        {
            "board": StringAttr(board.name),
            "clock_mhz": FloatAttr(float(board.clock_mhz), f64),
            "interval": _i64(interval),
            **exit_entries,
            "latency": _i64(net.latency),
            "fps": FloatAttr(round(fps, 2), f64),
            "bottleneck": StringAttr(layer_name(bottleneck) if bottleneck is not None else ""),
            **{name: _i64(getattr(total, name)) for name in RESOURCE_NAMES},
            "fifo_lut": _i64(net.fifo_resources.lut),
            "fifo_ff": _i64(net.fifo_resources.ff),
            "fifo_bram18": _i64(net.fifo_resources.bram18),
            "util": DictionaryAttr({name: FloatAttr(round(min(util[name], 1e9), 4), f64) for name in RESOURCE_NAMES}),
        }
    )
    return [] if exits is None else exits.missing


def dict_value(d: DictionaryAttr, key: str) -> float | str | dict | None:
    """A plain Python value from a dictionary attribute entry."""
    attr = d.data.get(key)
    if attr is None:
        return None
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, DictionaryAttr):
        return {k: dict_value(attr, k) for k in attr.data}
    return number(attr)
