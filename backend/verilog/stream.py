"""Plumbing and pooling as unrolled logic: a fork or a FIFO is wires, max pooling of bits is an OR."""

from __future__ import annotations

from xdsl.ir import Operation

from fpga_opt.backend.verilog.netlist import Netlist
from fpga_opt.backend.verilog.registry import VERILOG_EMITTERS
from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.dialects.errors import FpgaOptError


@VERILOG_EMITTERS.register(df.ForkOp, df.BufferOp)
def emit_wires(net: Netlist, op: Operation) -> None:
    """Every copy of a forked value, and a FIFO's output, is the same vector (one frame per clock)."""
    source = net.signal(op.operands[0])
    for result in op.results:
        net.alias(result, source, net.depth.get(op.operands[0], 0))


@VERILOG_EMITTERS.register(df.PoolOp)
def emit_max_pool(net: Netlist, op: Operation) -> None:
    """Max pooling of +-1 bits: the OR of the window (padding, the lowest value 0, changes nothing)."""
    assert isinstance(op, df.PoolOp)
    x = net.signal(op.input)
    if op.mode.data != "max" or not df.is_bit_stream(op.window_stream):
        raise FpgaOptError(f"{who(op)}: the unrolled Verilog backend pools binarised streams with max only")
    h, w, c = op.window_stream.dims
    out = op.output.type
    assert isinstance(out, df.StreamType)
    kh, kw = op.kernel_size
    sh, sw = op.stride_size
    top, left, _, _ = op.padding
    exprs = []
    for r in range(out.height):
        for q in range(out.width):
            for ch in range(c):
                bits = [
                    x.elem(((r * sh + i - top) * w + (q * sw + j - left)) * c + ch)
                    for i in range(kh)
                    for j in range(kw)
                    if 0 <= r * sh + i - top < h and 0 <= q * sw + j - left < w
                ]
                exprs.append(" | ".join(bits) if bits else "1'b0")
    net.register(op, op.output, exprs, who(op))
