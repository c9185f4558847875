"""The frontend's registry: the handler of each ONNX op, and which dataflow ops each can yield.

One set of registrations, two views:

* `HANDLERS`: ONNX op (as `handler_key` spells it) -> the function that lowers
  a node of it.  The walk (lowering.py) dispatches on it.
* `IMPORTED`: this concern's `OpRegistry` (dialects/registry.py), keyed by
  dataflow op: the ONNX ops whose import can emit it.  The dataflow ops the
  frontend never emits are exempt, with the reason, so that a new op of the
  dialect is either imported from somewhere or says why not.

A handler module registers with

    @handles("Gemm", "MatMul", produces=[LinearOp])
    def gemm(ctx: ImportContext, node: Node) -> Value: ...

`produces` lists every dataflow op that importing such a node may emit: the
ops named (`layer`) after the node, also when they are emitted later (a Conv
waits for the QuantizeLinear that closes its epilogue; an integer average pool
with no QuantizeLinear after it emits a Relu fused into it as `<pool>.act`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import onnx

from fpga_opt.dialects.dataflow import (
    BufferOp,
    ConditionalBufferOp,
    DataflowOp,
    ExitDecisionOp,
    ExitMergeOp,
    ForkOp,
    WeightsGeneratorOp,
    WeightStreamOp,
)
from fpga_opt.dialects.registry import OpRegistry
from fpga_opt.frontend.context import ImportContext, Node
from fpga_opt.frontend.values import Value

Handler = Callable[[ImportContext, Node], Value | list[Value]]

HANDLERS: dict[str, Handler] = {}
"""ONNX op (`handler_key`) -> its handler."""

IMPORTED: OpRegistry[tuple[str, ...]] = OpRegistry("ONNX import", "frontend/handlers")
"""Dataflow op -> the ONNX ops (`handler_key`s) whose import can emit it."""

FAN_OUT = "<fan-out>"
"""The source of `dataflow.fork`: the builder forks every value with several readers, whatever its ONNX op."""

JOIN = "<join>"
"""The source of `dataflow.buffer`: the builder buffers the faster branches into every join (add, concat)."""

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")


def handler_key(node: onnx.NodeProto) -> str:
    """Ops are looked up by type; QONNX ops by `qonnx.<type>` so they cannot shadow ONNX ones."""
    if node.domain in QONNX_DOMAINS or node.domain.startswith("qonnx"):
        return f"qonnx.{node.op_type}"
    if node.domain in ("", "ai.onnx", "com.microsoft"):
        return node.op_type
    return f"{node.domain}.{node.op_type}"


def handles(*onnx_ops: str, produces: Iterable[type[DataflowOp]]) -> Callable[[Handler], Handler]:
    """Decorator: the function handles `onnx_ops`, whose import may emit the dataflow ops `produces`."""
    produced = tuple(produces)

    def register(fn: Handler) -> Handler:
        for onnx_op in onnx_ops:
            if onnx_op in HANDLERS:
                raise ValueError(f"ONNX op {onnx_op} already has a handler")
            HANDLERS[onnx_op] = fn
            for op_type in produced:
                _source(op_type, onnx_op)
        return fn

    return register


def _source(op_type: type[DataflowOp], onnx_op: str) -> None:
    # Several ONNX ops yield one dataflow op (Conv and BatchNormalization a conv), so the entry grows;
    # `OpRegistry.register` takes one entry per op.
    IMPORTED.entries[op_type] = (*IMPORTED.entries.get(op_type, ()), onnx_op)


_source(ForkOp, FAN_OUT)
_source(BufferOp, JOIN)
_BUILT_BY_SPLIT = "an early-exit model imports as one result per exit; split-exit-branches builds its exits"
IMPORTED.exempt(ExitDecisionOp, _BUILT_BY_SPLIT)
IMPORTED.exempt(ConditionalBufferOp, _BUILT_BY_SPLIT)
IMPORTED.exempt(ExitMergeOp, _BUILT_BY_SPLIT)
_BUILT_BY_PLACEMENT = "weights live in the sidecar on import; place-weights builds their providers"
IMPORTED.exempt(WeightStreamOp, _BUILT_BY_PLACEMENT)
IMPORTED.exempt(WeightsGeneratorOp, _BUILT_BY_PLACEMENT)
