"""Kernel signatures of the binarised layers, LUTNet's tiled form (binary.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import INT, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "threshold": KernelSpec(
        "binary.h", ("in",), ("out",), ("thresholds",), {"in_t": TYPE, "cmp_t": TYPE, "N": INT, "C": INT, "L": INT}
    ),
    "xnor_linear": KernelSpec(
        "binary.h",
        ("in",),
        ("out",),
        ("weights", "thresholds?"),
        {"out_t": TYPE, "cnt_t": TYPE} | {k: INT for k in ("N", "THRESHOLDED", "NIN", "NOUT", "CI", "CO")},
    ),
    "xnor_conv": KernelSpec(
        "binary.h",
        ("window",),
        ("out",),
        ("weights", "thresholds?"),
        {"out_t": TYPE, "cnt_t": TYPE}
        | {k: INT for k in ("N", "THRESHOLDED", "OH", "OW", "KP", "CIN", "CI", "COUT", "CO", "FINE")},
    ),
    "lut_linear": KernelSpec(
        "binary.h",
        ("in",),
        ("out",),
        ("indices", "tables", "thresholds?"),
        {"out_t": TYPE, "cnt_t": TYPE} | {k: INT for k in ("N", "THRESHOLDED", "NIN", "NOUT", "CI", "CO", "K", "LUTS")},
    ),
}
