"""The design a tool reads: an IR file, or an ONNX model imported on the fly (as fpga-opt does).

Every tool that takes a design takes `model.onnx` wherever it takes
`model.mlir`: the ONNX model is imported in memory with its weights (no
sidecar written), as `fpga-translate --import-onnx` would import it.
"""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from fpga_opt.dialects.parsing import load_module
from fpga_opt.dialects.weights import WeightStore


def is_onnx(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".onnx"


def load_design(path: str | Path) -> tuple[ModuleOp, WeightStore]:
    """The verified module of `path` (.mlir, or .onnx imported) and its weights."""
    if is_onnx(path):
        from fpga_opt.frontend.onnx_import import import_onnx

        imported = import_onnx(path)
        return imported.module, WeightStore(dict(imported.weights), None)
    module = load_module(path)
    return module, WeightStore.for_module(module, Path(path).parent)
