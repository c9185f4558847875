"""Semantics of the element-wise ops: `dataflow.add`, `requantize`, `activation`, `softmax`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.backend.sim.dtypes import narrow, stream_type
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import ActivationOp, AddOp, RequantizeOp, SoftmaxOp

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


@KERNELS.register(AddOp)
def add_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Integer: `lhs*lhs_mult + rhs*rhs_mult -> requant -> activation`; float: `lhs + rhs -> activation`."""
    assert isinstance(op, AddOp)
    out = stream_type(op.output)
    integer = out.is_integer
    lm, rm = op.lhs_mult.value.data, op.rhs_mult.value.data
    requant, act = op.requant, op.activation

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        if integer:
            y = args[0].astype(np.int64) * lm + args[1].astype(np.int64) * rm
            if requant is not None:
                y = sem.requantize(y, requant)
        else:
            y = args[0].astype(np.float64) + args[1].astype(np.float64)
        if act is not None:
            y = sem.activate(y, act, integer)
        return [narrow(y, out)]

    return run


@KERNELS.register(RequantizeOp)
def requantize_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, RequantizeOp)
    out = stream_type(op.output)
    requant = op.requant

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow(sem.requantize(args[0].astype(np.int64), requant), out)]

    return run


@KERNELS.register(ActivationOp)
def activation_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, ActivationOp)
    out = stream_type(op.output)
    integer = out.is_integer
    act = op.activation

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0].astype(np.int64) if integer else args[0].astype(np.float64)
        return [narrow(sem.activate(x, act, integer), out)]

    return run


@KERNELS.register(SoftmaxOp)
def softmax_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Over the channels of each pixel (floats)."""
    out = stream_type(op.results[0])

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow(sem.softmax_channels(args[0].astype(np.float64)), out)]

    return run
