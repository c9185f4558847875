"""`dataflow-canonicalize`: remove plumbing that does nothing in hardware.

This is the worked example for writing a pass: small patterns, each matching
one op type and doing one rewrite, then a frozen-dataclass `ModulePass` that
applies them to a fixed point.  Copy its shape for new passes.

Rewrites:
* a zero-depth `dataflow.buffer` is a wire: replace it by its input;
* two back-to-back buffers are one FIFO of the summed depth;
* a `dataflow.requantize` that multiplies by 1, shifts by 0, adds no zero
  point and saturates no value of its input type is the identity;
* `dataflow.fork` results nobody reads are dropped; a fork left with one
  reader is replaced by its input.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerType, ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from fpga_opt.dialects.dataflow import BufferOp, ForkOp, RequantizeOp, int_range


class EraseZeroDepthBuffer(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BufferOp, rewriter: PatternRewriter) -> None:
        if op.depth.value.data == 0:
            rewriter.replace(op, [], [op.input])


class MergeBackToBackBuffers(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BufferOp, rewriter: PatternRewriter) -> None:
        producer = op.input.owner
        if not isinstance(producer, BufferOp) or not op.input.has_one_use():
            return
        merged = BufferOp(producer.input, producer.depth.value.data + op.depth.value.data)
        if op.layer is not None:
            merged.layer = op.layer
        rewriter.replace(op, merged)
        rewriter.erase(producer)


class EraseIdentityRequantize(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: RequantizeOp, rewriter: PatternRewriter) -> None:
        rq = op.requant
        if op.input.type != op.output.type:
            return
        if rq.channelwise or (rq.multiplier.data, rq.shift.data, rq.offset.data, rq.zero_point.data) != (1, 0, 0, 0):
            return
        element = op.input.type.element_type
        assert isinstance(element, IntegerType)
        lo, hi = int_range(element)
        if rq.min.data <= lo and rq.max.data >= hi:
            rewriter.replace(op, [], [op.input])


class PruneForkResults(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ForkOp, rewriter: PatternRewriter) -> None:
        used = [r for r in op.outputs if r.uses]
        if len(used) == len(op.outputs):
            return
        if len(used) <= 1:
            rewriter.replace(op, [], [op.input] * len(op.outputs))
            return
        smaller = ForkOp(op.input, len(used))
        smaller.coarse = op.coarse
        if op.layer is not None:
            smaller.layer = op.layer
        new_results = iter(smaller.outputs)
        rewriter.replace(op, smaller, [next(new_results) if r.uses else None for r in op.outputs])


@dataclass(frozen=True)
class DataflowCanonicalizePass(ModulePass):
    """Erase zero-depth buffers, merge back-to-back buffers, drop identity requantises and unused fork outputs."""

    name = "dataflow-canonicalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = [EraseZeroDepthBuffer(), MergeBackToBackBuffers(), EraseIdentityRequantize(), PruneForkResults()]
        # DCE stays off: dataflow ops are hardware, and deleting an unused one
        # silently would hide a bug upstream.
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns, dce_enabled=False)).rewrite_module(op)
