"""`dataflow.add`, `requantize`, `activation`, `softmax` -> the kernel of the same name (`eltwise.h`).

Each moves `coarse` channels per cycle.  Integer epilogues work in 64 bits, so a requant's
input must stay below 2^32 (see numerics.py); the softmax kernel computes in f32 only.
"""

from __future__ import annotations

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS, Lowering, int_attr, stream_type
from fpga_opt.passes.lower_dataflow_to_hls.numerics import (
    EPILOGUE_TYPE,
    FLOAT_TYPE,
    check_requant_input,
    max_abs,
    or_none,
)

KERNEL_HEADERS = {"eltwise.h": ("add", "requantize", "activation", "softmax")}

_SOFTMAX_BITS = 32


@LOWERINGS.register(df.AddOp)
def lower_add(lw: Lowering, op: df.AddOp) -> None:
    name = lw.layer(op)
    lhs, rhs, out = stream_type(op.lhs), stream_type(op.rhs), stream_type(op.output)
    lanes = op.output_lanes(0)
    a = lw.take(op.lhs, op.input_lanes(0), name)
    b = lw.take(op.rhs, op.input_lanes(1), name)
    y = lw.produce(op.output, lanes, name)
    integer = out.is_integer
    lm, rm = op.lhs_mult.value.data, op.rhs_mult.value.data
    if integer and op.requant is not None:
        bound = max_abs(lhs.element_type) * abs(lm) + max_abs(rhs.element_type) * abs(rm)
        check_requant_input(bound, who(op), op.requant)
    params = {
        "lhs_t": lhs.element_type,
        "rhs_t": rhs.element_type,
        "out_t": out.element_type,
        "epi_t": EPILOGUE_TYPE if integer else FLOAT_TYPE,
        "rq_t": or_none(op.requant),
        "N": int_attr(out.numel // lanes),
        "L": int_attr(lanes),
        "LHS_MULT": int_attr(lm),
        "RHS_MULT": int_attr(rm),
        "act": or_none(op.activation),
    }
    lw.kernels.append(hls.KernelOp("add", lw.names.fresh(name), [a, b], [y], params, source=lw.source(op)))


@LOWERINGS.register(df.RequantizeOp)
def lower_requantize(lw: Lowering, op: df.RequantizeOp) -> None:
    name = lw.layer(op)
    inp, out = stream_type(op.input), stream_type(op.output)
    lanes = op.output_lanes(0)
    if inp.bitwidth > 32:
        raise FpgaOptError(f"{who(op)}: requantising {inp.element_type} values needs more than a 64-bit product")
    x = lw.take(op.input, op.input_lanes(0), name)
    y = lw.produce(op.output, lanes, name)
    params = {
        "in_t": inp.element_type,
        "out_t": out.element_type,
        "rq_t": op.requant,
        "N": int_attr(inp.numel // lanes),
        "L": int_attr(lanes),
    }
    lw.kernels.append(hls.KernelOp("requantize", lw.names.fresh(name), [x], [y], params, source=lw.source(op)))


@LOWERINGS.register(df.ActivationOp)
def lower_activation(lw: Lowering, op: df.ActivationOp) -> None:
    name = lw.layer(op)
    inp = stream_type(op.input)
    lanes = op.output_lanes(0)
    x = lw.take(op.input, op.input_lanes(0), name)
    y = lw.produce(op.output, lanes, name)
    params = {
        "in_t": inp.element_type,
        "epi_t": EPILOGUE_TYPE if inp.is_integer else FLOAT_TYPE,
        "N": int_attr(inp.numel // lanes),
        "L": int_attr(lanes),
        "act": or_none(op.activation),
    }
    lw.kernels.append(hls.KernelOp("activation", lw.names.fresh(name), [x], [y], params, source=lw.source(op)))


@LOWERINGS.register(df.SoftmaxOp)
def lower_softmax(lw: Lowering, op: df.SoftmaxOp) -> None:
    name = lw.layer(op)
    inp = stream_type(op.input)
    if df.element_bitwidth(inp.element_type) != _SOFTMAX_BITS:
        raise FpgaOptError(f"{who(op)}: the HLS softmax kernel computes in f32, got {inp.element_type}")
    lanes = op.output_lanes(0)
    x = lw.take(op.input, op.input_lanes(0), name)
    y = lw.produce(op.output, lanes, name)
    params = {
        "in_t": inp.element_type,
        "PIX": int_attr(inp.height * inp.width),
        "C": int_attr(inp.channels),
        "L": int_attr(lanes),
    }
    lw.kernels.append(hls.KernelOp("softmax", lw.names.fresh(name), [x], [y], params, source=lw.source(op)))
