"""The HLS lowering's registry and the kernel headers its modules name.

Every dataflow op has a lowering in `LOWERINGS`, and every module of
passes/lower_dataflow_to_hls/ that instantiates kernels says which, by header:
`KERNEL_HEADERS = {"conv.h": ("conv", ...)}`.  Each header named must exist in the
kernel library, be copied into the project and included by kernels.h, and define each
named kernel as a function template; and every kernel the lowering emits must be named
by some module, so a new op's lowering cannot forget its header.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

from hls_csim_support import parse
from test_emitted_code import assemble_module, lowered
from test_exits_hls import lowered_design, three_exit_module
from test_kernels_csim import FLOAT_CASES, assemble

import fpga_opt.passes.lower_dataflow_to_hls as package
from fpga_opt.backend.hls.emit import HEADER_FILES, header_dir, header_text
from fpga_opt.dialects.dataflow import Dataflow
from fpga_opt.dialects.hls import KernelOp
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS


def lowering_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
    ]


def declared() -> dict[str, set[str]]:
    """Header -> the kernels the lowering modules say they take from it."""
    headers: dict[str, set[str]] = {}
    for module in lowering_modules():
        for header, kernels in getattr(module, "KERNEL_HEADERS", {}).items():
            headers.setdefault(header, set()).update(kernels)
    return headers


def templates(text: str) -> set[str]:
    """Names of the function templates a header defines."""
    return set(re.findall(r"template\s*<[^<>]*>\s*(?:inline\s+)?void\s+(\w+)\s*\(", text))


def test_every_dataflow_op_has_a_lowering():
    assert not LOWERINGS.missing(Dataflow.operations)


def test_every_module_with_lowerings_names_its_kernel_headers():
    families = {entry.__module__ for entry in LOWERINGS.entries.values()}
    assert families == {
        f"{package.__name__}.{f}" for f in ("conv", "linear", "pool", "eltwise", "stream", "exits", "binary", "weights")
    }
    for name in families:
        assert getattr(importlib.import_module(name), "KERNEL_HEADERS", None), f"{name} names no kernel headers"


def test_named_headers_exist_and_define_their_kernels():
    kernels_h = header_text("kernels.h")
    for header, kernels in declared().items():
        assert (header_dir() / "fpga_opt" / header).is_file(), f"{header} is not in backend/hls/include/fpga_opt/"
        assert header in HEADER_FILES, f"the emitter does not copy {header} into the project"
        assert f'#include "{header}"' in kernels_h, f"kernels.h does not include {header}"
        missing = kernels - templates(header_text(header))
        assert not missing, f"{header} defines no kernel template {sorted(missing)}"


def test_every_emitted_kernel_is_named_by_a_lowering_module():
    float_kernels = parse(assemble(FLOAT_CASES, "float_kernels"))
    designs = [lowered(assemble_module()), lowered(float_kernels), lowered_design(three_exit_module())]
    emitted = {k.kernel.data for design in designs for k in design.walk() if isinstance(k, KernelOp)}
    named = set().union(*declared().values())
    assert {"conv_skip_merged", "squeeze", "exit_merge_chain", "conditional_buffer_gated", "softmax"} <= emitted
    assert emitted <= named, f"kernels no lowering module names a header for: {sorted(emitted - named)}"
