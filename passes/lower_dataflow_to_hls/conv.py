"""`dataflow.conv` -> a sliding window and one `conv*` kernel (fpgaConvNet's schedule, `conv.h`).

The kernel is `conv`, plus `_skip` with a skip operand (a residual add folded in by
`merge-loops`), plus `_fwd` (the window's centre pixel re-emitted on the side result) or
`_merged` (a merged 1x1 conv of the centre pixel on the side result).  An unpadded 1x1
stride-1 conv has no line buffer: each window is one input pixel.

Weight word `((G*NK + k)*NJ + j)*NF + f` holds `[gi][o][p][i]`: the
`coarse_group*coarse_out*fine*coarse_in` weights one cycle multiplies, zeros in a padded
pass (NJ = ceil(C_out/groups / coarse_out), NF = ceil(Kh*Kw / fine)).  Folding several
groups (`coarse_group > 1`) needs each group's channels whole (`coarse_in = C_in/groups`,
`coarse_out = C_out/groups`), so that the channels of the groups processed together are
contiguous in the stream.  The kernel packs two int8 products per DSP48E2 exactly where the
cost model does (`PACK`: `backend/target/resources.pack_chain`).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerType, UnitAttr
from xdsl.ir import Attribute, SSAValue

from fpga_opt.backend.target.resources import pack_chain
from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.dialects.errors import FpgaOptError
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
from fpga_opt.passes.lower_dataflow_to_hls.window import window_input

KERNEL_HEADERS = {"conv.h": ("conv", "conv_skip", "conv_fwd", "conv_skip_fwd", "conv_merged", "conv_skip_merged")}

_SIDE_SUFFIX = {None: "", "forward": "_fwd", "merged": "_merged"}
_SIDE_CODE = {None: 0, "forward": 1, "merged": 2}


@LOWERINGS.register(df.ConvOp)
def lower_conv(lw: Lowering, op: df.ConvOp) -> None:
    name = lw.layer(op)
    inp, out = stream_type(op.input), stream_type(op.output)
    kh, kw = op.kernel_size
    groups = op.groups.value.data
    cin_g, cout_g = inp.channels // groups, out.channels // groups
    side_kind = _check(op, cin_g, cout_g)
    x = window_input(lw, op, op.input_lanes(0), line_buffer=op.has_line_buffer, pad_lowest=False)
    ins = [x]
    skip_t: Attribute = inp.element_type
    if op.skip is not None:
        ins.append(lw.take(op.skip, op.input_lanes(1), name))
        skip_t = stream_type(op.skip).element_type
    outs = [lw.produce(op.output, op.output_lanes(0), name)]
    side_t: Attribute = inp.element_type
    c_side = 0
    if op.side is not None:
        outs.append(lw.produce(op.side, op.output_lanes(1), f"{name}_side"))
        side_t, c_side = stream_type(op.side).element_type, stream_type(op.side).channels
    tables, words = _tables(lw, op, name, side_kind, c_side)
    if words is not None:
        ins.append(words)
    acc_t, epi_t, side_acc_t, sum_t = _accumulators(op, skip_t, side_kind)
    centre = (kh // 2) * kw + kw // 2
    params: dict[str, Attribute] = {
        "in_t": inp.element_type,
        "out_t": out.element_type,
        "acc_t": acc_t,
        "epi_t": epi_t,
        "skip_t": skip_t,
        "side_t": side_t,
        "side_acc_t": side_acc_t,
        "rq_t": or_none(op.requant),
        "skip_rq_t": or_none(op.skip_requant),
        "side_rq_t": or_none(op.side_requant),
        "OH": int_attr(out.height),
        "OW": int_attr(out.width),
        "KP": int_attr(op.window_positions),
        "CENTRE": int_attr(centre if op.has_line_buffer else 0),
        "GROUPS": int_attr(groups),
        "CG": int_attr(op.coarse_group.value.data),
        "CIN_G": int_attr(cin_g),
        "CI": int_attr(op.coarse_in.value.data),
        "COUT_G": int_attr(cout_g),
        "CO": int_attr(op.coarse_out.value.data),
        "FINE": int_attr(op.fine.value.data),
        "TERMS": int_attr(_flattened_terms(op)),
        "wt_t": op.weight_type if inp.is_integer else FLOAT_TYPE,
        "sum_t": sum_t,
        "PL": int_attr(op.output_lanes(0)),
        "R": int_attr(op.reuse_factor),
        "PACK": int_attr(_pack(lw, op)),
        "WB": int_attr(table_bytes(op.weight_type)),
        "BB": int_attr(table_bytes(bias_type(inp.is_integer))),
        "HAS_SKIP": int_attr(1 if op.skip is not None else 0),
        "ACC_MULT": int_attr(op.acc_mult.value.data),
        "SKIP_MULT": int_attr(op.skip_mult.value.data),
        "SIDE": int_attr(_SIDE_CODE[side_kind]),
        "C_SIDE": int_attr(c_side),
        "act": or_none(op.activation),
    }
    kernel = "conv" + ("_skip" if op.skip is not None else "") + _SIDE_SUFFIX[side_kind]
    instance = hls.KernelOp(kernel, lw.names.fresh(name), ins, outs, params, tables=tables, source=lw.source(op))
    if words is not None:
        instance.attributes[hls.STREAMED_WEIGHTS_ATTR] = UnitAttr()
    lw.kernels.append(instance)


def _check(op: df.ConvOp, cin_g: int, cout_g: int) -> str | None:
    """Refuse what the conv kernel cannot do; the side result's kind (None, "forward" or "merged")."""
    ci, co, cg = op.coarse_in.value.data, op.coarse_out.value.data, op.coarse_group.value.data
    if cg > 1 and (ci != cin_g or co != cout_g):
        raise FpgaOptError(
            f"{who(op)}: coarse_group = {cg} needs coarse_in = C_in/groups ({cin_g}) and coarse_out = "
            f"C_out/groups ({cout_g}) in the HLS conv kernel (channels of parallel groups must be contiguous)"
        )
    if op.side is None:
        return None
    if op.has_forward:
        return "forward"
    if op.groups.value.data != 1:
        raise FpgaOptError(f"{who(op)}: a merged 1x1 side conv needs groups = 1, got {op.groups.value.data}")
    return "merged"


def _flattened_terms(op: df.ConvOp) -> int:
    """The kernel's TERMS: a flattened pass's products, or 0 for kernel-position passes."""
    terms = op.folding()["terms"]
    return terms if terms > 1 else 0


def _pack(lw: Lowering, op: df.ConvOp) -> int:
    """Terms per packed DSP chain when the cost model packs this conv's products, else 0."""
    inp = stream_type(op.input)
    if not inp.is_integer:
        return 0
    in_bits, weight_bits = inp.bitwidth, df.element_bitwidth(op.weight_type)
    unsigned = df.int_range(inp.element_type)[0] == 0  # type: ignore[arg-type]
    return pack_chain(in_bits, weight_bits, lw.board.int8_packing, lw.board.dsp_type, a_unsigned=unsigned)


def _tables(
    lw: Lowering, op: df.ConvOp, name: str, side_kind: str | None, c_side: int
) -> tuple[list[str | None], SSAValue | None]:
    """[weights, bias] and, for a merged side conv, [side weights, side bias] (None: no bias); and the
    stream of the weight words when the weights are off chip (the weights slot is then None)."""
    inp, out = stream_type(op.input), stream_type(op.output)
    integer = inp.is_integer
    kh, kw = op.kernel_size
    groups = op.groups.value.data
    ci, co = op.coarse_in.value.data, op.coarse_out.value.data
    fine, cg = op.fine.value.data, op.coarse_group.value.data
    cin_g, cout_g = inp.channels // groups, out.channels // groups
    p = op.passes()
    ng, nk, nj, nf = p["ng"], p["nk"], p["nj"], p["nf"]
    terms = _flattened_terms(op)
    if terms:  # flattened passes (conv.h): each filter's channel-major window, padded to nf*terms
        layout = (
            [out.channels, cin_g, kh, kw],
            [ng, cg, nj, co, nf, terms],
            [0, 2, 4, 1, 3, 5],
            [ng * nj * nf, cg * co * terms],
        )
        grid, padded = [groups, cout_g, cin_g * kh * kw], [groups, nj * co, nf * terms]
    else:
        layout = (
            [out.channels, cin_g, kh, kw],
            [ng, cg, nj, co, nk, ci, nf, fine],
            [0, 4, 2, 6, 1, 3, 7, 5],
            [ng * nk * nj * nf, cg * co * fine * ci],
        )
        grid, padded = [groups, cout_g, cin_g, kh * kw], [groups, nj * co, cin_g, nf * fine]
    words = None
    if df.is_off_chip(op):
        if grid != padded:
            raise FpgaOptError(
                f"{who(op)}: off-chip weights need whole passes (coarse_out divides {cout_g}, fine divides "
                f"{kh * kw}); padded passes are on-chip only"
            )
        words = weight_words(lw, op, f"{name}_w", op.weight_type, *layout)
        tables: list[str | None] = [None, None]
    else:
        tables = [lw.table(f"{name}_w", op.weights.data, op.weight_type, *layout, grid=grid, padded=padded), None]
    if op.bias is not None:
        tables[1] = lw.table(
            f"{name}_b",
            op.bias.data,
            bias_type(integer),
            [out.channels],
            [ng, cg, nj, co],
            [0, 2, 1, 3],
            [ng * nj, cg * co],
            grid=[groups, cout_g],
            padded=[groups, nj * co],
        )
    if side_kind == "merged":
        assert op.side_weights is not None
        nsj = c_side // co
        tables.append(
            lw.table(
                f"{name}_sw",
                op.side_weights.data,
                op.weight_type,
                [c_side, inp.channels, 1, 1],
                [nsj, co, nk, ci],
                [2, 0, 1, 3],
                [nk * nsj, co * ci],
            )
        )
        tables.append(
            lw.table(f"{name}_sb", op.side_bias.data, bias_type(integer), [c_side], [nsj, co], [0, 1], [nsj, co])
            if op.side_bias is not None
            else None
        )
    return tables, words


def _accumulators(
    op: df.ConvOp, skip_t: Attribute, side_kind: str | None
) -> tuple[Attribute, Attribute, Attribute, Attribute]:
    """(acc_t, epi_t, side_acc_t, sum_t): exact accumulators (sum_t: accumulator plus bias), after
    checking every requant's input fits 32 bits."""
    inp = stream_type(op.input)
    if not inp.is_integer:
        return FLOAT_TYPE, FLOAT_TYPE, FLOAT_TYPE, FLOAT_TYPE
    w_max = max_abs(op.weight_type)
    side_acc_t: Attribute = EPILOGUE_TYPE
    if side_kind == "merged":
        bound = inp.channels * max_abs(inp.element_type) * w_max
        side_acc_t = acc_type(bound, who(op))
        if op.side_requant is not None:
            check_requant_input(bound + BIAS_BOUND, f"{who(op)} side conv")
    kh, kw = op.kernel_size
    acc_bound = inp.channels // op.groups.value.data * kh * kw * max_abs(inp.element_type) * w_max
    acc_t = acc_type(acc_bound, who(op))
    value_bound = acc_bound + (BIAS_BOUND if op.bias is not None else 0)
    if op.requant is not None:
        check_requant_input(value_bound, who(op))
        lo, hi = op.requant.min.data, op.requant.max.data
    else:
        lo, hi = -value_bound, value_bound
    if op.skip is not None and op.skip_requant is not None:
        skip_bound = max_abs(skip_t) if isinstance(skip_t, IntegerType) else 0
        sum_bound = max(abs(lo), abs(hi)) * abs(op.acc_mult.value.data) + skip_bound * abs(op.skip_mult.value.data)
        check_requant_input(sum_bound, f"{who(op)} skip epilogue", op.skip_requant)
    return acc_t, EPILOGUE_TYPE, side_acc_t, acc_type(value_bound, who(op))
