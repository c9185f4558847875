"""The binarised layers -> `threshold`, `xnor_linear`, `xnor_conv`, `lut_linear` (`binary.h`), LUTNet's tiled form.

`xnor_linear` is FINN's binarised MVAU, `xnor_conv` the conv schedule of `conv.h`
behind the same sliding window with XNOR gates for multipliers, `lut_linear`
evaluates `coarse_out` outputs (all their LUT operators) per cycle over the
input vector held in registers.  Table layouts are in `binary.h`.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerType, Signedness, f32, i64
from xdsl.ir import Attribute

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS, Lowering, int_attr, stream_type
from fpga_opt.passes.lower_dataflow_to_hls.window import window_input

KERNEL_HEADERS = {"binary.h": ("threshold", "xnor_linear", "xnor_conv", "lut_linear")}

THRESHOLD_TYPE = IntegerType(32)
"""Popcount and integer input thresholds: 32-bit words (an integer threshold may lie outside the input type)."""

INDEX_TYPE = IntegerType(32)


def _count_type(n: int) -> Attribute:
    """An unsigned count of up to `n` ones."""
    return IntegerType(max(1, n.bit_length()), Signedness.UNSIGNED)


def _thresholds(lw: Lowering, op: df.BinaryLayerOp, name: str, words: int, lanes: int) -> str | None:
    if op.thresholds is None:
        return None
    c_out = stream_type(op.results[0]).channels
    return lw.table(f"{name}_t", op.thresholds.data, THRESHOLD_TYPE, [c_out], [words, lanes], [0, 1], [words, lanes])


def _common(op: df.BinaryLayerOp) -> dict[str, Attribute]:
    return {
        "out_t": stream_type(op.results[0]).element_type,
        "cnt_t": _count_type(op.fan_in),
        "N": int_attr(op.fan_in),
        "THRESHOLDED": int_attr(int(op.has_thresholds)),
    }


@LOWERINGS.register(df.ThresholdOp)
def lower_threshold(lw: Lowering, op: df.ThresholdOp) -> None:
    name = lw.layer(op)
    inp = stream_type(op.input)
    lanes = op.input_lanes(0)
    x = lw.take(op.input, lanes, name)
    y = lw.produce(op.output, lanes, name)
    element = THRESHOLD_TYPE if inp.is_integer else f32
    c = inp.channels
    t = lw.table(f"{name}_t", op.thresholds.data, element, [c], [c // lanes, lanes], [0, 1], [c // lanes, lanes])
    params = {
        "in_t": inp.element_type,
        "cmp_t": i64 if inp.is_integer else f32,
        "N": int_attr(inp.numel),
        "C": int_attr(c),
        "L": int_attr(lanes),
    }
    lw.kernels.append(
        hls.KernelOp("threshold", lw.names.fresh(name), [x], [y], params, tables=[t], source=lw.source(op))
    )


@LOWERINGS.register(df.XnorLinearOp)
def lower_xnor_linear(lw: Lowering, op: df.XnorLinearOp) -> None:
    name = lw.layer(op)
    out = stream_type(op.output)
    ci, co = op.input_lanes(0), op.output_lanes(0)
    nin, nout = op.fan_in, out.channels
    x = lw.take(op.input, ci, name)
    y = lw.produce(op.output, co, name)
    nsf, nnf = nin // ci, nout // co
    w = lw.table(
        f"{name}_w", op.weights.data, df.BIT, [nout, nin], [nnf, co, nsf, ci], [0, 2, 1, 3], [nnf * nsf, co * ci]
    )
    t = _thresholds(lw, op, name, nnf, co)
    params = {**_common(op), "NIN": int_attr(nin), "NOUT": int_attr(nout), "CI": int_attr(ci), "CO": int_attr(co)}
    lw.kernels.append(
        hls.KernelOp("xnor_linear", lw.names.fresh(name), [x], [y], params, tables=[w, t], source=lw.source(op))
    )


@LOWERINGS.register(df.XnorConvOp)
def lower_xnor_conv(lw: Lowering, op: df.XnorConvOp) -> None:
    name = lw.layer(op)
    inp, out = op.window_stream, stream_type(op.output)
    kh, kw = op.kernel_size
    ci, co, fine = op.coarse_in.value.data, op.coarse_out.value.data, op.fine.value.data
    cin, cout = inp.channels, out.channels
    nk, nj, nf = cin // ci, cout // co, kh * kw // fine
    x = window_input(lw, op, ci, line_buffer=op.has_line_buffer, pad_lowest=False)
    y = lw.produce(op.output, co, name)
    w = lw.table(
        f"{name}_w",
        op.weights.data,
        df.BIT,
        [cout, cin, kh, kw],
        [nj, co, nk, ci, nf, fine],
        [2, 0, 4, 1, 5, 3],
        [nk * nj * nf, co * fine * ci],
    )
    t = _thresholds(lw, op, name, nj, co)
    params = {
        **_common(op),
        "OH": int_attr(out.height),
        "OW": int_attr(out.width),
        "KP": int_attr(op.window_positions),
        "CIN": int_attr(cin),
        "CI": int_attr(ci),
        "COUT": int_attr(cout),
        "CO": int_attr(co),
        "FINE": int_attr(fine),
    }
    lw.kernels.append(
        hls.KernelOp("xnor_conv", lw.names.fresh(name), [x], [y], params, tables=[w, t], source=lw.source(op))
    )


@LOWERINGS.register(df.LutLinearOp)
def lower_lut_linear(lw: Lowering, op: df.LutLinearOp) -> None:
    name = lw.layer(op)
    out = stream_type(op.output)
    ci, co = op.input_lanes(0), op.output_lanes(0)
    nin, nout, k, luts = op.vector_length, out.channels, op.lut_inputs, op.luts_per_output
    nnf = nout // co
    x = lw.take(op.input, ci, name)
    y = lw.produce(op.output, co, name)
    idx = lw.table(
        f"{name}_idx", op.indices.data, INDEX_TYPE, [nout, luts, k], [nnf, co * luts * k], [0, 1], [nnf, co * luts * k]
    )
    width = co * luts * 2**k
    tab = lw.table(f"{name}_tab", op.tables.data, df.BIT, [nout, luts, 2**k], [nnf, width], [0, 1], [nnf, width])
    t = _thresholds(lw, op, name, nnf, co)
    params = {
        **_common(op),
        "NIN": int_attr(nin),
        "NOUT": int_attr(nout),
        "CI": int_attr(ci),
        "CO": int_attr(co),
        "K": int_attr(k),
        "LUTS": int_attr(luts),
    }
    lw.kernels.append(
        hls.KernelOp("lut_linear", lw.names.fresh(name), [x], [y], params, tables=[idx, tab, t], source=lw.source(op))
    )
