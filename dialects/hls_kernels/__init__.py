"""The kernel library's interface: every templated kernel `vhls.kernel` may name, one module per header.

A new op family adds its header's signatures as one module here (beside its header in
backend/hls/include/fpga_opt/ and its lowering in passes/lower_dataflow_to_hls/) and one import line.
"""

from __future__ import annotations

from fpga_opt.dialects.hls_kernels import binary, conv, eltwise, exits, linear, pool, stream, weights, window
from fpga_opt.dialects.hls_kernels.spec import ACT, ACT_PARAMS, FLOAT, INT, INTS, REQUANT, TYPE, KernelSpec


def _merge(*families) -> dict[str, KernelSpec]:
    merged: dict[str, KernelSpec] = {}
    for family in families:
        for name, spec in family.KERNELS.items():
            if name in merged:
                raise ValueError(f"kernel '{name}' is declared twice (in {family.__name__})")
            merged[name] = spec
    return merged


KERNELS: dict[str, KernelSpec] = _merge(window, conv, pool, linear, eltwise, stream, exits, weights, binary)
"""Every kernel of the header library, by the name `vhls.kernel` uses."""

__all__ = ["ACT", "ACT_PARAMS", "FLOAT", "INT", "INTS", "KERNELS", "REQUANT", "TYPE", "KernelSpec"]
