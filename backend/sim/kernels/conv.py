"""Semantics of `dataflow.conv`: im2col convolution, its fused epilogue and its side output."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.backend.sim.dtypes import narrow, stream_type
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import ConvOp

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


@KERNELS.register(ConvOp)
def conv_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """`acc = sum(w*x) (+ bias) -> requant -> (skip add -> skip_requant) -> activation`, plus the side result."""
    assert isinstance(op, ConvOp)
    inp, out = stream_type(op.input), stream_type(op.output)
    integer = out.is_integer
    groups = op.groups.value.data
    kh, kw = op.kernel_size
    stride = op.stride_size
    dilation = op.dilation_size
    pad = op.padding
    pad_value = op.padding_value
    c_in, c_out = inp.channels, out.channels
    w = model.tensor(op, op.weights.data, (c_out, c_in // groups, kh, kw), integer)
    bias = model.tensor(op, op.bias.data, (c_out,), integer) if op.bias is not None else None
    out_hw = (out.height, out.width)
    requant, skip_requant, act = op.requant, op.skip_requant, op.activation
    acc_mult, skip_mult = op.acc_mult.value.data, op.skip_mult.value.data
    has_skip = op.skip is not None
    side_kernel = _side_kernel(model, op) if op.side is not None else None

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        acc = sem.conv2d(
            x,
            w,
            stride=stride,
            pad=pad,
            groups=groups,
            out_hw=out_hw,
            integer=integer,
            pad_value=pad_value,
            dilation=dilation,
        )
        if bias is not None:
            acc = acc + bias
        y = acc
        if integer and requant is not None:
            y = sem.requantize(y, requant)
        if has_skip:
            skip = args[1].astype(np.int64) if integer else args[1].astype(np.float64)
            y = y * acc_mult + skip * skip_mult
            if integer and skip_requant is not None:
                y = sem.requantize(y, skip_requant)
        if act is not None:
            y = sem.activate(y, act, integer)
        results = [narrow(y, out)]
        if side_kernel is not None:
            results.append(side_kernel(x))
        return results

    return run


def _side_kernel(model: FunctionalModel, op: ConvOp):
    """The side result: the window's centre pixel, or a 1x1 conv of it (`side_weights`, a merged downsample)."""
    inp, out = stream_type(op.input), stream_type(op.output)
    side = stream_type(op.side)
    integer = out.is_integer
    kernel, stride, pad = op.kernel_size, op.stride_size, op.padding
    out_hw = (out.height, out.width)
    if op.side_weights is None:

        def forward(x: np.ndarray) -> np.ndarray:
            return sem.centre_pixels(x, kernel, stride, pad, out_hw).copy()

        return forward
    sw = model.tensor(op, op.side_weights.data, (side.channels, inp.channels, 1, 1), integer)
    sb = model.tensor(op, op.side_bias.data, (side.channels,), integer) if op.side_bias is not None else None
    side_rq = op.side_requant

    def side_conv(x: np.ndarray) -> np.ndarray:
        centre = sem.centre_pixels(x, kernel, stride, pad, out_hw)
        y = sem.conv2d(centre, sw, stride=(1, 1), pad=(0, 0, 0, 0), groups=1, out_hw=out_hw, integer=integer)
        if sb is not None:
            y = y + sb
        if integer and side_rq is not None:
            y = sem.requantize(y, side_rq)
        return narrow(y, side)

    return side_conv
