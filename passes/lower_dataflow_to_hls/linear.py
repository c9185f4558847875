"""`dataflow.linear` -> `linear`, FINN's MVAU (`linear.h`).

(N/CO)*(NIN/CI) iterations, the input vector kept for the other output folds.  Word
`j*NSF + k` of the weight table holds the `coarse_out*coarse_in` weights of one iteration.
"""

from __future__ import annotations

from xdsl.dialects.builtin import UnitAttr
from xdsl.ir import Attribute

from fpga_opt.backend.target.resources import pack_chain
from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS, Lowering, int_attr, stream_type
from fpga_opt.passes.lower_dataflow_to_hls.numerics import (
    BIAS_BOUND,
    EPILOGUE_TYPE,
    FLOAT_TYPE,
    acc_type,
    bias_type,
    check_requant_input,
    max_abs,
    or_none,
    table_bytes,
)
from fpga_opt.passes.lower_dataflow_to_hls.weights import weight_words

KERNEL_HEADERS = {"linear.h": ("linear",)}


@LOWERINGS.register(df.LinearOp)
def lower_linear(lw: Lowering, op: df.LinearOp) -> None:
    name = lw.layer(op)
    inp, out = stream_type(op.input), stream_type(op.output)
    integer = inp.is_integer
    ci, co = op.input_lanes(0), op.output_lanes(0)
    nin, nout = inp.numel, out.channels
    x = lw.take(op.input, ci, name)
    y = lw.produce(op.output, co, name)
    nsf, nnf = nin // ci, nout // co
    layout = ([nout, nin], [nnf, co, nsf, ci], [0, 2, 1, 3], [nnf * nsf, co * ci])
    words = weight_words(lw, op, f"{name}_w", op.weight_type, *layout) if df.is_off_chip(op) else None
    w = lw.table(f"{name}_w", op.weights.data, op.weight_type, *layout) if words is None else None
    b = None
    if op.bias is not None:
        b = lw.table(f"{name}_b", op.bias.data, bias_type(integer), [nout], [nnf, co], [0, 1], [nnf, co])
    if integer:
        bound = nin * max_abs(inp.element_type) * max_abs(op.weight_type)
        acc_t: Attribute = acc_type(bound, who(op))
        epi_t: Attribute = EPILOGUE_TYPE
        if op.requant is not None:
            check_requant_input(bound + (BIAS_BOUND if b else 0), who(op))
    else:
        acc_t = epi_t = FLOAT_TYPE
    pack = 0
    if integer:
        unsigned = df.int_range(inp.element_type)[0] == 0  # type: ignore[arg-type]
        bits = (inp.bitwidth, df.element_bitwidth(op.weight_type))
        pack = pack_chain(*bits, lw.board.int8_packing, lw.board.dsp_type, a_unsigned=unsigned)
    params = {
        "in_t": inp.element_type,
        "out_t": out.element_type,
        "acc_t": acc_t,
        "epi_t": epi_t,
        "rq_t": or_none(op.requant),
        "NIN": int_attr(nin),
        "NOUT": int_attr(nout),
        "CI": int_attr(ci),
        "CO": int_attr(co),
        "wt_t": op.weight_type if integer else FLOAT_TYPE,
        "PACK": int_attr(pack),
        "WB": int_attr(table_bytes(op.weight_type)),
        "BB": int_attr(table_bytes(bias_type(integer))),
        "act": or_none(op.activation),
    }
    instance = hls.KernelOp(
        "linear",
        lw.names.fresh(name),
        [x] if words is None else [x, words],
        [y],
        params,
        tables=[w, b],
        source=lw.source(op),
    )
    if words is not None:
        instance.attributes[hls.STREAMED_WEIGHTS_ATTR] = UnitAttr()
    lw.kernels.append(instance)
