"""Attributes of the `dataflow` dialect: requantisation and activation."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatData,
    IntAttr,
    IntegerType,
    StringAttr,
)
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.irdl import (
    irdl_attr_definition,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.types import int_range

builtins_max, builtins_min = builtins.max, builtins.min

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


def _parse_key_values(parser: AttrParser, what: str) -> dict[str, int | float | str | list[int]]:
    """Parse `<key = value, ...>` where values are integers, floats, strings or `[int, ...]` lists."""
    values: dict[str, int | float | str | list[int]] = {}

    def parse_entry() -> None:
        key = parser.parse_identifier(f" in {what}")
        parser.parse_punctuation("=", f" after '{key}' in {what}")
        text = parser.parse_optional_str_literal()
        if text is not None:
            values[key] = text
        elif parser.parse_optional_punctuation("[") is not None:
            items: list[int] = []
            if parser.parse_optional_punctuation("]") is None:
                items.append(parser.parse_integer(f" in the list '{key}' of {what}"))
                while parser.parse_optional_punctuation(",") is not None:
                    items.append(parser.parse_integer(f" in the list '{key}' of {what}"))
                parser.parse_punctuation("]", f" to end the list '{key}' in {what}")
            values[key] = items
        else:
            values[key] = parser.parse_number(f" for '{key}' in {what}")

    parser.parse_comma_separated_list(parser.Delimiter.ANGLE, parse_entry)
    return values


_REQUANT_FIELDS = ("multiplier", "shift", "offset", "fine_bias", "zero_point", "min", "max", "rounding")
MULTIPLIER_LIMIT = 2**31
"""Multipliers are at most 31 bits: `x * multiplier` of a 32-bit value fits 64 bits exactly."""
OFFSET_LIMIT = 2**32
"""`offset` is below 2^32 in magnitude: `(x + offset) * multiplier` stays in 64 bits."""
OFFSET_LIMIT_UNSCALED = 2**48
"""With multiplier 1 (an add whose operand multipliers carry the scales, frontend/emit.py) the sum is not
multiplied again; its zero-point offset may reach 2^48 (uint8 zero points times 31-bit multipliers: 2^40)."""
FINE_BIAS_LIMIT = 2**31
"""A fine bias is below 2^31 in magnitude: added to `x * multiplier` (below 2^63 - 2^32) it stays in 64 bits."""


def fine_bias_limit(shift: int) -> int:
    """The bound a fine bias stays strictly below in magnitude: 2^31 (`FINE_BIAS_LIMIT`) and half an
    output LSB (2^(shift-1)), so the requant of 0 is still the zero point."""
    return builtins_min(FINE_BIAS_LIMIT, 1 << builtins_max(shift - 1, 0))


@irdl_attr_definition
class RequantAttr(ParametrizedAttribute):
    """Integer rescaling: `clamp(round(((x + offset) * multiplier + fine_bias) / 2**shift) + zero_point, min, max)`.

    The product is computed exactly (64-bit), then rounded as `rounding` says,
    offset by `zero_point` and saturated to [min, max].  A fused ReLU raises
    `min` to the zero point.  This is the only way an integer value changes
    scale in the IR, so the interpreter and the HLS kernels agree bit for bit.

    `offset` (default 0, printed only when set) is an integer added before the
    product: it removes input zero points that no bias can absorb (an add or
    an average of asymmetric inputs: `-(zp_a*lhs_mult + zp_b*rhs_mult)`,
    `-count*zp_in`).  `multiplier` is one integer (per tensor) or a list with
    one per output channel (`multiplier = [m0, m1, ...]`, per-channel weight
    scales); the shift is shared, so a per-channel requant is a table of
    multipliers in front of the same rounding shifter.

    `fine_bias` (empty by default, printed only when set) is one integer per
    output channel added to the product before the rounding shift: the part of
    a bias finer than one accumulator LSB.  A QDQ graph's bias is `b_q * s_b`
    with `s_b` the float32 rounding of `s_in * s_w`, not `s_in * s_w` itself, so
    the integer bias in the accumulator is off by a fraction of an LSB; this
    term carries that fraction at the product's resolution (2^-shift of an
    output LSB), which is what makes the layer round as the QDQ formula does
    in exact arithmetic (docs/frontend.md).  It is smaller than half an output
    LSB (`|fine_bias| < 2^(shift-1)`), so the requant of 0 is still the zero
    point, and below 2^31, so the sum stays within 64 bits.
    """

    name = "dataflow.requant"

    multiplier: IntAttr
    """Per tensor: the multiplier.  Per channel: the largest of `channel_multipliers`."""
    shift: IntAttr
    offset: IntAttr
    zero_point: IntAttr
    min: IntAttr
    max: IntAttr
    rounding: StringAttr
    channel_multipliers: ArrayAttr[IntAttr]
    """Empty per tensor; else one multiplier per output channel."""
    fine_bias: ArrayAttr[IntAttr]
    """Empty, or one integer per output channel added to the product before the shift."""

    def __init__(
        self,
        multiplier: int | Sequence[int],
        shift: int,
        *,
        offset: int = 0,
        zero_point: int = 0,
        min: int = -128,
        max: int = 127,
        rounding: str = "half_even",
        fine_bias: Sequence[int] = (),
    ):
        if isinstance(multiplier, int):
            scalar, channels = multiplier, ()
        else:
            channels = tuple(int(m) for m in multiplier)
            scalar = builtins_max(channels) if channels else 0
        super().__init__(
            IntAttr(scalar),
            IntAttr(shift),
            IntAttr(offset),
            IntAttr(zero_point),
            IntAttr(min),
            IntAttr(max),
            StringAttr(rounding),
            ArrayAttr([IntAttr(m) for m in channels]),
            ArrayAttr([IntAttr(int(b)) for b in fine_bias]),
        )

    # -- what the concerns ask ------------------------------------------------
    @property
    def per_channel(self) -> bool:
        return bool(self.channel_multipliers.data)

    @property
    def fine_biases(self) -> tuple[int, ...]:
        """The per-channel fine bias (module docstring), or () when there is none."""
        return tuple(b.data for b in self.fine_bias.data)

    @property
    def channelwise(self) -> bool:
        """Whether some constant differs per output channel (multipliers or fine bias)."""
        return self.per_channel or bool(self.fine_bias.data)

    @property
    def multipliers(self) -> tuple[int, ...]:
        """One multiplier per output channel, or a single one for the whole tensor."""
        if self.per_channel:
            return tuple(m.data for m in self.channel_multipliers.data)
        return (self.multiplier.data,)

    def replace(self, **changes: int | str | Sequence[int]) -> RequantAttr:
        """A copy with some fields changed (`min`, `max`, `zero_point`, `multiplier`, ...)."""
        fields: dict = {
            "multiplier": self.multipliers if self.per_channel else self.multiplier.data,
            "shift": self.shift.data,
            "offset": self.offset.data,
            "zero_point": self.zero_point.data,
            "min": self.min.data,
            "max": self.max.data,
            "rounding": self.rounding.data,
            "fine_bias": self.fine_biases,
        }
        fields.update(changes)
        multiplier, shift = fields.pop("multiplier"), fields.pop("shift")
        return RequantAttr(multiplier, shift, **fields)

    def apply(self, x: int, channel: int = 0) -> int:
        """The requant of one integer (of output channel `channel`), exactly as fpga-sim computes it."""
        m = self.multipliers[channel if self.per_channel else 0]
        p = (x + self.offset.data) * m + (self.fine_biases[channel] if self.fine_bias.data else 0)
        s = self.shift.data
        if s == 0:
            q = p
        else:
            q, r = divmod(p, 1 << s)
            half = 1 << (s - 1)
            mode = self.rounding.data
            if mode == "half_up":
                q += r >= half
            elif mode == "half_even":
                q += r > half or (r == half and q & 1 == 1)
            elif mode == "half_away":
                q += r > half or (r == half and p >= 0)
        y = q + self.zero_point.data
        return builtins_min(builtins_max(y, self.min.data), self.max.data)

    # -- text form -------------------------------------------------------------
    def print_parameters(self, printer: Printer) -> None:
        if self.per_channel:
            multiplier = "[" + ", ".join(str(m) for m in self.multipliers) + "]"
        else:
            multiplier = str(self.multiplier.data)
        offset = f"offset = {self.offset.data}, " if self.offset.data else ""
        if self.fine_bias.data:
            offset += "fine_bias = [" + ", ".join(str(b) for b in self.fine_biases) + "], "
        printer.print_string(
            f"<multiplier = {multiplier}, shift = {self.shift.data}, {offset}"
            f"zero_point = {self.zero_point.data}, min = {self.min.data}, "
            f'max = {self.max.data}, rounding = "{self.rounding.data}">'
        )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values = _parse_key_values(parser, "#dataflow.requant")
        unknown = set(values) - set(_REQUANT_FIELDS)
        if unknown:
            parser.raise_error(f"#dataflow.requant has no field(s) {sorted(unknown)}; expected {list(_REQUANT_FIELDS)}")
        defaults: dict = {
            "offset": 0,
            "zero_point": 0,
            "min": -128,
            "max": 127,
            "rounding": "half_even",
            "fine_bias": [],
        }
        for key in ("multiplier", "shift"):
            if key not in values:
                parser.raise_error(f"#dataflow.requant needs '{key}'")
        merged = defaults | values
        multiplier = merged.pop("multiplier")
        if isinstance(multiplier, list):
            if not multiplier:
                parser.raise_error("#dataflow.requant 'multiplier' list is empty")
        elif not isinstance(multiplier, int):
            parser.raise_error("#dataflow.requant 'multiplier' must be an integer or a list of integers")
        for key in ("shift", "offset", "zero_point", "min", "max"):
            if not isinstance(merged[key], int):
                parser.raise_error(f"#dataflow.requant '{key}' must be an integer")
        if not isinstance(merged["rounding"], str):
            parser.raise_error("#dataflow.requant 'rounding' must be a string")
        fine = merged["fine_bias"]
        if not isinstance(fine, list) or not all(isinstance(b, int) for b in fine):
            parser.raise_error("#dataflow.requant 'fine_bias' must be a list of integers")
        shift = merged.pop("shift")
        return RequantAttr(multiplier, shift, **merged).parameters

    def verify(self) -> None:
        if self.rounding.data not in ROUNDING_MODES:
            raise VerifyException(
                f"#dataflow.requant rounding must be one of {', '.join(ROUNDING_MODES)}, got '{self.rounding.data}'"
            )
        if not 0 <= self.shift.data <= 62:
            raise VerifyException(f"#dataflow.requant shift must be in [0, 62], got {self.shift.data}")
        for m in self.multipliers:
            if m <= 0 or m >= MULTIPLIER_LIMIT:
                raise VerifyException(f"#dataflow.requant multiplier must be in [1, 2^31), got {m}")
        if self.per_channel and self.multiplier.data != builtins_max(self.multipliers):
            raise VerifyException("#dataflow.requant: a per-channel requant's scalar multiplier is the largest one")
        offset_limit = OFFSET_LIMIT_UNSCALED if self.multipliers == (1,) else OFFSET_LIMIT
        if not -offset_limit < self.offset.data < offset_limit:
            bound = "2^48 (multiplier 1)" if offset_limit == OFFSET_LIMIT_UNSCALED else "2^32"
            raise VerifyException(
                f"#dataflow.requant offset must be below {bound} in magnitude, got {self.offset.data}"
            )
        if self.min.data > self.max.data:
            raise VerifyException(f"#dataflow.requant min ({self.min.data}) is greater than max ({self.max.data})")
        limit = fine_bias_limit(self.shift.data)
        for b in self.fine_biases:
            if not -limit < b < limit:
                raise VerifyException(
                    f"#dataflow.requant fine_bias must be below 2^(shift-1) and 2^31 in magnitude, got {b}"
                )

    def fits(self, t: Attribute) -> bool:
        """Whether [min, max] lies within the range of integer type `t`."""
        if not isinstance(t, IntegerType):
            return False
        lo, hi = int_range(t)
        return lo <= self.min.data and self.max.data <= hi

    def check_channels(self, channels: int) -> str | None:
        """Why this requant cannot scale a result of `channels` channels (None when it can)."""
        if self.per_channel and len(self.multipliers) != channels:
            return f"has {len(self.multipliers)} per-channel multipliers for {channels} channels"
        if self.fine_bias.data and len(self.fine_biases) != channels:
            return f"has {len(self.fine_biases)} fine biases for {channels} channels"
        return None


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
            raise VerifyException(f"#dataflow.act kind must be one of {', '.join(ACTIVATIONS)}, got '{self.kind.data}'")
        if self.kind.data == "clip" and self.lo_value > self.hi_value:
            raise VerifyException(f"#dataflow.act clip has lo ({self.lo.data}) > hi ({self.hi.data})")
