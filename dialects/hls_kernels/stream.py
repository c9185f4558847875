"""Kernel signatures of stream plumbing: fork, concat, lane squeeze (stream_ops.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import INT, TYPE, KernelSpec

KERNELS: dict[str, KernelSpec] = {
    "fork": KernelSpec("stream_ops.h", ("in",), ("out*",), (), {"N": INT}),
    "concat": KernelSpec(
        "stream_ops.h", ("in0", "in1"), ("out",), (), {"T": TYPE, "PIX": INT, "C0": INT, "C1": INT, "L": INT}
    ),
    "squeeze": KernelSpec(
        "stream_ops.h", ("in",), ("out",), (), {"T": TYPE, "NUM": INT, "IL": INT, "OL": INT, "GCD": INT}
    ),
}
