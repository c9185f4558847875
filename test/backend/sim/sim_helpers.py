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
