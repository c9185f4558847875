"""The default timing of a `dataflow` op: one process, every port at a constant rate over the frame.

It serves every op without a schedule of its own: the element-wise ops
(add, requantize, activation, softmax), fork and concat, the exit decision.
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, frame_program, uniform
from fpga_opt.dialects.dataflow import DataflowOp


@PROCESSES.register(DataflowOp)
def pointwise_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    """All ports at constant rates over the model's cycles; frame 0's first output leaves at the model's depth."""
    cycles = float(rate.cycles)
    sched = uniform(cycles, [stream_type(v).numel for v in op.operands], [stream_type(v).numel for v in op.results])
    word = rate.out_lanes[0] if rate.out_lanes else 1
    first_out = cycles * min(1.0, word / max(1, stream_type(op.results[0]).numel))
    return [
        ProcessSpec(
            "main",
            frame_program(sched, max(0.0, rate.depth - first_out)),
            [("operand", i) for i in range(len(op.operands))],
            [("result", j) for j in range(len(op.results))],
            list(rate.in_lanes),
            list(rate.out_lanes),
        )
    ]
