"""Emitting `dataflow` ops for pending layers, once their epilogue is known.

A `Pending` layer is emitted either *finally*, by the QuantizeLinear that
follows it (its requantisation, saturation bounds and output type become the
op's `requant` and result type), or *raw*: a float op with its fused
activation, or an integer op that emits its i32 accumulator (the value the
ONNX graph sees is then `acc * accumulator scale`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, f32, i64
from xdsl.ir import SSAValue

from fpga_opt.dialects.dataflow import (
    ActivationAttr,
    ActivationOp,
    AddOp,
    ConcatOp,
    ConvOp,
    GlobalPoolOp,
    LinearOp,
    PoolOp,
    RequantAttr,
    RequantizeOp,
    StreamType,
)
from fpga_opt.frontend.builder import FuncBuilder
from fpga_opt.frontend.issues import Unsupported
from fpga_opt.frontend.requant import (
    bound,
    channel_multipliers_shift,
    exact_add_multipliers,
    fine_bias,
    multiplier_shift,
)
from fpga_opt.frontend.values import ACC, IntType, Pending


@dataclass(frozen=True)
class Final:
    """Where a QuantizeLinear (plus a Clip) takes a value: scale, zero point, type, saturation, rounding."""

    scale: float
    itype: IntType
    qmin: int
    qmax: int
    rounding: str = "half_even"
    zero_point: int = 0


def stream_type(dims: tuple[int, int, int], itype: IntType | None) -> StreamType:
    return StreamType(dims, itype.xdsl() if itype is not None else f32)


def requant_attr(
    from_scale: float | np.ndarray, final: Final, lo: float = -math.inf, hi: float = math.inf, offset: int = 0
) -> RequantAttr:
    """The requant taking `x` (standing for `(x + offset) * from_scale`) to `final`, float-domain bounds folded in.

    `from_scale` is one scale, or one per output channel (per-channel weight
    scales): then the requant has one multiplier per channel.  With a
    multiplier of 1 and no shift the offset is exact in the zero point.
    """
    scales = np.asarray(from_scale, dtype=np.float64).reshape(-1)
    if np.unique(scales).size > 1:
        multiplier, shift = channel_multipliers_shift(scales / final.scale)
    else:
        multiplier, shift = multiplier_shift(float(scales[0]) / final.scale)
    qmin, qmax = final.qmin, final.qmax
    z = final.zero_point
    if lo != -math.inf:
        qmin = max(qmin, bound(lo, final.scale, final.rounding, final.itype.lo, final.itype.hi, z))
    if hi != math.inf:
        qmax = min(qmax, bound(hi, final.scale, final.rounding, final.itype.lo, final.itype.hi, z))
    if qmin > qmax:
        raise Unsupported(f"the activation bounds [{lo}, {hi}] leave no value of {final.itype} at scale {final.scale}")
    if (multiplier, shift) == (1, 0):
        z, offset = z + offset, 0
    return RequantAttr(multiplier, shift, offset=offset, zero_point=z, min=qmin, max=qmax, rounding=final.rounding)


def is_identity(requant: RequantAttr, itype: IntType, source: IntType) -> bool:
    return (
        not requant.channelwise
        and requant.multiplier.data == 1
        and requant.shift.data == 0
        and requant.offset.data == 0
        and requant.zero_point.data == 0
        and itype == source
        and requant.min.data <= source.lo
        and requant.max.data >= source.hi
    )


def emit(b: FuncBuilder, p: Pending, final: Final | None = None) -> SSAValue:
    """Emit the op(s) of `p`: finally (into `final`) or raw."""
    if not p.is_int:
        assert final is None
        return _emit_float(b, p)
    if final is None:
        return _emit_int_raw(b, p)
    return _emit_int_final(b, p, final)


# float ------------------------------------------------------------------------


def _emit_float(b: FuncBuilder, p: Pending) -> SSAValue:
    out = stream_type(p.dims, None)
    x = p.inputs[0].ssa
    if p.kind == "conv":
        op = ConvOp(
            x,
            out,
            kernel=p.params["kernel"],
            stride=p.params["stride"],
            pad=p.params["pad"],
            groups=p.params["groups"],
            dilation=p.params.get("dilation", (1, 1)),
            weights=b.add_weight(p.layer, "w", p.weights.astype(np.float32, copy=False)),
            bias=b.add_weight(p.layer, "b", p.bias.astype(np.float32, copy=False)) if p.bias is not None else None,
            weight_type=f32,
            activation=p.activation,
            layer=p.layer,
        )
    elif p.kind == "linear":
        op = LinearOp(
            x,
            out,
            weights=b.add_weight(p.layer, "w", p.weights.astype(np.float32, copy=False)),
            bias=b.add_weight(p.layer, "b", p.bias.astype(np.float32, copy=False)) if p.bias is not None else None,
            weight_type=f32,
            activation=p.activation,
            layer=p.layer,
        )
    elif p.kind == "add":
        op = AddOp(x, p.inputs[1].ssa, out, activation=p.activation, layer=p.layer)
    else:  # pragma: no cover - the handlers create no other float pending ops
        raise AssertionError(p.kind)
    b.append(op)
    return op.results[0]


# integer ----------------------------------------------------------------------


def _int_activation(p: Pending, zero_point: int = 0) -> ActivationAttr | None:
    """A raw integer op's fused Relu/Clip, in the integer domain of its result (`zero_point` stands for 0.0)."""
    if not p.has_epilogue:
        return None
    lo = p.lo / p.scale + zero_point if p.lo != -math.inf else -math.inf
    hi = p.hi / p.scale + zero_point if p.hi != math.inf else math.inf
    for value in (lo, hi):
        if math.isfinite(value) and value != round(value):
            raise Unsupported(
                "a Clip on an integer value needs bounds that are whole multiples of its scale "
                "(or a QuantizeLinear right after it)"
            )
    if lo == 0 and hi == math.inf:
        return ActivationAttr("relu")
    lo_i = ACC.lo if lo == -math.inf else int(lo)
    hi_i = ACC.hi if hi == math.inf else int(hi)
    return ActivationAttr("clip", lo=lo_i, hi=hi_i)


def _raw_requant(p: Pending) -> RequantAttr | None:
    """A raw result needs no requant, except to remove an input zero point (`offset`) in 32 bits."""
    offset = p.params.get("offset", 0)
    if not offset:
        return None
    return RequantAttr(1, 0, zero_point=offset, min=ACC.lo, max=ACC.hi)


def _emit_int_raw(b: FuncBuilder, p: Pending) -> SSAValue:
    if p.params.get("exclude_pad"):
        raise Unsupported(
            "an integer AveragePool with pads and count_include_pad = 0 needs a QuantizeLinear after it "
            "(its requant divides each window by its count of real pixels)"
        )
    if p.per_channel:
        raise Unsupported(
            "an integer layer with per-channel weight scales needs a QuantizeLinear after it "
            "(its raw accumulator has one scale per channel)"
        )
    if p.kind == "requantize":
        source = p.inputs[0]
        activation = _int_activation(p, source.zero_point)
        if activation is None:
            return source.ssa
        return b.append(ActivationOp(source.ssa, activation, layer=p.layer)).results[0]
    if p.kind == "concat":
        raise Unsupported("a Concat of inputs with different scales needs a QuantizeLinear right after it")
    out = stream_type(p.dims, ACC)
    if p.kind in ("pool", "global_pool"):
        value = _emit_int_op(b, p, out, _raw_requant(p), None)
        activation = _int_activation(p)
        if activation is not None:
            value = b.append(ActivationOp(value, activation, layer=b.layer_name(f"{p.layer}.act"))).results[0]
        return value
    return _emit_int_op(b, p, out, _raw_requant(p), _int_activation(p))


def _emit_int_final(b: FuncBuilder, p: Pending, final: Final) -> SSAValue:
    out = stream_type(p.dims, final.itype)
    if p.kind == "requantize":
        source = p.inputs[0]
        requant = requant_attr(p.scale, final, p.lo, p.hi, -source.zero_point)
        if is_identity(requant, final.itype, source.itype):
            return source.ssa
        return b.append(RequantizeOp(source.ssa, out, requant, layer=p.layer)).results[0]
    if p.kind == "concat":
        parts = []
        for index, source in enumerate(p.inputs):
            requant = requant_attr(source.scale, final, p.lo, p.hi, -source.zero_point)
            if is_identity(requant, final.itype, source.itype):
                parts.append(source.ssa)
            else:
                op = RequantizeOp(
                    source.ssa,
                    stream_type(source.dims, final.itype),
                    requant,
                    layer=b.layer_name(f"{p.layer}.in{index}"),
                )
                parts.append(b.append(op).results[0])
        return b.append(ConcatOp(parts, out, layer=p.layer)).results[0]
    if p.kind == "add" and "operands" in p.params:
        p = _add_to_output_scale(p, final)
    requant = requant_attr(p.scale, final, p.lo, p.hi, p.params.get("offset", 0))
    if p.kind in ("conv", "linear"):
        requant = _with_fine_bias(requant, p, final)
    value = _emit_int_op(b, p, out, requant, None)
    if p.kind == "pool" and "qdq_scale_in" in p.params and final.rounding == "half_even":
        # an exclude-pad mean between DQ and Q: computed as the reference computes it (dataflow.pool)
        value.owner.properties["qdq_scales"] = DenseArrayBase.from_list(f32, [p.params["qdq_scale_in"], final.scale])
    return value


def _add_to_output_scale(p: Pending, final: Final) -> Pending:
    """An add of unrelated scales, each operand multiplied straight to the output scale (31 bits each).

    `round((a - za) * sa/s + (b - zb) * sb/s)` with `sa/s` and `sb/s` as `lhs_mult / 2^shift` and
    `rhs_mult / 2^shift`: the requant is then `multiplier = 1, shift`, and each ratio keeps 31
    significant bits instead of the 22 of a common scale followed by a second rounding of the
    ratio (docs/frontend.md).  The sum stays below 2^42 (9-bit operands), far inside 64 bits.
    """
    sa, za, sb, zb = p.params["operands"]
    found = exact_add_multipliers(sa, sb, final.scale)
    if found is None:
        return p
    lm, rm, shift = found
    params = {**p.params, "lhs_mult": lm, "rhs_mult": rm, "offset": -(za * lm + zb * rm)}
    return p.copy(params=params, scale=math.ldexp(final.scale, -shift))


def _with_fine_bias(requant: RequantAttr, p: Pending, final: Final) -> RequantAttr:
    """`requant` with the fine bias that makes a dequantised bias count at its exact value
    (requant.fine_bias), when the layer's bias and scale are still those it was created with."""
    source = p.params.get("fine")
    if source is None or source.exact is None or p.bias is None or source.ints is None:
        return requant
    if not np.array_equal(p.bias, source.ints) or not np.array_equal(np.asarray(p.scale), np.asarray(source.acc_scale)):
        return requant  # a later bias Add or rescale changed them: the integer bias alone stands
    n = len(source.exact)
    ints = p.bias - (source.correction if source.correction is not None else 0)
    scales = np.broadcast_to(np.asarray(p.scale, dtype=np.float64).reshape(-1), (n,))
    terms = fine_bias(requant.multipliers, requant.shift.data, final.scale, source.exact, list(ints), list(scales))
    return requant.replace(fine_bias=terms) if terms else requant


def _set_pad_value(op: ConvOp | PoolOp, p: Pending) -> None:
    """An asymmetric input pads with its zero point (the real 0.0 ONNX pads with)."""
    value = p.params.get("pad_value", 0)
    if value and any(p.params["pad"]):
        op.properties["pad_value"] = IntegerAttr(value, i64)


def _weight_array(ints: np.ndarray, itype: IntType) -> np.ndarray:
    if itype.bits <= 8:
        return ints.astype(np.int8 if itype.signed else np.uint8)
    if itype.bits <= 16:
        return ints.astype(np.int16 if itype.signed else np.uint16)
    return ints.astype(np.int32)


def bias_array(ints: np.ndarray) -> np.ndarray:
    """int16 when every value fits (the ResNet flow's int16 bias), else int32."""
    lo, hi = (int(ints.min()), int(ints.max())) if ints.size else (0, 0)
    if -(2**15) <= lo and hi < 2**15:
        return ints.astype(np.int16)
    if -(2**31) <= lo and hi < 2**31:
        return ints.astype(np.int32)
    raise Unsupported("the bias does not fit 32 bits at the accumulator scale")


def _emit_int_op(
    b: FuncBuilder, p: Pending, out: StreamType, requant: RequantAttr | None, activation: ActivationAttr | None
) -> SSAValue:
    x = p.inputs[0].ssa
    if p.kind in ("conv", "linear"):
        weights = b.add_weight(p.layer, "w", _weight_array(p.weights, p.weight_type))
        bias = b.add_weight(p.layer, "b", bias_array(p.bias)) if p.bias is not None else None
        common = dict(
            weights=weights,
            bias=bias,
            weight_type=p.weight_type.xdsl(),
            requant=requant,
            activation=activation,
            layer=p.layer,
        )
        if p.kind == "conv":
            op = ConvOp(
                x,
                out,
                kernel=p.params["kernel"],
                stride=p.params["stride"],
                pad=p.params["pad"],
                groups=p.params["groups"],
                dilation=p.params.get("dilation", (1, 1)),
                **common,
            )
            _set_pad_value(op, p)
        else:
            op = LinearOp(x, out, **common)
    elif p.kind == "add":
        op = AddOp(
            x,
            p.inputs[1].ssa,
            out,
            lhs_mult=p.params["lhs_mult"],
            rhs_mult=p.params["rhs_mult"],
            requant=requant,
            activation=activation,
            layer=p.layer,
        )
    elif p.kind == "pool":
        op = PoolOp(
            x,
            out,
            mode="avg",
            kernel=p.params["kernel"],
            stride=p.params["stride"],
            pad=p.params["pad"],
            requant=requant,
            exclude_pad=p.params.get("exclude_pad", False),
            layer=p.layer,
        )
        _set_pad_value(op, p)
    elif p.kind == "global_pool":
        op = GlobalPoolOp(x, out, mode="avg", requant=requant, layer=p.layer)
    else:  # pragma: no cover
        raise AssertionError(p.kind)
    b.append(op)
    return op.results[0]
