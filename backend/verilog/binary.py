"""The binarised layers as unrolled logic: comparators, XNOR-popcounts, LUT operators.

* `dataflow.threshold`: one comparator per element against its channel's constant.
* `dataflow.xnor_linear` / `xnor_conv`: per output (and, for the conv, per
  output pixel) the XNOR of each input bit with its constant weight -- a wire
  or an inverter, which synthesis absorbs -- summed by an adder tree, then
  compared with the constant threshold (or doubled minus n: the dot product).
* `dataflow.lut_linear`: each operator is a constant truth table indexed by
  its K input bits (one LUT6 at most), then the same popcount and comparator.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.verilog.netlist import (
    Netlist,
    Signal,
    binary_result,
    close_unit,
    element_format,
    open_unit,
    popcount,
)
from fpga_opt.backend.verilog.registry import VERILOG_EMITTERS
from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.dataflow.base import who


def _out_width(op: df.BinaryLayerOp) -> int:
    t = op.results[0].type
    assert isinstance(t, df.StreamType)
    return element_format(t, who(op))[0]


def _threshold(tensors: df.BinaryTensors, o: int) -> int | None:
    return None if tensors.thresholds is None else int(tensors.thresholds[o])


@VERILOG_EMITTERS.register(df.ThresholdOp)
def emit_threshold(net: Netlist, op: Operation) -> None:
    assert isinstance(op, df.ThresholdOp)
    x = net.signal(op.input)
    t = df.load_binary_tensors(op, net.weights).thresholds
    c = len(t)
    exprs = []
    for e in range(x.count):
        th = int(t[e % c])
        lo, hi = (-(2 ** (x.width - 1)), 2 ** (x.width - 1) - 1) if x.signed else (0, 2**x.width - 1)
        if th <= lo:
            exprs.append("1'b1")
        elif th > hi:
            exprs.append("1'b0")
        elif x.signed:
            exprs.append(
                f"($signed({x.elem(e)}) >= {x.width}'sd{th})"
                if th >= 0
                else f"($signed({x.elem(e)}) >= -{x.width}'sd{-th})"
            )
        else:
            exprs.append(f"({x.elem(e)} >= {x.width}'d{th})")
    net.register(op, op.output, exprs, who(op))


def _xnor_terms(inputs: list[str], weights: np.ndarray) -> list[str]:
    """x XNOR 1 = x, x XNOR 0 = NOT x: each term a wire or an inverter.

    `!` (a 1-bit result), not `~`: in the popcount's wider context `~x` would
    invert the zero-extended operand.
    """
    return [x if w else f"!{x}" for x, w in zip(inputs, weights.tolist(), strict=True)]


def _element(net: Netlist, op: df.BinaryLayerOp, hint: str, x: Signal, terms_of, threshold: int | None) -> str:
    """One output element as its own module: its terms (`terms_of(unit)`), their popcount, its comparator."""
    if threshold is not None and (threshold <= 0 or threshold > op.fan_in):
        return "1'b1" if threshold <= 0 else "1'b0"
    unit = open_unit(net, hint, x)
    count, width = popcount(unit, terms_of(unit))
    out_width = _out_width(op)
    if threshold is not None:
        return close_unit(net, unit, x, binary_result(count, width, op.fan_in, threshold, 1), 1, False)
    wide = width + 2
    y = close_unit(net, unit, x, binary_result(count, width, op.fan_in, None, wide), wide, True)
    return f"{{{{{out_width - wide}{{{y}[{wide - 1}]}}}}, {y}}}" if out_width > wide else y


def _emit_dense(net: Netlist, op: df.XnorLinearOp | df.LutLinearOp, terms_of_output) -> None:
    """A dense layer: one unit per output, `terms_of_output(unit, o)` its popcount's terms."""
    x = net.signal(op.input)
    tensors = df.load_binary_tensors(op, net.weights)
    name = net.fresh(op.layer_name)
    out = op.output.type
    assert isinstance(out, df.StreamType)
    exprs = []
    for o in range(out.channels):

        def terms(unit, o=o):
            return terms_of_output(unit, tensors, o)

        exprs.append(_element(net, op, f"{name}_n{o}", x, terms, _threshold(tensors, o)))
    net.register(op, op.output, exprs, who(op))


@VERILOG_EMITTERS.register(df.XnorLinearOp)
def emit_xnor_linear(net: Netlist, op: Operation) -> None:
    assert isinstance(op, df.XnorLinearOp)
    n = op.vector_length

    def terms(unit, tensors, o):
        return _xnor_terms([unit.x.elem(i) for i in range(n)], tensors.weights[o])

    _emit_dense(net, op, terms)


@VERILOG_EMITTERS.register(df.XnorConvOp)
def emit_xnor_conv(net: Netlist, op: Operation) -> None:
    """Spatially unrolled: every output pixel has its own XNOR-popcounts."""
    assert isinstance(op, df.XnorConvOp)
    x = net.signal(op.input)
    tensors = df.load_binary_tensors(op, net.weights)
    h, w, c = op.window_stream.dims
    out = op.output.type
    assert isinstance(out, df.StreamType)
    kh, kw = op.kernel_size
    sh, sw = op.stride_size
    # weights [C_out, C_in, Kh, Kw] in window order (C_in, Kh, Kw)
    rows = tensors.weights.reshape(out.channels, -1)
    name = net.fresh(op.layer_name)
    exprs = []
    for r in range(out.height):
        for q in range(out.width):
            window = [
                ((r * sh + i) * w + (q * sw + j)) * c + ci for ci in range(c) for i in range(kh) for j in range(kw)
            ]
            for o in range(out.channels):

                def terms(unit, row=rows[o], window=window):
                    return _xnor_terms([unit.x.elem(e) for e in window], row)

                exprs.append(_element(net, op, f"{name}_p{r}_{q}_n{o}", x, terms, _threshold(tensors, o)))
    net.register(op, op.output, exprs, who(op))


def _truth_table(bits: np.ndarray) -> str:
    """A 2^K-bit constant: bit `a` is the table's entry at address `a`."""
    text = "".join(str(int(b)) for b in bits[::-1])
    return f"{len(bits)}'b{text}"


@VERILOG_EMITTERS.register(df.LutLinearOp)
def emit_lut_linear(net: Netlist, op: Operation) -> None:
    """Each operator a constant truth table indexed by its K inputs: one LUT, unless synthesis merges it further."""
    assert isinstance(op, df.LutLinearOp)

    def terms(unit, tensors, o):
        out = []
        for m in range(tensors.indices.shape[1]):
            address = ", ".join(unit.x.elem(int(i)) for i in tensors.indices[o, m][::-1])
            lut = unit.wire("lut", 1, f"{_truth_table(tensors.tables[o, m])} >> {{{address}}}")
            out.append(f"{lut}[0]")
        return out

    _emit_dense(net, op, terms)
