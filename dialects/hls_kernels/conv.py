"""Kernel signatures of the convolutions and their fused forms: residual skip, forwarded side output, merged 1x1 (conv.h)."""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels.spec import ACT_PARAMS, INT, REQUANT, TYPE, KernelSpec

_CONV_PARAMS = {
    "in_t": TYPE,
    "out_t": TYPE,
    "acc_t": TYPE,
    "epi_t": TYPE,
    "skip_t": TYPE,
    "side_t": TYPE,
    "side_acc_t": TYPE,
    "rq_t": REQUANT,
    "skip_rq_t": REQUANT,
    "side_rq_t": REQUANT,
    "OH": INT,
    "OW": INT,
    "KP": INT,
    "CENTRE": INT,
    "GROUPS": INT,
    "CG": INT,
    "CIN_G": INT,
    "CI": INT,
    "COUT_G": INT,
    "CO": INT,
    "FINE": INT,
    "TERMS": INT,
    "wt_t": TYPE,
    "sum_t": TYPE,
    "PL": INT,
    "R": INT,
    "PACK": INT,
    "WB": INT,
    "BB": INT,
    "HAS_SKIP": INT,
    "ACC_MULT": INT,
    "SKIP_MULT": INT,
    "SIDE": INT,
    "C_SIDE": INT,
    **ACT_PARAMS,
}


def _conv_spec(skip: bool, side: str | None) -> KernelSpec:
    ins = ("window", "skip") if skip else ("window",)
    outs = ("out", "side") if side else ("out",)
    tables = ("weights", "bias?", "side_weights", "side_bias?") if side == "merged" else ("weights", "bias?")
    return KernelSpec("conv.h", ins, outs, tables, _CONV_PARAMS)


KERNELS: dict[str, KernelSpec] = {
    "conv": _conv_spec(False, None),
    "conv_skip": _conv_spec(True, None),
    "conv_fwd": _conv_spec(False, "forward"),
    "conv_skip_fwd": _conv_spec(True, "forward"),
    "conv_merged": _conv_spec(False, "merged"),
    "conv_skip_merged": _conv_spec(True, "merged"),
}
