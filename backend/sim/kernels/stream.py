"""Semantics of the stream ops: `dataflow.fork` copies, `concat` joins channels, `buffer` is the identity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import narrow, stream_type
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import BufferOp, ConcatOp, ForkOp

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


@KERNELS.register(ForkOp)
def fork_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    n = len(op.results)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [args[0]] * n  # arrays are never written in place

    return run


@KERNELS.register(ConcatOp)
def concat_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Along the channels, operands in order."""
    out = stream_type(op.results[0])

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow(np.concatenate(args, axis=-1), out)]

    return run


@KERNELS.register(BufferOp)
def buffer_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [args[0]]

    return run
