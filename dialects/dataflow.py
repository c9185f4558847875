"""The `dataflow` dialect: a CNN as a streaming FPGA pipeline, one op per layer.

Rationale (the long form is docs/dialects/dataflow.md):

* **Streams, not tensors.**  A streaming accelerator never holds a feature map;
  every layer is a hardware process that consumes and produces pixels in raster
  order, channel-last (H x W x C).  `!dataflow.stream<HxWxCxT>` says what flows
  on an edge; the op's folding factors say how many lanes it moves per cycle.
* **One op per hardware layer.**  xDSL parses a few thousand ops per second, so
  a ResNet-50 must stay a few hundred ops.  Element-level behaviour lives in the
  interpreter (backend/sim), the cost models (passes/analysis) and the HLS
  kernels (backend/hls), all keyed by op.
* **Parallelism is explicit.**  `coarse_in`, `coarse_out` and `fine` on convs
  and linears (plus `coarse_group` for grouped convs), `coarse` on channel-wise
  ops.  All default to 1, which is a valid (slow) design; `select-folding`
  raises them.  Verifiers reject factors that do not divide the channels.
* **Quantisation is explicit.**  Element types are integers (i8 activations,
  i8 weights, i16/i32 bias, i32 accumulators) or f32.  Rescaling is a
  `#dataflow.requant` (integer multiplier, right shift, rounding, zero point,
  saturation bounds), so every consumer computes it bit-exactly.  Integer ReLU
  is a saturation bound, not an extra op.
* **Weights live in a sidecar.**  Ops name their tensors (`weights = "conv1.w"`);
  the module attribute `dataflow.weights` names an `.npz` beside the IR file.
  Small tests may inline tensors in the `dataflow.inline_weights` dictionary.
* **Fan-out is explicit.**  `dataflow.fork` copies a stream; once a graph is
  hardware every value has exactly one consumer.

Fused forms (written by `merge-loops` and `minimize-residual-buffers`) are the
same ops with optional parts switched on: a conv may take a `skip` stream that
its epilogue adds, and may emit a `side` stream carrying the centre pixel of
its window (or a merged 1x1 conv of it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import prod

from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    ArrayAttr,
    DenseArrayBase,
    FloatAttr,
    FloatData,
    IntAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TypeAttribute,
    f64,
    i64,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    opt_result_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

# --------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------


class ShapedParameters:
    """Printing and parsing for types whose parameters are a shape and an element type.

    The text is `<d0 x d1 x ... x T>`, as in builtin tensor types; the class
    using it declares `shape: ArrayAttr[IntAttr]` and `element_type`.
    """

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string("x".join(str(d.data) for d in self.shape.data) + "x")  # type: ignore[attr-defined]
            printer.print_attribute(self.element_type)  # type: ignore[attr-defined]

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            dims, element_type = parser.parse_ranked_shape()
        return (ArrayAttr([IntAttr(d) for d in dims]), element_type)


@irdl_attr_definition
class StreamType(ShapedParameters, ParametrizedAttribute, TypeAttribute):
    """A stream of H x W x C elements per frame, in raster order, channel last.

    `!dataflow.stream<32x32x16xi8>` is a 32x32 feature map of 16 int8 channels.
    A vector (a linear layer's input or output) is `1x1xN`.
    """

    name = "dataflow.stream"

    shape: ArrayAttr[IntAttr]
    element_type: Attribute

    def __init__(self, shape: Sequence[int], element_type: Attribute):
        super().__init__(ArrayAttr([IntAttr(d) for d in shape]), element_type)

    @property
    def dims(self) -> tuple[int, int, int]:
        h, w, c = (d.data for d in self.shape.data)
        return h, w, c

    @property
    def height(self) -> int:
        return self.dims[0]

    @property
    def width(self) -> int:
        return self.dims[1]

    @property
    def channels(self) -> int:
        return self.dims[2]

    @property
    def numel(self) -> int:
        return prod(self.dims)

    @property
    def bitwidth(self) -> int:
        return element_bitwidth(self.element_type)

    @property
    def is_integer(self) -> bool:
        return isinstance(self.element_type, IntegerType)

    def verify(self) -> None:
        if len(self.shape.data) != 3:
            raise VerifyException(
                f"!dataflow.stream needs exactly 3 dimensions (H x W x C), got {len(self.shape.data)}"
            )
        if any(d.data <= 0 for d in self.shape.data):
            raise VerifyException(
                f"!dataflow.stream dimensions must be positive, got {'x'.join(str(d.data) for d in self.shape.data)}"
            )
        if not isinstance(self.element_type, IntegerType | AnyFloat):
            raise VerifyException(
                f"!dataflow.stream element type must be an integer or float type, got {self.element_type}"
            )


def element_bitwidth(t: Attribute) -> int:
    """Bit width of an integer or float element type."""
    if isinstance(t, IntegerType):
        return t.width.data
    if isinstance(t, AnyFloat):
        return t.bitwidth
    raise ValueError(f"not a numeric type: {t}")


# --------------------------------------------------------------------------
# Attributes: requantisation and activation
# --------------------------------------------------------------------------

ROUNDING_MODES = ("half_even", "half_up", "half_away", "floor")
"""How `requant` rounds `(x * multiplier) / 2**shift`:

* `half_even`: round half to even (ONNX QuantizeLinear);
* `half_up`:   add 2**(shift-1) then arithmetic shift (cheapest in hardware);
* `half_away`: round half away from zero;
* `floor`:     plain arithmetic shift.
"""


def _parse_key_values(parser: AttrParser, what: str) -> dict[str, int | float | str]:
    """Parse `<key = value, ...>` where values are integers, floats or strings."""
    values: dict[str, int | float | str] = {}

    def parse_entry() -> None:
        key = parser.parse_identifier(f" in {what}")
        parser.parse_punctuation("=", f" after '{key}' in {what}")
        text = parser.parse_optional_str_literal()
        if text is not None:
            values[key] = text
        else:
            values[key] = parser.parse_number(f" for '{key}' in {what}")

    parser.parse_comma_separated_list(parser.Delimiter.ANGLE, parse_entry)
    return values


_REQUANT_FIELDS = ("multiplier", "shift", "zero_point", "min", "max", "rounding")


@irdl_attr_definition
class RequantAttr(ParametrizedAttribute):
    """Integer rescaling: `clamp(round(x * multiplier / 2**shift) + zero_point, min, max)`.

    The product is computed exactly (64-bit), then rounded as `rounding` says,
    offset by `zero_point` and saturated to [min, max].  A fused ReLU raises
    `min` to the zero point.  This is the only way an integer value changes
    scale in the IR, so the interpreter and the HLS kernels agree bit for bit.
    """

    name = "dataflow.requant"

    multiplier: IntAttr
    shift: IntAttr
    zero_point: IntAttr
    min: IntAttr
    max: IntAttr
    rounding: StringAttr

    def __init__(
        self,
        multiplier: int,
        shift: int,
        *,
        zero_point: int = 0,
        min: int = -128,
        max: int = 127,
        rounding: str = "half_even",
    ):
        super().__init__(
            IntAttr(multiplier),
            IntAttr(shift),
            IntAttr(zero_point),
            IntAttr(min),
            IntAttr(max),
            StringAttr(rounding),
        )

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(
            f"<multiplier = {self.multiplier.data}, shift = {self.shift.data}, "
            f"zero_point = {self.zero_point.data}, min = {self.min.data}, "
            f'max = {self.max.data}, rounding = "{self.rounding.data}">'
        )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values = _parse_key_values(parser, "#dataflow.requant")
        unknown = set(values) - set(_REQUANT_FIELDS)
        if unknown:
            parser.raise_error(f"#dataflow.requant has no field(s) {sorted(unknown)}; expected {list(_REQUANT_FIELDS)}")
        defaults: dict[str, int | str] = {"zero_point": 0, "min": -128, "max": 127, "rounding": "half_even"}
        for key in ("multiplier", "shift"):
            if key not in values:
                parser.raise_error(f"#dataflow.requant needs '{key}'")
        merged = defaults | values
        for key in ("multiplier", "shift", "zero_point", "min", "max"):
            if not isinstance(merged[key], int):
                parser.raise_error(f"#dataflow.requant '{key}' must be an integer")
        if not isinstance(merged["rounding"], str):
            parser.raise_error("#dataflow.requant 'rounding' must be a string")
        return tuple(
            StringAttr(merged[k]) if k == "rounding" else IntAttr(merged[k])  # type: ignore[arg-type]
            for k in _REQUANT_FIELDS
        )

    def verify(self) -> None:
        if self.rounding.data not in ROUNDING_MODES:
            raise VerifyException(
                f"#dataflow.requant rounding must be one of {', '.join(ROUNDING_MODES)}, got '{self.rounding.data}'"
            )
        if not 0 <= self.shift.data <= 62:
            raise VerifyException(f"#dataflow.requant shift must be in [0, 62], got {self.shift.data}")
        if self.multiplier.data <= 0 or self.multiplier.data >= 2**31:
            raise VerifyException(
                f"#dataflow.requant multiplier must be in [1, 2^31), got {self.multiplier.data}"
            )
        if self.min.data > self.max.data:
            raise VerifyException(
                f"#dataflow.requant min ({self.min.data}) is greater than max ({self.max.data})"
            )

    def fits(self, t: Attribute) -> bool:
        """Whether [min, max] lies within the range of integer type `t`."""
        if not isinstance(t, IntegerType):
            return False
        lo, hi = int_range(t)
        return lo <= self.min.data and self.max.data <= hi


ACTIVATIONS = ("relu", "relu6", "clip", "leaky_relu", "sigmoid")


@irdl_attr_definition
class ActivationAttr(ParametrizedAttribute):
    """A pointwise non-linearity: `#dataflow.act<kind = "clip", lo = 0.0, hi = 6.0>`.

    On floats it is computed as written.  On integers only `relu` and `clip`
    exist (`lo`/`hi` then are integers in the quantised domain); the frontend
    usually folds them into a requant's saturation bounds instead.
    """

    name = "dataflow.act"

    kind: StringAttr
    lo: FloatData
    hi: FloatData
    alpha: FloatData

    def __init__(self, kind: str, *, lo: float = 0.0, hi: float = 0.0, alpha: float = 0.0):
        super().__init__(StringAttr(kind), FloatData(float(lo)), FloatData(float(hi)), FloatData(float(alpha)))

    @property
    def lo_value(self) -> float:
        return self.lo.data

    @property
    def hi_value(self) -> float:
        return self.hi.data

    @property
    def alpha_value(self) -> float:
        return self.alpha.data

    def print_parameters(self, printer: Printer) -> None:
        parts = [f'kind = "{self.kind.data}"']
        if self.kind.data == "clip":
            parts += [f"lo = {self.lo.data!r}", f"hi = {self.hi.data!r}"]
        if self.kind.data == "leaky_relu":
            parts.append(f"alpha = {self.alpha.data!r}")
        printer.print_string("<" + ", ".join(parts) + ">")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values = _parse_key_values(parser, "#dataflow.act")
        unknown = set(values) - {"kind", "lo", "hi", "alpha"}
        if unknown:
            parser.raise_error(f"#dataflow.act has no field(s) {sorted(unknown)}; expected kind, lo, hi, alpha")
        kind = values.get("kind")
        if not isinstance(kind, str):
            parser.raise_error('#dataflow.act needs kind = "<name>"')
        nums = {}
        for key in ("lo", "hi", "alpha"):
            v = values.get(key, 0.0)
            if isinstance(v, str):
                parser.raise_error(f"#dataflow.act '{key}' must be a number")
            nums[key] = float(v)
        return (StringAttr(kind), *(FloatData(nums[k]) for k in ("lo", "hi", "alpha")))

    def verify(self) -> None:
        if self.kind.data not in ACTIVATIONS:
            raise VerifyException(
                f"#dataflow.act kind must be one of {', '.join(ACTIVATIONS)}, got '{self.kind.data}'"
            )
        if self.kind.data == "clip" and self.lo_value > self.hi_value:
            raise VerifyException(f"#dataflow.act clip has lo ({self.lo.data}) > hi ({self.hi.data})")


def int_range(t: IntegerType) -> tuple[int, int]:
    """The value range of a signless/signed (two's complement) or unsigned integer type."""
    from xdsl.dialects.builtin import Signedness

    w = t.width.data
    if t.signedness.data == Signedness.UNSIGNED:
        return 0, 2**w - 1
    return -(2 ** (w - 1)), 2 ** (w - 1) - 1


# --------------------------------------------------------------------------
# Shared verification helpers
# --------------------------------------------------------------------------


def _stream(value: SSAValue, op: IRDLOperation, what: str) -> StreamType:
    if not isinstance(value.type, StreamType):
        raise VerifyException(f"{_who(op)}: {what} must be a !dataflow.stream, got {value.type}")
    return value.type


def _who(op: IRDLOperation) -> str:
    layer = op.properties.get("layer")
    if isinstance(layer, StringAttr):
        return f"'{op.name}' op \"{layer.data}\""
    return f"'{op.name}' op"


def _int_prop(op: IRDLOperation, name: str, default: int = 1) -> int:
    attr = op.properties.get(name)
    if attr is None:
        return default
    assert isinstance(attr, IntegerAttr)
    return attr.value.data


def _array_prop(op: IRDLOperation, name: str) -> tuple[int, ...]:
    attr = op.properties[name]
    assert isinstance(attr, DenseArrayBase)
    return attr.get_values()  # type: ignore[return-value]


def _check_factor(op: IRDLOperation, name: str, value: int, total: int, of: str) -> None:
    if value < 1:
        raise VerifyException(f"{_who(op)}: {name} must be >= 1, got {value}")
    if total % value != 0:
        raise VerifyException(f"{_who(op)}: {name} = {value} does not divide {of} = {total}")


def _check_same_kind(op: IRDLOperation, a: StreamType, b: StreamType, what: str) -> None:
    """Integer streams stay integer and float streams stay float across an op."""
    if a.is_integer != b.is_integer:
        raise VerifyException(
            f"{_who(op)}: {what} mixes integer and float element types ({a.element_type} vs {b.element_type})"
        )


def _check_requant(op: IRDLOperation, requant: RequantAttr | None, out: StreamType, prop: str = "requant") -> None:
    if requant is None:
        return
    if not out.is_integer:
        raise VerifyException(f"{_who(op)}: '{prop}' needs an integer result, got {out.element_type}")
    if not requant.fits(out.element_type):
        raise VerifyException(
            f"{_who(op)}: '{prop}' saturates to [{requant.min.data}, {requant.max.data}], "
            f"which does not fit the result type {out.element_type}"
        )


def _check_activation(op: IRDLOperation, act: ActivationAttr | None, out: StreamType) -> None:
    if act is None:
        return
    if out.is_integer and act.kind.data not in ("relu", "clip"):
        raise VerifyException(
            f"{_who(op)}: activation '{act.kind.data}' has no integer form; fold it before quantising"
        )


def window_output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Output length of a sliding window along one axis (floor mode)."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def _verify_window(op: IRDLOperation, inp: StreamType, out: StreamType) -> None:
    """Check kernel/stride/pad properties and the output H x W they imply."""
    kernel = _array_prop(op, "kernel")
    stride = _array_prop(op, "stride")
    pad = _array_prop(op, "pad")
    if len(kernel) != 2 or min(kernel) < 1:
        raise VerifyException(f"{_who(op)}: kernel must be two positive integers [Kh, Kw], got {list(kernel)}")
    if len(stride) != 2 or min(stride) < 1:
        raise VerifyException(f"{_who(op)}: stride must be two positive integers [Sh, Sw], got {list(stride)}")
    if len(pad) != 4 or min(pad) < 0:
        raise VerifyException(
            f"{_who(op)}: pad must be four non-negative integers [top, left, bottom, right], got {list(pad)}"
        )
    if pad[0] >= kernel[0] or pad[2] >= kernel[0] or pad[1] >= kernel[1] or pad[3] >= kernel[1]:
        raise VerifyException(f"{_who(op)}: pad {list(pad)} must be smaller than the kernel {list(kernel)}")
    h, w, _ = inp.dims
    if kernel[0] > h + pad[0] + pad[2] or kernel[1] > w + pad[1] + pad[3]:
        raise VerifyException(
            f"{_who(op)}: kernel {list(kernel)} is larger than the padded input {h}x{w}"
        )
    want = (
        window_output_size(h, kernel[0], stride[0], pad[0], pad[2]),
        window_output_size(w, kernel[1], stride[1], pad[1], pad[3]),
    )
    if (out.height, out.width) != want:
        raise VerifyException(
            f"{_who(op)}: result is {out.height}x{out.width} but kernel {list(kernel)}, "
            f"stride {list(stride)} and pad {list(pad)} on a {h}x{w} input give {want[0]}x{want[1]}"
        )
    depth = op.properties.get("window_depth")
    if isinstance(depth, IntegerAttr) and depth.value.data < 1:
        raise VerifyException(f"{_who(op)}: window_depth must be >= 1 window, got {depth.value.data}")


def _i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, values)


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _present(props: dict[str, Attribute | None]) -> dict[str, Attribute]:
    """Builder properties that were given (optional ones left as None are omitted)."""
    return {k: v for k, v in props.items() if v is not None}


_ONE = IntegerAttr(1, i64)
_STREAM_FORMAT = "$input attr-dict `:` type($input) `->` type($output)"
_GENERAL_FORMAT = "operands attr-dict `:` functional-type(operands, results)"


class DataflowOp(IRDLOperation):
    """Base of every hardware layer: an optional `layer` name for reports."""

    # Properties print in the attribute dictionary, so the custom form stays
    # `dataflow.conv %x {kernel = ..., coarse_in = 4 : i64} : ...`.
    irdl_options = (ParsePropInAttrDict(),)

    layer = opt_prop_def(StringAttr)

    @property
    def layer_name(self) -> str:
        return self.layer.data if self.layer is not None else self.name.split(".")[1]

    def folding(self) -> dict[str, int]:
        """The op's folding factors by name (empty when it has none)."""
        return {}


class ChannelParallelOp(DataflowOp):
    """An op that processes `coarse` channels in parallel."""

    coarse = prop_def(IntegerAttr[I64], default_value=_ONE)

    def folding(self) -> dict[str, int]:
        return {"coarse": self.coarse.value.data}

    def _check_coarse(self, channels: int) -> None:
        _check_factor(self, "coarse", self.coarse.value.data, channels, "channels")


# --------------------------------------------------------------------------
# Compute layers
# --------------------------------------------------------------------------


@irdl_op_definition
class ConvOp(DataflowOp):
    """A 2-D convolution layer (grouped and depthwise included).

    Hardware: a sliding-window line buffer feeds `coarse_in` x `coarse_out` x
    `fine` multipliers; each output pixel accumulates C_in/groups x Kh x Kw
    products into an accumulator, then runs the epilogue:

        acc + bias -> requant -> [acc_mult * y + skip_mult * skip -> skip_requant] -> activation

    Weights are `[C_out, C_in/groups, Kh, Kw]`; bias is `[C_out]`.  Without a
    requant an integer conv emits its raw accumulator (i32).  The optional
    `skip` operand is a residual stream added in the epilogue (an add folded
    in by `merge-loops`).  The optional `side` result re-emits the centre pixel
    of every window (so a skip path can reuse this line buffer) or, when
    `side_weights` is set, the output of a 1x1 conv of that centre pixel (a
    merged downsample conv).  The optional `reuse` (temporal reuse, default 1)
    computes that many consecutive output pixels of a row side by side, each
    weight read once for all of them; it must divide the output width.  The
    optional `window_depth` is the depth, in windows, of the stream between
    the sliding window and the MAC array (absent: the default 2-deep stream);
    `size-fifos` sets it where bursts of windows need decoupling.
    """

    name = "dataflow.conv"

    input = operand_def(StreamType)
    skip = opt_operand_def(StreamType)
    output = result_def(StreamType)
    side = opt_result_def(StreamType)

    kernel = prop_def(DenseArrayBase[I64])
    stride = prop_def(DenseArrayBase[I64])
    pad = prop_def(DenseArrayBase[I64])
    groups = prop_def(IntegerAttr[I64], default_value=_ONE)
    weights = prop_def(StringAttr)
    bias = opt_prop_def(StringAttr)
    weight_type = prop_def(TypeAttribute)
    requant = opt_prop_def(RequantAttr)
    activation = opt_prop_def(ActivationAttr)
    acc_mult = prop_def(IntegerAttr[I64], default_value=_ONE)
    skip_mult = prop_def(IntegerAttr[I64], default_value=_ONE)
    skip_requant = opt_prop_def(RequantAttr)
    side_weights = opt_prop_def(StringAttr)
    side_bias = opt_prop_def(StringAttr)
    side_requant = opt_prop_def(RequantAttr)
    coarse_in = prop_def(IntegerAttr[I64], default_value=_ONE)
    coarse_out = prop_def(IntegerAttr[I64], default_value=_ONE)
    fine = prop_def(IntegerAttr[I64], default_value=_ONE)
    coarse_group = prop_def(IntegerAttr[I64], default_value=_ONE)
    reuse = opt_prop_def(IntegerAttr[I64])
    window_depth = opt_prop_def(IntegerAttr[I64])

    assembly_format = _GENERAL_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        kernel: Sequence[int],
        weights: str,
        weight_type: Attribute,
        stride: Sequence[int] = (1, 1),
        pad: Sequence[int] = (0, 0, 0, 0),
        groups: int = 1,
        bias: str | None = None,
        requant: RequantAttr | None = None,
        activation: ActivationAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "kernel": _i64_array(kernel),
            "stride": _i64_array(stride),
            "pad": _i64_array(pad),
            "groups": _i64(groups),
            "weights": StringAttr(weights),
            "weight_type": weight_type,
            "bias": StringAttr(bias) if bias is not None else None,
            "requant": requant,
            "activation": activation,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[input, None],
            result_types=[result_type, None],
            properties=_present(props),
        )

    def folding(self) -> dict[str, int]:
        return {
            "coarse_in": self.coarse_in.value.data,
            "coarse_out": self.coarse_out.value.data,
            "fine": self.fine.value.data,
            "coarse_group": self.coarse_group.value.data,
        }

    @property
    def kernel_size(self) -> tuple[int, int]:
        kh, kw = self.kernel.get_values()
        return kh, kw

    @property
    def has_forward(self) -> bool:
        """The side result carries the window's centre pixel unchanged."""
        return self.side is not None and self.side_weights is None

    @property
    def reuse_factor(self) -> int:
        """Temporal reuse: consecutive output pixels served by one weight fetch (1 when unset)."""
        return self.reuse.value.data if self.reuse is not None else 1

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        out = _stream(self.output, self, "result")
        _verify_window(self, inp, out)
        groups = self.groups.value.data
        c_in, c_out = inp.channels, out.channels
        if groups < 1 or c_in % groups or c_out % groups:
            raise VerifyException(
                f"{_who(self)}: groups = {groups} must divide both input channels ({c_in}) and output channels ({c_out})"
            )
        kh, kw = self.kernel_size
        _check_factor(self, "coarse_in", self.coarse_in.value.data, c_in // groups, "input channels per group")
        _check_factor(self, "coarse_out", self.coarse_out.value.data, c_out // groups, "output channels per group")
        _check_factor(self, "fine", self.fine.value.data, kh * kw, "kernel size Kh*Kw")
        _check_factor(self, "coarse_group", self.coarse_group.value.data, groups, "groups")
        _check_factor(self, "reuse", self.reuse_factor, out.width, "output width")
        _check_same_kind(self, inp, out, "input and result")
        if isinstance(inp.element_type, IntegerType) != isinstance(self.weight_type, IntegerType):
            raise VerifyException(
                f"{_who(self)}: weight_type {self.weight_type} does not match the input element type {inp.element_type}"
            )
        final = self.skip_requant if self.skip is not None else self.requant
        _check_requant(self, self.requant if self.skip is None else None, out)
        if self.skip is not None:
            skip = _stream(self.skip, self, "skip operand")
            if skip.dims != out.dims:
                raise VerifyException(
                    f"{_who(self)}: skip stream is {'x'.join(map(str, skip.dims))} but the result is "
                    f"{'x'.join(map(str, out.dims))}"
                )
            _check_same_kind(self, skip, out, "skip operand and result")
            _check_requant(self, self.skip_requant, out, "skip_requant")
        elif self.skip_requant is not None:
            raise VerifyException(f"{_who(self)}: skip_requant is set but there is no skip operand")
        if out.is_integer and final is None and out.bitwidth < 32:
            raise VerifyException(
                f"{_who(self)}: an integer conv without requant emits its accumulator and needs a result of "
                f"at least 32 bits, got {out.element_type}"
            )
        _check_activation(self, self.activation, out)
        self._verify_side(inp, out)

    def _verify_side(self, inp: StreamType, out: StreamType) -> None:
        side_props = [p for p in ("side_weights", "side_bias", "side_requant") if self.properties.get(p) is not None]
        if self.side is None:
            if side_props:
                raise VerifyException(f"{_who(self)}: {', '.join(side_props)} set but there is no side result")
            return
        side = _stream(self.side, self, "side result")
        kh, kw = self.kernel_size
        if kh % 2 == 0 or kw % 2 == 0:
            raise VerifyException(f"{_who(self)}: a side result needs an odd kernel with a centre pixel, got {kh}x{kw}")
        pad = _array_prop(self, "pad")
        if pad[0] != kh // 2 or pad[1] != kw // 2:
            raise VerifyException(
                f"{_who(self)}: a side result needs 'same' padding so the window centre is an input pixel, got {list(pad)}"
            )
        if (side.height, side.width) != (out.height, out.width):
            raise VerifyException(
                f"{_who(self)}: side result is {side.height}x{side.width} but the result is {out.height}x{out.width}"
            )
        if self.side_weights is None:
            if side.channels != inp.channels or side.element_type != inp.element_type:
                raise VerifyException(
                    f"{_who(self)}: a forwarded centre pixel has the input's channels and type "
                    f"({inp.channels}x{inp.element_type}), got {side.channels}x{side.element_type}"
                )
            if side_props:
                raise VerifyException(f"{_who(self)}: side_bias/side_requant need side_weights")
            return
        _check_same_kind(self, inp, side, "input and side result")
        _check_factor(self, "coarse_out", self.coarse_out.value.data, side.channels, "side result channels")
        _check_requant(self, self.side_requant, side, "side_requant")
        if side.is_integer and self.side_requant is None and side.bitwidth < 32:
            raise VerifyException(f"{_who(self)}: an integer side conv without side_requant needs a >= 32-bit result")


@irdl_op_definition
class LinearOp(DataflowOp):
    """A fully connected layer (matrix-vector unit).

    Reads the whole H x W x C input as one vector (HWC order: the frontend
    permutes ONNX's CHW-flattened weights to match) and writes `1x1xN`.
    Weights are `[N, H*W*C]`.  Hardware: `coarse_in` x `coarse_out`
    multipliers (FINN's SIMD x PE).  Epilogue: bias, requant, activation.
    """

    name = "dataflow.linear"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    weights = prop_def(StringAttr)
    bias = opt_prop_def(StringAttr)
    weight_type = prop_def(TypeAttribute)
    requant = opt_prop_def(RequantAttr)
    activation = opt_prop_def(ActivationAttr)
    coarse_in = prop_def(IntegerAttr[I64], default_value=_ONE)
    coarse_out = prop_def(IntegerAttr[I64], default_value=_ONE)

    assembly_format = _STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        weights: str,
        weight_type: Attribute,
        bias: str | None = None,
        requant: RequantAttr | None = None,
        activation: ActivationAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "weights": StringAttr(weights),
            "weight_type": weight_type,
            "bias": StringAttr(bias) if bias is not None else None,
            "requant": requant,
            "activation": activation,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties=_present(props),
        )

    def folding(self) -> dict[str, int]:
        return {"coarse_in": self.coarse_in.value.data, "coarse_out": self.coarse_out.value.data}

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        out = _stream(self.output, self, "result")
        if out.height != 1 or out.width != 1:
            raise VerifyException(f"{_who(self)}: result must be 1x1xN, got {'x'.join(map(str, out.dims))}")
        _check_factor(self, "coarse_in", self.coarse_in.value.data, inp.numel, "input features H*W*C")
        _check_factor(self, "coarse_out", self.coarse_out.value.data, out.channels, "output features")
        _check_same_kind(self, inp, out, "input and result")
        if inp.is_integer != isinstance(self.weight_type, IntegerType):
            raise VerifyException(
                f"{_who(self)}: weight_type {self.weight_type} does not match the input element type {inp.element_type}"
            )
        _check_requant(self, self.requant, out)
        if out.is_integer and self.requant is None and out.bitwidth < 32:
            raise VerifyException(
                f"{_who(self)}: an integer linear without requant emits its accumulator and needs a result of "
                f"at least 32 bits, got {out.element_type}"
            )
        _check_activation(self, self.activation, out)


POOL_MODES = ("max", "avg")


@irdl_op_definition
class PoolOp(ChannelParallelOp):
    """Max or average pooling over a sliding window.

    Average pooling divides by Kh*Kw (padding counts) in float; on integers
    it emits the window *sum* (so the result must be wide enough, or carry a
    `requant` whose multiplier includes 1/(Kh*Kw)): division is a rescale.
    Max pooling pads with the type's lowest value.  The optional
    `window_depth` is the depth, in windows, of the stream between the
    sliding window and the reduction (absent: the default 2-deep stream).
    """

    name = "dataflow.pool"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    mode = prop_def(StringAttr)
    kernel = prop_def(DenseArrayBase[I64])
    stride = prop_def(DenseArrayBase[I64])
    pad = prop_def(DenseArrayBase[I64])
    requant = opt_prop_def(RequantAttr)
    window_depth = opt_prop_def(IntegerAttr[I64])

    assembly_format = _STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        mode: str,
        kernel: Sequence[int],
        stride: Sequence[int] | None = None,
        pad: Sequence[int] = (0, 0, 0, 0),
        requant: RequantAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "mode": StringAttr(mode),
            "kernel": _i64_array(kernel),
            "stride": _i64_array(stride if stride is not None else kernel),
            "pad": _i64_array(pad),
            "requant": requant,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[input], result_types=[result_type], properties=_present(props)
        )

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        out = _stream(self.output, self, "result")
        if self.mode.data not in POOL_MODES:
            raise VerifyException(f"{_who(self)}: mode must be 'max' or 'avg', got '{self.mode.data}'")
        _verify_window(self, inp, out)
        if inp.channels != out.channels:
            raise VerifyException(f"{_who(self)}: pooling keeps channels ({inp.channels}) but the result has {out.channels}")
        self._check_coarse(inp.channels)
        _check_same_kind(self, inp, out, "input and result")
        if self.mode.data == "max":
            if self.requant is not None:
                raise VerifyException(f"{_who(self)}: max pooling does not rescale; remove 'requant'")
            if out.element_type != inp.element_type:
                raise VerifyException(f"{_who(self)}: max pooling keeps the element type {inp.element_type}")
        _check_requant(self, self.requant, out)


@irdl_op_definition
class GlobalPoolOp(ChannelParallelOp):
    """Global max or average pooling to `1x1xC` (the end of most CNNs).

    As for `dataflow.pool`, integer averaging emits the sum (or its requant).
    """

    name = "dataflow.global_pool"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    mode = prop_def(StringAttr)
    requant = opt_prop_def(RequantAttr)

    assembly_format = _STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        mode: str = "avg",
        requant: RequantAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "mode": StringAttr(mode),
            "requant": requant,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[input], result_types=[result_type], properties=_present(props)
        )

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        out = _stream(self.output, self, "result")
        if self.mode.data not in POOL_MODES:
            raise VerifyException(f"{_who(self)}: mode must be 'max' or 'avg', got '{self.mode.data}'")
        if out.dims != (1, 1, inp.channels):
            raise VerifyException(
                f"{_who(self)}: result must be 1x1x{inp.channels}, got {'x'.join(map(str, out.dims))}"
            )
        self._check_coarse(inp.channels)
        _check_same_kind(self, inp, out, "input and result")
        if self.mode.data == "max" and self.requant is not None:
            raise VerifyException(f"{_who(self)}: max pooling does not rescale; remove 'requant'")
        _check_requant(self, self.requant, out)


@irdl_op_definition
class AddOp(ChannelParallelOp):
    """Elementwise add of two equally shaped streams (a residual join).

    Integers: `lhs * lhs_mult + rhs * rhs_mult`, exact, then the optional
    requant; the multipliers align the two operands' scales.  Floats ignore
    the multipliers (they must be 1).  Hardware: a join that stalls whichever
    input arrives first, which is why skip FIFOs need depth.
    """

    name = "dataflow.add"

    lhs = operand_def(StreamType)
    rhs = operand_def(StreamType)
    output = result_def(StreamType)

    lhs_mult = prop_def(IntegerAttr[I64], default_value=_ONE)
    rhs_mult = prop_def(IntegerAttr[I64], default_value=_ONE)
    requant = opt_prop_def(RequantAttr)
    activation = opt_prop_def(ActivationAttr)

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)"

    def __init__(
        self,
        lhs: SSAValue,
        rhs: SSAValue,
        result_type: StreamType,
        *,
        lhs_mult: int = 1,
        rhs_mult: int = 1,
        requant: RequantAttr | None = None,
        activation: ActivationAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "lhs_mult": _i64(lhs_mult),
            "rhs_mult": _i64(rhs_mult),
            "requant": requant,
            "activation": activation,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(
            operands=[lhs, rhs], result_types=[result_type], properties=_present(props)
        )

    def verify_(self) -> None:
        lhs = _stream(self.lhs, self, "lhs")
        rhs = _stream(self.rhs, self, "rhs")
        out = _stream(self.output, self, "result")
        if not lhs.dims == rhs.dims == out.dims:
            raise VerifyException(
                f"{_who(self)}: operands and result must have the same shape, got "
                f"{'x'.join(map(str, lhs.dims))}, {'x'.join(map(str, rhs.dims))} -> {'x'.join(map(str, out.dims))}"
            )
        _check_same_kind(self, lhs, out, "lhs and result")
        _check_same_kind(self, rhs, out, "rhs and result")
        if not out.is_integer and (self.lhs_mult.value.data != 1 or self.rhs_mult.value.data != 1):
            raise VerifyException(f"{_who(self)}: lhs_mult/rhs_mult apply to integer streams only")
        self._check_coarse(out.channels)
        _check_requant(self, self.requant, out)
        _check_activation(self, self.activation, out)


@irdl_op_definition
class ConcatOp(ChannelParallelOp):
    """Concatenation along channels: per pixel, all of input 0's channels, then input 1's, ..."""

    name = "dataflow.concat"

    inputs = var_operand_def(StreamType)
    output = result_def(StreamType)

    assembly_format = _GENERAL_FORMAT

    def __init__(self, inputs: Sequence[SSAValue], result_type: StreamType, *, layer: str | None = None):
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    def verify_(self) -> None:
        out = _stream(self.output, self, "result")
        if len(self.inputs) < 2:
            raise VerifyException(f"{_who(self)}: needs at least two inputs, got {len(self.inputs)}")
        streams = [_stream(v, self, f"input {i}") for i, v in enumerate(self.inputs)]
        for i, s in enumerate(streams):
            if (s.height, s.width) != (out.height, out.width):
                raise VerifyException(
                    f"{_who(self)}: input {i} is {s.height}x{s.width} but the result is {out.height}x{out.width}"
                )
            if s.element_type != out.element_type:
                raise VerifyException(
                    f"{_who(self)}: input {i} has element type {s.element_type}, the result {out.element_type}"
                )
        total = sum(s.channels for s in streams)
        if total != out.channels:
            raise VerifyException(f"{_who(self)}: inputs have {total} channels in all but the result has {out.channels}")
        for s in streams:
            self._check_coarse(s.channels)


# --------------------------------------------------------------------------
# Stream plumbing and pointwise ops
# --------------------------------------------------------------------------


@irdl_op_definition
class ForkOp(ChannelParallelOp):
    """Explicit fan-out: copies one stream to N consumers.

    Hardware: a broadcast that advances only when every output can accept,
    so a slow consumer back-pressures all the others.
    """

    name = "dataflow.fork"

    input = operand_def(StreamType)
    outputs = var_result_def(StreamType)

    assembly_format = "$input attr-dict `:` type($input) `->` type($outputs)"

    def __init__(self, input: SSAValue, copies: int = 2, *, layer: str | None = None):
        super().__init__(
            operands=[input],
            result_types=[[input.type] * copies],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        if len(self.outputs) < 2:
            raise VerifyException(f"{_who(self)}: needs at least two results, got {len(self.outputs)}")
        for i, r in enumerate(self.outputs):
            if r.type != inp:
                raise VerifyException(f"{_who(self)}: result {i} has type {r.type}, expected the input type {inp}")
        self._check_coarse(inp.channels)


@irdl_op_definition
class BufferOp(DataflowOp):
    """A FIFO of `depth` elements (an `hls::stream` with a STREAM depth).

    Depth 0 is a wire (canonicalisation removes it).  Skip connections need
    depth so that the short branch does not stall the fork it shares with the
    long branch.
    """

    name = "dataflow.buffer"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    depth = prop_def(IntegerAttr[I64])

    assembly_format = _STREAM_FORMAT

    def __init__(self, input: SSAValue, depth: int, *, layer: str | None = None):
        props: dict[str, Attribute] = {"depth": _i64(depth)}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        if self.output.type != inp:
            raise VerifyException(f"{_who(self)}: result type {self.output.type} must equal the input type {inp}")
        if self.depth.value.data < 0:
            raise VerifyException(f"{_who(self)}: depth must be >= 0, got {self.depth.value.data}")


@irdl_op_definition
class RequantizeOp(ChannelParallelOp):
    """A standalone rescale from a wide integer (an accumulator) to a narrow one."""

    name = "dataflow.requantize"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    requant = prop_def(RequantAttr)

    assembly_format = _STREAM_FORMAT

    def __init__(self, input: SSAValue, result_type: StreamType, requant: RequantAttr, *, layer: str | None = None):
        props: dict[str, Attribute] = {"requant": requant}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        out = _stream(self.output, self, "result")
        if not inp.is_integer:
            raise VerifyException(f"{_who(self)}: input must be an integer stream, got {inp.element_type}")
        if inp.dims != out.dims:
            raise VerifyException(f"{_who(self)}: input and result shapes differ")
        self._check_coarse(inp.channels)
        _check_requant(self, self.requant, out)


@irdl_op_definition
class ActivationOp(ChannelParallelOp):
    """A standalone pointwise activation (ReLU, clip, leaky ReLU, sigmoid)."""

    name = "dataflow.activation"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    activation = prop_def(ActivationAttr)

    assembly_format = _STREAM_FORMAT

    def __init__(self, input: SSAValue, activation: ActivationAttr, *, layer: str | None = None):
        props: dict[str, Attribute] = {"activation": activation}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        if self.output.type != inp:
            raise VerifyException(f"{_who(self)}: result type {self.output.type} must equal the input type {inp}")
        self._check_coarse(inp.channels)
        _check_activation(self, self.activation, inp)


@irdl_op_definition
class SoftmaxOp(ChannelParallelOp):
    """Softmax over the channels of each pixel (float streams only)."""

    name = "dataflow.softmax"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    assembly_format = _STREAM_FORMAT

    def __init__(self, input: SSAValue, *, layer: str | None = None):
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        if inp.is_integer:
            raise VerifyException(f"{_who(self)}: softmax needs a float stream, got {inp.element_type}")
        if self.output.type != inp:
            raise VerifyException(f"{_who(self)}: result type {self.output.type} must equal the input type {inp}")
        self._check_coarse(inp.channels)


# --------------------------------------------------------------------------
# Early exits (ATHEENA)
# --------------------------------------------------------------------------

EXIT_FRAC_BITS = 16
"""Fractional bits of the fixed-point exp table of integer exit decisions (2^16 = probability 1)."""

EXIT_TABLE_MAX_ENTRIES = 256
"""Largest exp table of one integer `exit_decision`; wider logits are shifted right first."""


@dataclass(frozen=True)
class ExitRule:
    """The integer decision of a `dataflow.exit_decision` on integer logits, bit for bit.

    For logits `q_0 .. q_{N-1}` (integers of scale `s`, so `z_i = s * q_i`):

        d_i = q_max - q_i                                  (>= 0, exact)
        E_i = table[d_i >> shift] if (d_i >> shift) < len(table) else 0
        S   = sum_i E_i                                    (unsigned, exact)
        exit  <=>  S <= limit

    with `table[j] = floor(2^F * exp(-j * 2^shift * s) + 1/2)` (all entries
    positive, `table[0] = 2^F`), `limit = floor(2^F / threshold)` and
    `F = frac_bits`.  This is `max softmax >= threshold`, i.e.
    `sum_i exp(z_i - z_max) <= 1/threshold`, in fixed point: each term is off
    by at most 1/2 ulp (`2^-(F+1)`), so only samples whose confidence lies
    within about `N * 2^-(F+1) / threshold^2` of the threshold can be decided
    differently from exact arithmetic (and a right shift makes the rule
    conservative: it rounds differences down, so exp up).

    `exit_rule` is the only producer of the table and the limit; the
    interpreter and the HLS kernels both take them from here, so they agree
    bit for bit.  `S` needs `F + 1 + ceil(log2 N)` bits.
    """

    frac_bits: int
    shift: int
    table: tuple[int, ...]
    limit: int

    def confidence_sum(self, logits: Sequence[int]) -> int:
        """`S` for one sample's integer logits."""
        q_max = max(logits)
        total = 0
        for q in logits:
            j = (q_max - q) >> self.shift
            if j < len(self.table):
                total += self.table[j]
        return total

    def decide(self, logits: Sequence[int]) -> bool:
        """True when the sample leaves at this exit."""
        return self.confidence_sum(logits) <= self.limit

    def confidence_sums(self, logits):  # (..., N) integer ndarray -> (...) int64 ndarray
        """`S` for a batch of samples: integer array of shape (..., N) -> int64 array (...)."""
        import numpy as np

        q = np.asarray(logits, dtype=np.int64)
        j = (q.max(axis=-1, keepdims=True) - q) >> self.shift
        table = np.asarray(self.table + (0,), dtype=np.int64)
        return table[np.minimum(j, len(self.table))].sum(axis=-1)

    def decide_batch(self, logits):  # (..., N) integer ndarray -> (...) bool ndarray
        """`decide` for a batch of samples: integer array (..., N) -> bool array (...)."""
        return self.confidence_sums(logits) <= self.limit


def exit_rule(threshold: float, scale: float, logit_type: IntegerType, frac_bits: int = EXIT_FRAC_BITS) -> ExitRule:
    """The table, shift and limit of an integer exit decision (see `ExitRule`).

    `shift` is the smallest right shift of the logit differences that keeps
    the table within EXIT_TABLE_MAX_ENTRIES: 0 for 8-bit logits (at most 256
    differences) and for any logits whose exp underflows to 0 within 256
    steps of `scale`.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not (scale > 0.0 and math.isfinite(scale)):
        raise ValueError(f"scale must be positive and finite, got {scale}")
    lo, hi = int_range(logit_type)
    one = 1 << frac_bits
    shift = 0
    while True:
        reach = ((hi - lo) >> shift) + 1  # distinct values of d >> shift
        size = min(reach, EXIT_TABLE_MAX_ENTRIES)
        table: list[int] = []
        for j in range(size):
            entry = math.floor(one * math.exp(-j * scale * 2.0**shift) + 0.5)
            if entry == 0:
                break
            table.append(entry)
        if len(table) < size or reach <= EXIT_TABLE_MAX_ENTRIES:
            break
        shift += 1
    limit = math.floor(Fraction(one) / Fraction(threshold))
    return ExitRule(frac_bits, shift, tuple(table), limit)


def float_exit_decision(logits: Sequence[float], threshold: float) -> bool:
    """The decision on float logits: `sum_i exp(z_i - z_max) <= 1/threshold`, in float64.

    Float networks are not bit-exact across executions; a sample whose top
    probability is within rounding of the threshold may be decided either way.
    """
    z_max = max(logits)
    return math.fsum(math.exp(z - z_max) for z in logits) <= 1.0 / threshold


def _is_decision_stream(s: StreamType) -> bool:
    return s.dims == (1, 1, 1) and s.element_type == IntegerType(1)


DECISION_TYPE = StreamType((1, 1, 1), IntegerType(1))
"""`!dataflow.stream<1x1x1xi1>`: one exit decision per sample (1 = the sample leaves)."""


@irdl_op_definition
class ExitDecisionOp(DataflowOp):
    """Decides per sample whether an exit classifier is confident enough.

    Reads the exit's `1x1xN` logits and emits one `i1` per sample: 1 when the
    top softmax probability reaches `threshold` (the sample leaves here), 0
    when it must continue.  `max softmax >= t` is evaluated without a divider
    as `sum_i exp(z_i - z_max) <= 1/t`.  On integer logits `scale` is the
    logits' quantisation scale and the rule is `ExitRule` (a fixed-point exp
    table over logit differences, from `exit_rule`), exact and identical in
    the interpreter and the HLS kernel; on float logits it is
    `float_exit_decision`.  See docs/dialects/dataflow.md.
    """

    name = "dataflow.exit_decision"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    threshold = prop_def(FloatAttr)
    scale = opt_prop_def(FloatAttr)

    assembly_format = _STREAM_FORMAT

    def __init__(
        self, logits: SSAValue, threshold: float, *, scale: float | None = None, layer: str | None = None
    ):
        props: dict[str, Attribute] = {"threshold": FloatAttr(float(threshold), f64)}
        if scale is not None:
            props["scale"] = FloatAttr(float(scale), f64)
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[logits], result_types=[DECISION_TYPE], properties=props)

    @property
    def threshold_value(self) -> float:
        return self.threshold.value.data

    @property
    def scale_value(self) -> float | None:
        return None if self.scale is None else self.scale.value.data

    def rule(self) -> ExitRule | None:
        """The integer decision rule (None on float logits)."""
        inp = self.input.type
        assert isinstance(inp, StreamType)
        if not isinstance(inp.element_type, IntegerType):
            return None
        assert self.scale is not None
        return exit_rule(self.threshold_value, self.scale.value.data, inp.element_type)

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        out = _stream(self.output, self, "result")
        if inp.height != 1 or inp.width != 1:
            raise VerifyException(f"{_who(self)}: logits must be 1x1xN, got {'x'.join(map(str, inp.dims))}")
        if not _is_decision_stream(out):
            raise VerifyException(f"{_who(self)}: result must be !dataflow.stream<1x1x1xi1>, got {out}")
        t = self.threshold_value
        if not 0.0 < t <= 1.0:
            raise VerifyException(f"{_who(self)}: threshold must be in (0, 1], got {t}")
        if inp.is_integer and self.scale is None:
            raise VerifyException(f"{_who(self)}: integer logits need 'scale' to compare against a probability")
        if self.scale is not None:
            s = self.scale.value.data
            if not inp.is_integer:
                raise VerifyException(f"{_who(self)}: 'scale' applies to integer logits only, got {inp.element_type}")
            if not (s > 0.0 and math.isfinite(s)):
                raise VerifyException(f"{_who(self)}: scale must be positive and finite, got {s}")


@irdl_op_definition
class ConditionalBufferOp(DataflowOp):
    """Holds each sample's backbone features until its exit decision arrives.

    Per sample, reads one decision and the sample's whole frame of features.
    Decision 0 (continue): the frame is forwarded downstream.
    Decision 1 (exited): the frame is dropped.  `depth` is in elements and
    must cover the decision latency, or the backbone stalls
    (`split-exit-branches` sizes it; docs/passes/early_exit.md).
    """

    name = "dataflow.conditional_buffer"

    input = operand_def(StreamType)
    decision = operand_def(StreamType)
    output = result_def(StreamType)

    depth = prop_def(IntegerAttr[I64])

    assembly_format = "$input `,` $decision attr-dict `:` type($input) `,` type($decision) `->` type($output)"

    def __init__(self, input: SSAValue, decision: SSAValue, depth: int, *, layer: str | None = None):
        props: dict[str, Attribute] = {"depth": _i64(depth)}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input, decision], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        inp = _stream(self.input, self, "input")
        dec = _stream(self.decision, self, "decision")
        if not _is_decision_stream(dec):
            raise VerifyException(f"{_who(self)}: decision must be !dataflow.stream<1x1x1xi1>, got {dec}")
        if self.output.type != inp:
            raise VerifyException(f"{_who(self)}: result type {self.output.type} must equal the input type {inp}")
        if self.depth.value.data < 1:
            raise VerifyException(f"{_who(self)}: depth must be >= 1, got {self.depth.value.data}")


@irdl_op_definition
class ExitMergeOp(DataflowOp):
    """Collects every sample's result from whichever exit it left at.

    Operands are `(result, decision)` for each early exit in exit order, then
    the final exit's result.  Per sample, in sample order: read exit 0's
    result and decision; if the decision is 1, emit that result and index 0;
    otherwise discard it and do the same with exit 1, ..., and emit the final
    result (index K-1) when every early exit said continue.  The decisions are
    the sample ids: they say which exit holds each sample's result, so the
    output keeps the input order even though early exits finish first.
    Emits the merged result and the index of the exit each sample took.
    """

    name = "dataflow.exit_merge"

    inputs = var_operand_def(StreamType)
    output = result_def(StreamType)
    exit_index = result_def(StreamType)

    assembly_format = _GENERAL_FORMAT

    def __init__(
        self,
        exits: Sequence[tuple[SSAValue, SSAValue]],
        final: SSAValue,
        *,
        index_type: IntegerType | None = None,
        layer: str | None = None,
    ):
        operands: list[SSAValue] = [v for pair in exits for v in pair] + [final]
        index = StreamType((1, 1, 1), index_type if index_type is not None else IntegerType(8))
        super().__init__(
            operands=[operands],
            result_types=[final.type, index],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    @property
    def num_exits(self) -> int:
        """Exits in all, the final one included."""
        return (len(self.inputs) + 1) // 2

    def exit_results(self) -> list[SSAValue]:
        """The result operand of each exit, in exit order (the final one last)."""
        return [self.inputs[i] for i in range(0, len(self.inputs), 2)]

    def decisions(self) -> list[SSAValue]:
        """The decision operand of each early exit, in exit order."""
        return [self.inputs[i] for i in range(1, len(self.inputs), 2)]

    def verify_(self) -> None:
        out = _stream(self.output, self, "result")
        n = len(self.inputs)
        if n < 3 or n % 2 == 0:
            raise VerifyException(
                f"{_who(self)}: operands are (result, decision) per early exit then the final result; got {n}"
            )
        for i, v in enumerate(self.inputs):
            s = _stream(v, self, f"operand {i}")
            if i % 2 == 0 and s != out:
                raise VerifyException(f"{_who(self)}: exit result {i // 2} has type {s}, the merged result {out}")
            if i % 2 == 1 and not _is_decision_stream(s):
                raise VerifyException(f"{_who(self)}: operand {i} must be a decision stream 1x1x1xi1, got {s}")
        idx = _stream(self.exit_index, self, "exit_index result")
        if idx.dims != (1, 1, 1) or not idx.is_integer:
            raise VerifyException(f"{_who(self)}: exit_index must be a 1x1x1 integer stream, got {idx}")
        lo, hi = int_range(idx.element_type)  # type: ignore[arg-type]
        if hi < self.num_exits - 1:
            raise VerifyException(
                f"{_who(self)}: exit_index type {idx.element_type} cannot hold exit {self.num_exits - 1}"
            )


Dataflow = Dialect(
    "dataflow",
    [
        ConvOp,
        LinearOp,
        PoolOp,
        GlobalPoolOp,
        AddOp,
        ConcatOp,
        ForkOp,
        BufferOp,
        RequantizeOp,
        ActivationOp,
        SoftmaxOp,
        ExitDecisionOp,
        ConditionalBufferOp,
        ExitMergeOp,
    ],
    [StreamType, RequantAttr, ActivationAttr],
)
