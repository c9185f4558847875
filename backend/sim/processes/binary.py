"""Timing of the binarised layers: a threshold is pointwise, the dense layers are vector units
(`linear.py`), the binarised conv is a sliding window feeding an XNOR-popcount array (`window.py`)."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.sim.processes.linear import vector_processes
from fpga_opt.backend.sim.processes.pointwise import pointwise_processes
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.backend.sim.processes.window import windowed_processes
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec
from fpga_opt.dialects.dataflow import LutLinearOp, ThresholdOp, XnorConvOp, XnorLinearOp

PROCESSES.register(ThresholdOp)(pointwise_processes)
PROCESSES.register(XnorLinearOp, LutLinearOp)(vector_processes)


@PROCESSES.register(XnorConvOp)
def xnor_conv_processes(op: Operation, rate: OpRate, resolution: str, frame_overlap: bool) -> list[ProcessSpec]:
    """The sliding window and an array of coarse_in*coarse_out*fine XNORs behind it."""
    assert isinstance(op, XnorConvOp)
    f = op.folding()
    return windowed_processes(
        op, rate, resolution, frame_overlap, op.macs() / (f["coarse_in"] * f["coarse_out"] * f["fine"])
    )
