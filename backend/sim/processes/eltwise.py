"""Timing of the element-wise ops (add, requantize, activation, softmax): one pointwise process each."""

from __future__ import annotations

from fpga_opt.backend.sim.processes.pointwise import pointwise_processes
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.dialects.dataflow import ActivationOp, AddOp, RequantizeOp, SoftmaxOp

PROCESSES.register(AddOp, RequantizeOp, ActivationOp, SoftmaxOp)(pointwise_processes)
