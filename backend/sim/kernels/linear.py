"""Semantics of `dataflow.linear`: a matrix product over the input flattened in stream (HWC) order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.backend.sim.dtypes import narrow, stream_type
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import LinearOp

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


@KERNELS.register(LinearOp)
def linear_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """`y = W x (+ bias) -> requant -> activation`, weights `[N, H*W*C]`."""
    assert isinstance(op, LinearOp)
    inp, out = stream_type(op.input), stream_type(op.output)
    integer = out.is_integer
    n = out.channels
    w = model.tensor(op, op.weights.data, (n, inp.numel), integer)
    bias = model.tensor(op, op.bias.data, (n,), integer) if op.bias is not None else None
    requant, act = op.requant, op.activation
    wt = w.T[None]  # (1, HWC, N)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        flat = x.reshape(1, x.shape[0], -1)  # HWC order: the stream order
        y = sem.grouped_matmul(flat, wt, integer)[0]
        if bias is not None:
            y = y + bias
        if integer and requant is not None:
            y = sem.requantize(y, requant)
        if act is not None:
            y = sem.activate(y, act, integer)
        return [narrow(y.reshape(x.shape[0], 1, 1, n), out)]

    return run
