"""Timing of `dataflow.linear`: FINN's MVAU, one output fold at a time.

`vector_processes` fits every layer that reads a whole vector and writes
`1x1xN` one output fold at a time (the binarised `xnor_linear` and
`lut_linear` register it too).
"""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, Schedule, frame_program, uniform
from fpga_opt.dialects.dataflow import LinearOp


@PROCESSES.register(LinearOp)
def vector_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    """Reads the whole input vector (H*W*C / coarse_in cycles) while the first `coarse_out` outputs are
    computed, then computes the other output folds without reading."""
    cycles = float(rate.cycles)
    inp, out = stream_type(op.operands[0]), stream_type(op.results[0])
    n_in_el, n_out_el = float(inp.numel), float(out.channels)
    synapse = n_in_el / rate.in_lanes[0]
    fold = float(rate.out_lanes[0])
    sched = uniform(cycles, [n_in_el], [n_out_el])
    if n_out_el > fold and synapse < cycles:
        sched = Schedule([synapse, cycles - synapse], [[n_in_el], [0.0]], [[fold], [n_out_el - fold]])
    first_out = synapse if len(sched) > 1 else cycles * min(1.0, fold / n_out_el)
    return [
        ProcessSpec(
            "main",
            frame_program(sched, max(0.0, rate.depth - first_out)),
            [("operand", 0)],
            [("result", 0)],
            list(rate.in_lanes),
            list(rate.out_lanes),
        )
    ]
