"""`dataflow.pool` -> a sliding window and `pool`; `dataflow.global_pool` -> `global_pool` (`pool.h`).

Both take one token per cycle.  Max pooling pads with the type's lowest value; integer
averages are exact sums then a requant, float averages divide.  A pool always has a line
buffer (its kernel reads windows, even a 1x1 one).
"""

from __future__ import annotations

from xdsl.dialects.builtin import FloatAttr, f64
from xdsl.ir import Attribute

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS, Lowering, int_attr, stream_type
from fpga_opt.passes.lower_dataflow_to_hls.numerics import (
    EPILOGUE_TYPE,
    FLOAT_TYPE,
    acc_type,
    check_requant_input,
    max_abs,
    or_none,
)
from fpga_opt.passes.lower_dataflow_to_hls.window import window_input

KERNEL_HEADERS = {"pool.h": ("pool", "pool_exclude_pad", "pool_exclude_pad_qdq", "global_pool")}


@LOWERINGS.register(df.PoolOp)
def lower_pool(lw: Lowering, op: df.PoolOp) -> None:
    name = lw.layer(op)
    inp, out = stream_type(op.input), stream_type(op.output)
    lanes = op.input_lanes(0)
    kh, kw = op.kernel_size
    is_max = op.mode.data == "max"
    win = window_input(lw, op, lanes, line_buffer=True, pad_lowest=is_max)
    y = lw.produce(op.output, op.output_lanes(0), name)
    acc_t, epi_t = _accumulators(op, inp, kh * kw)
    params = {
        "in_t": inp.element_type,
        "out_t": out.element_type,
        "acc_t": acc_t,
        "epi_t": epi_t,
        "rq_t": or_none(op.requant),
        "OH": int_attr(out.height),
        "OW": int_attr(out.width),
        "C": int_attr(inp.channels),
        "L": int_attr(lanes),
        "KP": int_attr(kh * kw),
        "MODE": int_attr(0 if is_max else 1),
    }
    kernel = "pool"
    if op.exclude_pad is not None and not is_max:  # each window divided by its real pixels
        kernel = "pool_exclude_pad"
        pt, pl, _, _ = op.padding
        sh, sw = op.stride_size
        geometry = dict(H=inp.height, W=inp.width, KH=kh, KW=kw, SH=sh, SW=sw, PT=pt, PL=pl)
        params |= {k: int_attr(v) for k, v in geometry.items()}
        if op.reference_scales is not None and op.requant is not None:  # the QDQ reference's float32 mean
            kernel = "pool_exclude_pad_qdq"
            rq = op.requant
            s_in, s_out = op.reference_scales
            params = {k: params[k] for k in ("in_t", "out_t", "OH", "OW", "C", "L", "KP")}
            params |= {k: int_attr(v) for k, v in geometry.items()} | {"ZP_IN": int_attr(op.padding_value)}
            params |= {"S_IN": FloatAttr(s_in, f64), "S_OUT": FloatAttr(s_out, f64)}
            params |= {"ZP_OUT": int_attr(rq.zero_point.data), "LO": int_attr(rq.min.data), "HI": int_attr(rq.max.data)}
    lw.kernels.append(hls.KernelOp(kernel, lw.names.fresh(name), [win], [y], params, source=lw.source(op)))


@LOWERINGS.register(df.GlobalPoolOp)
def lower_global_pool(lw: Lowering, op: df.GlobalPoolOp) -> None:
    name = lw.layer(op)
    inp, out = stream_type(op.input), stream_type(op.output)
    lanes = op.input_lanes(0)
    x = lw.take(op.input, lanes, name)
    y = lw.produce(op.output, op.output_lanes(0), name)
    pix = inp.height * inp.width
    acc_t, epi_t = _accumulators(op, inp, pix)
    params = {
        "in_t": inp.element_type,
        "out_t": out.element_type,
        "acc_t": acc_t,
        "epi_t": epi_t,
        "rq_t": or_none(op.requant),
        "PIX": int_attr(pix),
        "C": int_attr(inp.channels),
        "L": int_attr(lanes),
        "MODE": int_attr(0 if op.mode.data == "max" else 1),
    }
    lw.kernels.append(hls.KernelOp("global_pool", lw.names.fresh(name), [x], [y], params, source=lw.source(op)))


def _accumulators(op: df.PoolOp | df.GlobalPoolOp, inp: df.StreamType, count: int) -> tuple[Attribute, Attribute]:
    """(acc_t, epi_t): max keeps the input type; an average of `count` values sums them exactly."""
    if not inp.is_integer:
        return FLOAT_TYPE, FLOAT_TYPE
    if op.mode.data == "max":
        return inp.element_type, EPILOGUE_TYPE
    bound = count * max_abs(inp.element_type)
    if op.requant is not None:
        check_requant_input(bound, who(op))
    return acc_type(bound, who(op)), EPILOGUE_TYPE
