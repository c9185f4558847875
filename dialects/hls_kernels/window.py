"""Kernel signatures of the sliding window (line buffer) that feeds every windowed kernel (sliding_window.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import INT, TYPE, KernelSpec

_GEOMETRY = ("H", "W", "C", "KH", "KW", "SH", "SW", "PT", "PL", "PB", "PR", "L", "PAD_LOWEST", "PAD_VALUE")

KERNELS: dict[str, KernelSpec] = {
    "sliding_window": KernelSpec(
        "sliding_window.h", ("in",), ("window",), (), {"in_t": TYPE, **{k: INT for k in _GEOMETRY}}
    ),
    # a dilated conv's window: the KH x KW taps are DH rows and DW columns apart
    "dilated_sliding_window": KernelSpec(
        "sliding_window.h", ("in",), ("window",), (), {"in_t": TYPE, **{k: INT for k in (*_GEOMETRY, "DH", "DW")}}
    ),
}
