"""Exact arithmetic in the HLS kernels: accumulator widths and the 64-bit epilogue's limits.

Integer accumulators are exact: `acc_t` holds the largest possible sum (input range x weight
range x terms), so no partial sum ever wraps, whatever the weights.  The epilogue works in
64-bit integers (`epi_t = i64`), so every value reaching a requant must stay below 2^32 in
magnitude for `x * multiplier` to be exact; a layer that could break either rule is refused.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerType, NoneType, f32
from xdsl.ir import Attribute

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.errors import FpgaOptError

EPILOGUE_TYPE = IntegerType(64)
"""`epi_t` of every integer kernel."""

FLOAT_TYPE = f32
"""What float networks accumulate and compute in."""

REQUANT_INPUT_LIMIT = 2**32
"""Values reaching a requant must be smaller in magnitude, so that `x * multiplier` fits 64 bits."""

BIAS_BOUND = 2**31
"""Largest magnitude of a 32-bit bias word."""


def max_abs(t: Attribute) -> int:
    """Largest magnitude of an integer type's values."""
    assert isinstance(t, IntegerType)
    lo, hi = df.int_range(t)
    return max(-lo, hi)


def acc_type(bound: int, what: str) -> IntegerType:
    """The narrowest signed type holding every integer in [-bound, bound] (at most 64 bits)."""
    bits = max(bound.bit_length() + 1, 2)
    if bits > 64:
        raise FpgaOptError(f"{what}: the exact accumulator needs {bits} bits, more than 64")
    return IntegerType(bits)


def check_requant_input(bound: int, what: str, requant: df.RequantAttr | None = None) -> None:
    """Refuse a requant whose input may reach 2^32 in magnitude.

    With `requant` given, the exact rule instead: `(|x| + |offset|) * multiplier + |fine_bias|` below
    2^63 (an add whose operand multipliers carry the scales has 42-bit inputs and multiplier 1).
    """
    if requant is not None:
        product = (bound + abs(requant.offset.data)) * max(requant.multipliers)
        if product + max((abs(b) for b in requant.fine_biases), default=0) < 2**63:
            return
        raise FpgaOptError(
            f"{what}: values reaching the requant may be as large as {bound}, so (x + offset) * multiplier "
            "could overflow 64 bits in the HLS kernel"
        )
    if bound >= REQUANT_INPUT_LIMIT:
        raise FpgaOptError(
            f"{what}: values reaching the requant may be as large as {bound} (>= 2^32), so "
            "x * multiplier could overflow 64 bits in the HLS kernel"
        )


def bias_type(integer: bool) -> Attribute:
    """Bias words: 32-bit integers, or f32 in a float network."""
    return IntegerType(32) if integer else FLOAT_TYPE


def table_bytes(element: Attribute) -> int:
    """Bytes one value of an integer weight table takes in the emitted byte string (types.h
    `table_at`): the smallest of 1, 2, 4, 8 that holds it (4 for a float, read from a float table)."""
    if not isinstance(element, IntegerType):
        return 4
    for size in (1, 2, 4, 8):
        if element.width.data <= 8 * size:
            return size
    raise FpgaOptError(f"a weight table of {element} values: no C++ integer holds more than 64 bits")


def or_none(attr: Attribute | None) -> Attribute:
    """An optional kernel parameter (requant, activation): the attribute, or `none` when absent."""
    return attr if attr is not None else NoneType()
