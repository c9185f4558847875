"""Helpers for the simulator tests: small IR modules from text, with inline weights."""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from fpga_opt.dialects.dataflow import Dataflow


def parse(text: str) -> ModuleOp:
    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


def dense(array: np.ndarray, element: str) -> str:
    """An MLIR dense literal for `array` with element type `element`."""
    a = np.asarray(array)
    shape = "x".join(str(d) for d in a.shape)
    if element.startswith("f"):
        body = np.array2string(
            a.astype(np.float64), separator=", ", threshold=1 << 30, floatmode="unique", max_line_width=1 << 30
        )
    else:
        body = np.array2string(a.astype(np.int64), separator=", ", threshold=1 << 30, max_line_width=1 << 30)
    return f"dense<{body}> : tensor<{shape}x{element}>"


def module_text(
    body: str, args: str, results: str, weights: dict[str, tuple[np.ndarray, str]] | None = None, attrs: str = ""
) -> str:
    """`builtin.module` with one `func.func @f` and the tensors inlined."""
    inline = ""
    if weights:
        entries = ", ".join(f'"{k}" = {dense(v, t)}' for k, (v, t) in weights.items())
        inline = f" attributes {{dataflow.inline_weights = {{{entries}}}}}"
    extra = f" attributes {{{attrs}}}" if attrs else ""
    return f"builtin.module{inline} {{\nfunc.func @f({args}) -> ({results}){extra} {{\n{body}\n}}\n}}\n"


def s(h: int, w: int, c: int, t: str = "i8") -> str:
    return f"!dataflow.stream<{h}x{w}x{c}x{t}>"


BINARY_NET = """builtin.module {
  func.func @net(%x: !dataflow.stream<6x6x2xui8>) -> !dataflow.stream<1x1x3xi32> {
    %b = dataflow.threshold %x {thresholds = "in.t"} : !dataflow.stream<6x6x2xui8> -> !dataflow.stream<6x6x2xui1>
    %c = dataflow.xnor_conv %b {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", thresholds = "c.t"} : !dataflow.stream<6x6x2xui1> -> !dataflow.stream<4x4x4xui1>
    %p = dataflow.pool %c {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<4x4x4xui1> -> !dataflow.stream<2x2x4xui1>
    %l = dataflow.lut_linear %p {k = 4 : i64, luts = 5 : i64, indices = "l.i", tables = "l.tab", thresholds = "l.t"} : !dataflow.stream<2x2x4xui1> -> !dataflow.stream<1x1x8xui1>
    %y = dataflow.xnor_linear %l {weights = "f.w"} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<1x1x3xi32>
    func.return %y : !dataflow.stream<1x1x3xi32>
  }
}"""
"""Every binarised op in one small network (threshold, XNOR conv, max pool of bits, LUT layer, XNOR classifier)."""


def binary_net_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Random tensors for BINARY_NET, thresholds inside their popcount ranges so that outputs vary."""
    rng = np.random.default_rng(seed)
    return {
        "in.t": np.array([100, 150]),
        "c.w": rng.integers(0, 2, (4, 2, 3, 3)),
        "c.t": rng.integers(3, 16, 4),
        "l.i": rng.integers(0, 16, (8, 5, 4)),
        "l.tab": rng.integers(0, 2, (8, 5, 16)),
        "l.t": rng.integers(1, 5, 8),
        "f.w": rng.integers(0, 2, (3, 8)),
    }
