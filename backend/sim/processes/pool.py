"""Timing of `dataflow.pool` (a sliding window, `window.py`) and `dataflow.global_pool` (a whole frame)."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.processes.window import windowed_processes
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, Schedule, frame_program, uniform
from fpga_opt.dialects.dataflow import GlobalPoolOp, PoolOp


@PROCESSES.register(PoolOp)
def pool_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    """A sliding window; the compute unit reduces one window per output lane per cycle."""
    assert isinstance(op, PoolOp)
    compute_alone = stream_type(op.output).numel / rate.out_lanes[0]
    return windowed_processes(op, rate, resolution, frame_overlap, compute_alone)


@PROCESSES.register(GlobalPoolOp)
def global_pool_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    """Reads the frame; writes the C results with the last pixel (C elements)."""
    assert isinstance(op, GlobalPoolOp)
    cycles = float(rate.cycles)
    inp = stream_type(op.input)
    c, n = inp.channels, inp.numel
    last = cycles * c / n
    sched = uniform(cycles, [n], [c])
    if n > c:
        sched = Schedule([cycles - last, last], [[float(n - c)], [float(c)]], [[0.0], [float(c)]])
    pause = max(0.0, rate.depth - (cycles - last) - last * min(1.0, rate.out_lanes[0] / c))
    return [
        ProcessSpec(
            "main",
            frame_program(sched, pause),
            [("operand", 0)],
            [("result", 0)],
            list(rate.in_lanes),
            list(rate.out_lanes),
        )
    ]
