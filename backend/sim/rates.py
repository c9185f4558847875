"""How fast an op runs in the timing simulation: the cost model's rate at the op's lanes.

`op_rate(op)` is the one place the simulator asks how fast an op is.  Cycles
per frame and pipeline depth are `fpga_opt.backend.costs.op_rate` (the layer
models with the op's fused epilogue: the numbers folding selection and the
cost report use); the lanes of each port are the op's own
(`input_lanes` / `output_lanes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpga_opt.backend import costs
from fpga_opt.dialects.dataflow import DataflowOp


@dataclass(frozen=True)
class OpRate:
    """How fast one op is, per frame, in clock cycles, and the elements per cycle on each port."""

    cycles: int
    depth: int
    in_lanes: tuple[int, ...]
    out_lanes: tuple[int, ...]


def op_rate(op: DataflowOp) -> OpRate:
    cycles, depth = costs.op_rate(op)
    in_lanes = tuple(op.input_lanes(i) for i in range(len(op.operands)))
    out_lanes = tuple(op.output_lanes(j) for j in range(len(op.results)))
    return OpRate(int(cycles), int(depth), in_lanes, out_lanes)
