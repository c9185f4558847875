"""The simplest timing of a `dataflow` op: one process, every port at a constant rate over the frame.

Not a default: each op family registers it for the ops it fits (eltwise.py,
stream.py, exits.py), so that a new op without a timing model of its own is
reported by the registry test rather than silently timed as pointwise.
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, frame_program, uniform


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
