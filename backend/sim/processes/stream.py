"""Timing of the stream plumbing: fork and concat are pointwise processes; a buffer is a FIFO, not a process."""

from __future__ import annotations

from fpga_opt.backend.sim.processes.pointwise import pointwise_processes
from fpga_opt.backend.sim.processes.registry import PROCESSES
from fpga_opt.dialects.dataflow import ConcatOp, ForkOp

PROCESSES.register(ForkOp, ConcatOp)(pointwise_processes)
