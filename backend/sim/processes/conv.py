"""Timing of `dataflow.conv`: a sliding window feeding a MAC array (`window.py`)."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.processes.window import windowed_processes
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec
from fpga_opt.dialects.dataflow import ConvOp


@PROCESSES.register(ConvOp)
def conv_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    assert isinstance(op, ConvOp)
    return windowed_processes(op, rate, resolution, frame_overlap, mac_array_cycles(op))


def mac_array_cycles(op: ConvOp) -> float:
    """Cycles per frame of the conv's MAC array alone: its passes per group of `reuse` output
    pixels (`ConvOp.passes`, padded passes included) times the groups.

    Only the main conv counts: a merged 1x1 conv (`side_weights`) has multipliers of its own,
    working on the same windows in parallel.
    """
    out = stream_type(op.output)
    return out.height * out.width // op.reuse_factor * op.passes()["steps"]
