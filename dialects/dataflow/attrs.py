"""Attributes of the `dataflow` dialect: requantisation and activation."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
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
            raise VerifyException(f"#dataflow.requant multiplier must be in [1, 2^31), got {self.multiplier.data}")
        if self.min.data > self.max.data:
            raise VerifyException(f"#dataflow.requant min ({self.min.data}) is greater than max ({self.max.data})")

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
            raise VerifyException(f"#dataflow.act kind must be one of {', '.join(ACTIVATIONS)}, got '{self.kind.data}'")
        if self.kind.data == "clip" and self.lo_value > self.hi_value:
            raise VerifyException(f"#dataflow.act clip has lo ({self.lo.data}) > hi ({self.hi.data})")
