"""Argument checks of the pure layer formulas (`conv_cost`, `pool_cost`, ...).

The formulas are internal functions of plain keyword-only ints: an argument
the IR verifiers would have rejected (a folding factor that does not divide
its dimension, a kernel larger than its input) is a programming error there,
so it raises `ValueError`.  Users see the verifier's `FpgaOptError` instead.
"""

from __future__ import annotations

from fpga_opt.backend.target.resources import DSP_MULTIPLIER_WIDTHS
from fpga_opt.dialects.dataflow import window_output_size


def positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def non_negative(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")


def divides(factor_name: str, factor: int, dim_name: str, dim: int) -> None:
    if dim % factor:
        raise ValueError(f"{factor_name}={factor} does not divide {dim_name}={dim}")


def at_most(factor_name: str, factor: int, dim_name: str, dim: int) -> None:
    if factor > dim:
        raise ValueError(f"{factor_name}={factor} exceeds {dim_name}={dim}")


def known_dsp_type(dsp_type: str) -> None:
    if dsp_type not in DSP_MULTIPLIER_WIDTHS:
        raise ValueError(f"unknown DSP type '{dsp_type}'")


def float32_operands(float32: bool, **bits: int) -> None:
    if float32 and any(b != 32 for b in bits.values()):
        raise ValueError(f"float32 datapath needs 32-bit operands, got {bits}")


def output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int, dilation: int = 1) -> int:
    """`window_output_size` along one axis for a (dilated) kernel, which must fit the padded input."""
    out = window_output_size(size, dilation * (kernel - 1) + 1, stride, pad_before, pad_after)
    if out < 1:
        raise ValueError(
            f"kernel {kernel} (dilation {dilation}) is larger than the padded input {size}+{pad_before}+{pad_after}"
        )
    return out
