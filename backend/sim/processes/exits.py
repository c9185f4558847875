"""Timing of the early-exit ops: `dataflow.conditional_buffer` and `exit_merge` wait for a decision.

`exit_decision` streams like any element-wise op (`pointwise.py`).  Which
frames each of them forwards, drops or reads is the route of the samples
(`backend/sim/exits.py`, `Routing.mask_of`); these are the schedules of a frame
that is forwarded or read.
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.processes.pointwise import pointwise_processes
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, Program, Schedule
from fpga_opt.dialects.dataflow import ConditionalBufferOp, ExitDecisionOp, ExitMergeOp

PROCESSES.register(ExitDecisionOp)(pointwise_processes)


@PROCESSES.register(ConditionalBufferOp)
def conditional_buffer_processes(
    op: Operation, rate: OpRate, resolution: str, frame_overlap: bool
) -> list[ProcessSpec]:
    """Stream the frame out, or drop it, `lanes` per cycle, its first cycle reading the sample's decision.

    The decision is read with the frame's first word (the HLS kernel reads it in the first iteration of its
    pipelined loop), so a frame takes the op's `cycles` and no more: the buffer keeps up with a backbone at
    the same rate (a separate decision cycle made it the bottleneck of every design whose exit sits at the
    design's interval: 257 cycles a frame at the 1x16x16 input rate of 256).  The frame waits meanwhile in
    the buffer's own FIFO of `depth` elements (its `fifo_depth`: the timing simulation adds it to the FIFO in
    front of it).
    """
    assert isinstance(op, ConditionalBufferOp)
    frame = float(stream_type(op.input).numel)
    lanes = rate.in_lanes[0] if rate.in_lanes else 1
    cycles = float(rate.cycles)
    if cycles > 1:
        first = frame / cycles
        sched = Schedule([1.0, cycles - 1.0], [[first, 1.0], [frame - first, 0.0]], [[first], [frame - first]])
    else:
        sched = Schedule([1.0], [[frame, 1.0]], [[frame]])
    return [
        ProcessSpec(
            "main",
            Program(sched, sched, None),
            [("operand", 0), ("operand", 1)],
            [("result", 0)],
            [lanes, 1],
            [lanes],
        )
    ]


@PROCESSES.register(ExitMergeOp)
def exit_merge_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    """Read the sample's decisions, then its result from the exit it took (discarding the others), in order."""
    assert isinstance(op, ExitMergeOp)
    n = float(stream_type(op.output).numel)
    cycles = float(rate.cycles)
    ops = len(op.inputs)
    decide = [1.0 if i % 2 == 1 and i < ops - 1 else 0.0 for i in range(ops)]
    results = [n if i % 2 == 0 or i == ops - 1 else 0.0 for i in range(ops)]
    sched = Schedule([1.0, cycles], [decide, results], [[0.0, 0.0], [n, 1.0]])
    return [
        ProcessSpec(
            "main",
            Program(sched, sched, None),
            [("operand", i) for i in range(ops)],
            [("result", 0), ("result", 1)],
            [1] * ops,
            [1, 1],
        )
    ]
