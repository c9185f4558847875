"""Semantics of `dataflow.pool` and `dataflow.global_pool`: max, or (integer) sum / (float) mean, then requant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.backend.sim.dtypes import lowest, narrow, stream_type
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import GlobalPoolOp, PoolOp

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


@KERNELS.register(PoolOp)
def pool_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Max pads with the type's lowest value; avg is the window sum (integers, then requant) or mean (floats);
    with exclude_pad the mean is over the window's real pixels (integers: the requant divides by that count,
    or, with qdq_scales, the mean is computed in the QDQ reference's float32 arithmetic)."""
    assert isinstance(op, PoolOp)
    inp, out = stream_type(op.input), stream_type(op.output)
    integer = out.is_integer
    mode = op.mode.data
    kernel, stride, pad = op.kernel_size, op.stride_size, op.padding
    requant = op.requant
    area = kernel[0] * kernel[1]
    low = lowest(inp)
    counts = None  # exclude_pad: the real pixels of each window, (1, Ho, Wo, 1)
    if mode == "avg" and op.exclude_pad is not None:
        counts = op.window_counts()[None, :, :, None]

    reference = op.reference_scales  # the mean in the QDQ reference's float32 arithmetic
    out_hw = (out.height, out.width)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        if reference is not None and integer and requant is not None and counts is not None:
            y = sem.qdq_float32_mean(
                x, requant, kernel=kernel, stride=stride, pad=pad, out_hw=out_hw, zero_in=op.padding_value,
                scales=reference, counts=counts,
            )  # fmt: skip
            return [narrow(y, out)]
        if not integer:
            x = x.astype(np.float64)
        y = sem.pool2d(
            x,
            mode=mode,
            kernel=kernel,
            stride=stride,
            pad=pad,
            out_hw=(out.height, out.width),
            integer=integer,
            lowest=low,
            pad_value=op.padding_value,
        )
        if mode == "avg":
            if integer:
                if requant is not None and counts is not None:  # divided by each window's count, exactly
                    y = sem.requantize_over_counts(y, requant, counts)
                elif requant is not None:
                    y = sem.requantize(y, requant)
            else:
                y = y / (area if counts is None else counts)
        return [narrow(y, out)]

    return run


@KERNELS.register(GlobalPoolOp)
def global_pool_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Max over the frame; avg: the sum (integers, then requant) or the mean (floats)."""
    assert isinstance(op, GlobalPoolOp)
    out = stream_type(op.output)
    integer = out.is_integer
    mode = op.mode.data
    requant = op.requant

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        if mode == "max":
            y = x.max(axis=(1, 2), keepdims=True)
        elif integer:
            y = x.sum(axis=(1, 2), keepdims=True, dtype=np.int64)
            if requant is not None:
                y = sem.requantize(y, requant)
        else:
            y = x.astype(np.float64).mean(axis=(1, 2), keepdims=True)
        return [narrow(y, out)]

    return run
