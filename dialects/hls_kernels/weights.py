"""Kernel signatures of off-chip weights: a DRAM burst reader and an OVSF generator, writing a layer's weight words (weights.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import INT, INTS, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "dram_read": KernelSpec(
        "weights.h", (), ("words",), ("memory",), {"T": TYPE, "WORDS": INT, "LANES": INT, "READS": INT}
    ),
    "ovsf_generate": KernelSpec(
        "weights.h",
        (),
        ("words",),
        ("coefficients", "codes"),
        {"T": TYPE, "VIEW": INTS, "PERM": INTS}
        | {
            k: INT for k in ("WORDS", "LANES", "READS", "NDIM", "CIN", "KP", "BLOCK", "K", "LOG_L", "SHIFT", "LO", "HI")
        },
    ),
}
