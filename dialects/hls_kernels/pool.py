"""Kernel signatures of windowed and global pooling (pool.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import FLOAT, INT, REQUANT, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "pool": KernelSpec(
        "pool.h",
        ("window",),
        ("out",),
        (),
        {"in_t": TYPE, "out_t": TYPE, "acc_t": TYPE, "epi_t": TYPE, "rq_t": REQUANT}
        | {k: INT for k in ("OH", "OW", "C", "L", "KP", "MODE")},
    ),
    # average pooling that divides each window by its real pixels (ONNX count_include_pad = 0)
    "pool_exclude_pad": KernelSpec(
        "pool.h",
        ("window",),
        ("out",),
        (),
        {"in_t": TYPE, "out_t": TYPE, "acc_t": TYPE, "epi_t": TYPE, "rq_t": REQUANT}
        | {k: INT for k in ("OH", "OW", "C", "L", "KP", "MODE", "H", "W", "KH", "KW", "SH", "SW", "PT", "PL")},
    ),
    # the same mean in the QDQ reference's float32 arithmetic (dataflow.pool's qdq_scales)
    "pool_exclude_pad_qdq": KernelSpec(
        "pool.h",
        ("window",),
        ("out",),
        (),
        {"in_t": TYPE, "out_t": TYPE}
        | {k: INT for k in ("OH", "OW", "C", "L", "KP", "H", "W", "KH", "KW", "SH", "SW", "PT", "PL", "ZP_IN")}
        | {"S_IN": FLOAT, "S_OUT": FLOAT}
        | {k: INT for k in ("ZP_OUT", "LO", "HI")},
    ),
    "global_pool": KernelSpec(
        "pool.h",
        ("in",),
        ("out",),
        (),
        {"in_t": TYPE, "out_t": TYPE, "acc_t": TYPE, "epi_t": TYPE, "rq_t": REQUANT}
        | {k: INT for k in ("PIX", "C", "L", "MODE")},
    ),
}
