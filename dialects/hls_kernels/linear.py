"""Kernel signatures of the dense layer (linear.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import ACT_PARAMS, INT, REQUANT, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "linear": KernelSpec(
        "linear.h",
        ("in",),
        ("out",),
        ("weights", "bias?"),
        {"in_t": TYPE, "out_t": TYPE, "acc_t": TYPE, "epi_t": TYPE, "wt_t": TYPE, "rq_t": REQUANT}
        | {k: INT for k in ("NIN", "NOUT", "CI", "CO", "PACK", "WB", "BB")}
        | ACT_PARAMS,
    ),
}
