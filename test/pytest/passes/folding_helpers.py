"""Shared helpers of the cost-model and folding tests: parse IR, import the corpus, run the passes."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.parser import Parser
from xdsl.printer import Printer

from fpga_opt.dialects.dataflow import Dataflow

REPO = Path(__file__).resolve().parents[3]
MODELS = REPO / "examples/models"
CORPUS = sorted(p.stem for p in MODELS.glob("*.onnx"))

TWO_CONVS = """
func.func @two_convs(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<1x1x10xi8> {
  %c1 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x16xi8>
  %c2 = dataflow.conv %c1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv2"} : (!dataflow.stream<16x16x16xi8>) -> !dataflow.stream<16x16x16xi8>
  %g = dataflow.global_pool %c2 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap"} : !dataflow.stream<16x16x16xi8> -> !dataflow.stream<1x1x16xi8>
  %y = dataflow.linear %g {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "fc"} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
"""


def context() -> Context:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    ctx.load_dialect(Dataflow)
    return ctx


def parse(text: str) -> ModuleOp:
    module = Parser(context(), text).parse_module()
    module.verify()
    return module


def print_ir(module: ModuleOp) -> str:
    from io import StringIO

    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue()


def have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@cache
def corpus_text(name: str) -> str:
    """The IR of corpus model `name` (examples/models/<name>.onnx), imported by the frontend."""
    from fpga_opt.frontend.onnx_import import import_onnx, module_text

    return module_text(import_onnx(MODELS / f"{name}.onnx").module)


def corpus_module(name: str) -> ModuleOp:
    return parse(corpus_text(name))
