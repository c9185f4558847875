"""Kernel signatures of early exits: decisions, conditional buffers, merges (exits.h); the gates of later stages: see `GATED_ATTR`."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import FLOAT, INT, INTS, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "exit_decision": KernelSpec(
        "exits.h",
        ("in",),
        ("out",),
        (),
        {"in_t": TYPE, "N": INT, "SHIFT": INT, "TABLE_LEN": INT, "LIMIT": INT, "TABLE": INTS},
    ),
    "exit_decision_float": KernelSpec("exits.h", ("in",), ("out",), (), {"in_t": TYPE, "N": INT, "LIMIT": FLOAT}),
    "conditional_buffer": KernelSpec(
        "exits.h", ("in", "decision"), ("out", "gate*"), (), {"T": TYPE, "L": INT, "N": INT}
    ),
    "conditional_buffer_gated": KernelSpec(
        "exits.h", ("in", "decision", "reach"), ("out", "gate*"), (), {"T": TYPE, "L": INT, "N": INT}
    ),
    "exit_merge": KernelSpec(
        "exits.h",
        ("early", "decision", "later"),
        ("out", "index"),
        (),
        {"T": TYPE, "IDX_T": TYPE, "N": INT, "EXIT": INT, "LATER": INT},
    ),
    "exit_merge_chain": KernelSpec(
        "exits.h",
        ("early", "decision", "later", "later_index"),
        ("out", "index"),
        (),
        {"T": TYPE, "IDX_T": TYPE, "N": INT, "EXIT": INT},
    ),
}
