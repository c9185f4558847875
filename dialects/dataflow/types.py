"""Stream types and element types of the `dataflow` dialect."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from xdsl.dialects.builtin import (
    AnyFloat,
    ArrayAttr,
    IntAttr,
    IntegerType,
    TypeAttribute,
)
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.irdl import (
    irdl_attr_definition,
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
        check_int_width(self.element_type, "!dataflow.stream element type")


def element_bitwidth(t: Attribute) -> int:
    """Bit width of an integer or float element type."""
    if isinstance(t, IntegerType):
        return t.width.data
    if isinstance(t, AnyFloat):
        return t.bitwidth
    raise ValueError(f"not a numeric type: {t}")


MAX_INT_WIDTH = 64
"""Widest integer element: fpga-sim and the cost models compute in 64-bit integers."""


def check_int_width(t: Attribute, what: str) -> None:
    """A VerifyException for an integer type wider than MAX_INT_WIDTH (or 0 bits)."""
    if isinstance(t, IntegerType) and not 1 <= t.width.data <= MAX_INT_WIDTH:
        raise VerifyException(f"{what} {t} is not supported: integers are 1 to {MAX_INT_WIDTH} bits wide")


def int_range(t: IntegerType) -> tuple[int, int]:
    """The value range of a signless/signed (two's complement) or unsigned integer type."""
    from xdsl.dialects.builtin import Signedness

    check_int_width(t, "integer type")
    w = t.width.data
    if t.signedness.data == Signedness.UNSIGNED:
        return 0, 2**w - 1
    return -(2 ** (w - 1)), 2 ** (w - 1) - 1
