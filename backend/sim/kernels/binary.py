"""Semantics of the binarised layers: thresholds, XNOR-popcount (dense and conv) and LUTNet's LUT layers.

Bits stand for +-1 (`dialects/dataflow/binary.py`).  Each layer counts the
terms that are 1 (XNOR matches, or LUT outputs) per output: with thresholds
it emits the bit `popcount >= t`, without it the +-1 dot product
`2 * popcount - n`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.backend.sim.dtypes import narrow, stream_type
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import (
    LutLinearOp,
    ThresholdOp,
    XnorConvOp,
    XnorLinearOp,
    load_binary_tensors,
)

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


def finish(popcount: np.ndarray, n: int, thresholds: np.ndarray | None) -> np.ndarray:
    """A binarised layer's result from its popcounts: the bit `p >= t`, or the dot product `2p - n`."""
    if thresholds is not None:
        return (popcount >= thresholds).astype(np.int64)
    return 2 * popcount - n


def lut_popcounts(bits: np.ndarray, indices: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Per sample and output, how many of its LUT operators return 1: bits (B, N) -> (B, C_out)."""
    k = indices.shape[-1]
    gathered = bits[:, indices]  # (B, C_out, luts, K)
    addr = (gathered.astype(np.int64) << np.arange(k)).sum(-1)  # (B, C_out, luts)
    c_out, luts = indices.shape[:2]
    o = np.arange(c_out)[:, None]
    m = np.arange(luts)[None, :]
    return tables[o, m, addr].sum(-1, dtype=np.int64)


def xnor_popcounts(bits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Matches of each input row (B, N) with each weight row [C_out, N]: (B, C_out)."""
    x = bits.astype(np.int64)
    w = weights.astype(np.int64)
    return x @ w.T + (1 - x) @ (1 - w).T


@KERNELS.register(ThresholdOp)
def threshold_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """`x >= thresholds[c]` per channel."""
    assert isinstance(op, ThresholdOp)
    t = load_binary_tensors(op, model.weights).thresholds
    out = stream_type(op.output)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow((args[0] >= t).astype(np.int64), out)]

    return run


def dense_kernel(model: FunctionalModel, op: XnorLinearOp | LutLinearOp, popcounts) -> Kernel:
    """A dense binarised layer over the input flattened in stream (HWC) order: `popcounts(bits, tensors)`."""
    tensors = load_binary_tensors(op, model.weights)
    out = stream_type(op.output)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        p = popcounts(x.reshape(x.shape[0], -1), tensors)
        y = finish(p, op.fan_in, tensors.thresholds)
        return [narrow(y.reshape(x.shape[0], 1, 1, -1), out)]

    return run


@KERNELS.register(XnorLinearOp)
def xnor_linear_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """popcount(XNOR(x, w)) over the input flattened in stream (HWC) order."""
    assert isinstance(op, XnorLinearOp)
    return dense_kernel(model, op, lambda bits, tensors: xnor_popcounts(bits, tensors.weights))


@KERNELS.register(XnorConvOp)
def xnor_conv_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """popcount(XNOR(window, w)) per output pixel: the +-1 convolution of the bits' values."""
    assert isinstance(op, XnorConvOp)
    tensors = load_binary_tensors(op, model.weights)
    out = stream_type(op.output)
    signs = 2 * tensors.weights.astype(np.int64) - 1
    n = op.fan_in

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = 2 * args[0].astype(np.int64) - 1
        dot = sem.conv2d(
            x, signs, stride=op.stride_size, pad=(0, 0, 0, 0), groups=1, out_hw=(out.height, out.width), integer=True
        )
        return [narrow(finish((dot + n) // 2, n, tensors.thresholds), out)]

    return run


@KERNELS.register(LutLinearOp)
def lut_linear_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Per output, the number of its LUT operators returning 1 (see `lut_popcounts`)."""
    assert isinstance(op, LutLinearOp)
    return dense_kernel(model, op, lambda bits, tensors: lut_popcounts(bits, tensors.indices, tensors.tables))
