"""Kernel signatures of the sliding window (line buffer) that feeds every windowed kernel (sliding_window.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import INT, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "sliding_window": KernelSpec(
        "sliding_window.h",
        ("in",),
        ("window",),
        (),
        {
            "in_t": TYPE,
            **{
                k: INT
                for k in ("H", "W", "C", "KH", "KW", "SH", "SW", "PT", "PL", "PB", "PR", "L", "PAD_LOWEST", "PAD_VALUE")
            },
        },
    ),
}
