"""Kernel signatures of elementwise kernels: add, requantize, activation, softmax (eltwise.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import ACT_PARAMS, INT, REQUANT, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "add": KernelSpec(
        "eltwise.h",
        ("lhs", "rhs"),
        ("out",),
        (),
        {"lhs_t": TYPE, "rhs_t": TYPE, "out_t": TYPE, "epi_t": TYPE, "rq_t": REQUANT}
        | {k: INT for k in ("N", "L", "LHS_MULT", "RHS_MULT")}
        | ACT_PARAMS,
    ),
    "requantize": KernelSpec(
        "eltwise.h", ("in",), ("out",), (), {"in_t": TYPE, "out_t": TYPE, "rq_t": REQUANT, "N": INT, "L": INT}
    ),
    "activation": KernelSpec(
        "eltwise.h", ("in",), ("out",), (), {"in_t": TYPE, "epi_t": TYPE, "N": INT, "L": INT} | ACT_PARAMS
    ),
    "softmax": KernelSpec("eltwise.h", ("in",), ("out",), (), {"in_t": TYPE, "PIX": INT, "C": INT, "L": INT}),
}
