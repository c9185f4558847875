"""`minimize-residual-buffers`: size skip FIFOs to what timing needs, and let skips reuse line buffers.

A residual block forks its input x: the long branch convolves it, the skip
branch carries it to the join (a `dataflow.add`, or a conv whose `skip`
operand `merge-loops` folded the add into).  The join can only consume skip
pixel p once the long branch has produced pixel p, and a hardware fork only
advances when every reader accepts, so the skip path must buffer whatever the
long branch has not caught up with.  A naive design buffers the whole H*W*C
tensor; the real need is the long branch's window fill, about
`(K-1)*W*C + (K-1)*C + C` elements for two KxK convs.  Rewrites:

* **Centre-pixel forward.**  When the skip path reads x from a fork (through
  buffers, if any) and the first conv of the long branch also reads x from
  that fork, has an odd kernel with 'same' padding and stride 1 (its window
  centre is pixel (i, j) of x, and its output has x's height and width), the
  conv re-emits its window centre on a `side` result and the skip reads that
  instead: the fork loses a reader (and disappears when one is left), and the
  skip FIFO only has to cover the rest of the long branch, because the first
  conv's line buffer already holds the rows in between.
* **FIFO sizing.**  Every join's skip operand gets one `dataflow.buffer`
  right before the join (inserted if missing; back-to-back buffers there
  become one) whose depth, in elements, is computed by
  `passes/analysis/residual.py`: the exact number of skip elements waiting at
  the join at the worst moment (from each op's window geometry, independent
  of folding), plus what the fork writes while the long branch computes its
  last pixel at the current folding (per-pixel compute and pipeline latency
  from the layer cost models, at the network's steady rate), plus `margin`
  whole pixels for pixel-at-a-time burstiness, rounded up to words of the
  join's lanes.  Buffers further up a skip path (e.g. in front of a
  downsample conv) are left as they are.

The skip operand of an add is the operand whose branch is ahead: measured
from the point where the branches part, the other operand's pixels need more
of the input on average.  The long branch needs no FIFO.  Run it after
`select-folding` for exact depths; depths depend on folding only through the
small timing term (docs/passes/resnet.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Block, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import GreedyRewritePatternApplier, PatternRewriteWalker
from xdsl.rewriter import InsertPoint, Rewriter

from fpga_opt.backend.costs import CostContext
from fpga_opt.dialects.dataflow import AddOp, BufferOp, ConvOp, DataflowOp, ForkOp, StreamType
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.residual import (
    SkipSizing,
    branch_ops,
    find_origin,
    is_same_window,
    network_interval,
    size_skip_fifo,
    strip_buffers,
    topological_sort,
)
from fpga_opt.passes.dataflow_canonicalize import PruneForkResults
from fpga_opt.passes.merge_loops import conv_operands, conv_results, rebuild


def set_operand(op: Operation, index: int, value: SSAValue) -> None:
    operands = list(op.operands)
    operands[index] = value
    op.operands = operands


def joins(block: Block) -> list[DataflowOp]:
    """Residual joins: adds, and convs with a folded skip."""
    return [op for op in block.ops if isinstance(op, AddOp) or (isinstance(op, ConvOp) and op.skip is not None)]


def skip_candidates(join: Operation) -> list[SSAValue]:
    """Operands of `join` that may be its skip: a conv's `skip`, either operand of an add."""
    if isinstance(join, ConvOp):
        return [join.skip] if join.skip is not None else []
    return list(join.operands)


# --------------------------------------------------------------------------------------
# Centre-pixel forward
# --------------------------------------------------------------------------------------


def _long_operand(join: Operation, skip: SSAValue) -> SSAValue | None:
    if isinstance(join, ConvOp):
        return join.input
    others = [v for v in join.operands if v != skip]
    return others[0] if len(others) == 1 else None


def forward_candidate(join: Operation, skip: SSAValue) -> tuple[ConvOp, OpResult] | None:
    """The first conv of the long branch that can forward its window centre onto `skip`.

    Returns (conv, the fork result the skip path reads) or None.
    """
    source, _ = strip_buffers(skip)
    if not isinstance(source, OpResult) or not isinstance(source.op, ForkOp):
        return None
    fork = source.op
    long_value = _long_operand(join, skip)
    if long_value is None:
        return None
    ops = branch_ops(long_value, fork.input)
    if isinstance(join, ConvOp):
        ops = [join, *ops]
    # The op reading the fork (through buffers) is the last one before the walk reaches the fork.
    first = None
    for op in ops:
        if isinstance(op, ForkOp):
            break
        first = op
        src, _ = strip_buffers(op.operands[0]) if op.operands else (None, [])
        if isinstance(src, OpResult) and src.op is fork:
            break
    else:
        return None
    if not isinstance(first, ConvOp) or first is join or first.side is not None:
        return None
    src, _ = strip_buffers(first.input)
    if not isinstance(src, OpResult) or src.op is not fork or src == source:
        return None
    if not is_same_window(first):
        return None
    inp, out = first.input.type, first.output.type
    assert isinstance(inp, StreamType) and isinstance(out, StreamType)
    if first.stride_size != (1, 1) or (inp.height, inp.width) != (out.height, out.width):
        return None
    if skip.type != inp:
        return None
    return first, source


def _next_forward(block: Block) -> tuple[Operation, SSAValue, ConvOp] | None:
    for join in joins(block):
        for skip in skip_candidates(join):
            found = forward_candidate(join, skip)
            if found is not None:
                return join, skip, found[0]
    return None


def forward_centre_pixels(block: Block) -> int:
    """Apply the centre-pixel forward to every join that allows it; returns how many."""
    rewriter = Rewriter()
    count = 0
    # One at a time, re-reading the joins: a rewritten conv may itself be another block's join.
    while (found := _next_forward(block)) is not None:
        join, skip, conv = found
        _, buffers = strip_buffers(skip)
        new = rebuild(
            conv,
            operands=conv_operands(conv, conv.skip),
            result_types=conv_results(conv, conv.output.type, conv.input.type),
        )
        rewriter.replace_op(conv, new, [new.results[0]])
        set_operand(join, list(join.operands).index(skip), new.results[1])
        for buffer in buffers:  # nearest the join first: each is unread once the next goes
            if not buffer.output.uses:
                rewriter.erase_op(buffer)
        count += 1
    if count:
        region = block.parent_region()
        assert region is not None
        PatternRewriteWalker(GreedyRewritePatternApplier([PruneForkResults()], dce_enabled=False)).rewrite_region(
            region
        )
        topological_sort(block)
    return count


# --------------------------------------------------------------------------------------
# FIFO sizing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkipFifo:
    """One sized skip FIFO (for reports and tests)."""

    join: Operation
    buffer: BufferOp
    sizing: SkipSizing


def _best_skip(join: DataflowOp, interval: int, margin: int, ctx: CostContext):
    best = None
    for skip in skip_candidates(join):
        lanes = join.input_lanes(list(join.operands).index(skip))
        source, _ = strip_buffers(skip)
        long_value = _long_operand(join, skip)
        if long_value is None:
            continue
        point = find_origin(join.input if isinstance(join, ConvOp) else long_value, source)
        if point is None:
            continue
        sizing = size_skip_fifo(join, skip, point, interval=interval, lanes=lanes, margin_pixels=margin, ctx=ctx)
        if sizing is None or sizing.lead <= 0:
            continue  # this operand's branch is the long one
        if best is None or sizing.lead > best[1].lead:
            best = (skip, sizing)
    return best


def size_skip_fifos(block: Block, *, margin: int = 1, ctx: CostContext | None = None) -> list[SkipFifo]:
    """Put one FIFO of the computed depth on every join's skip operand."""
    ctx = ctx or CostContext()
    interval = network_interval(block.ops, ctx)
    rewriter = Rewriter()
    sized: list[SkipFifo] = []
    for join in joins(block):
        best = _best_skip(join, interval, margin, ctx)
        if best is None:
            continue
        skip, sizing = best
        source, buffers = strip_buffers(skip)
        index = list(join.operands).index(skip)
        if buffers:
            keep = buffers[0]
            keep.depth = IntegerAttr(sizing.depth, i64)
            if keep.input != source:
                set_operand(keep, 0, source)
                for extra in buffers[1:]:
                    if not extra.output.uses:
                        rewriter.erase_op(extra)
        else:
            keep = BufferOp(source, sizing.depth)
            name = join.properties.get("layer")
            if name is not None:
                keep.layer = type(name)(f"{name.data}.skip")  # type: ignore[attr-defined]
            rewriter.insert_op(keep, InsertPoint.before(join))
            set_operand(join, index, keep.output)
        sized.append(SkipFifo(join, keep, sizing))
    return sized


# --------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinimizeResidualBuffersPass(ModulePass):
    """Size every skip FIFO to the long branch's real lead, and forward window centres onto skip streams."""

    name = "minimize-residual-buffers"

    forward_centre: bool = True
    """Let the first conv of a block re-emit its window centre as the skip stream (removing the fork)."""

    margin: int = 1
    """Extra whole pixels of the skip stream on top of the computed depth (burstiness of pixel-at-a-time producers)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.margin < 0:
            raise FpgaOptError(f"minimize-residual-buffers: margin must be >= 0, got {self.margin}")
        for f in list(op.walk()):
            if not isinstance(f, func.FuncOp) or not f.body.blocks:
                continue
            block = f.body.blocks.first
            assert block is not None
            topological_sort(block)
            if self.forward_centre:
                forward_centre_pixels(block)
            size_skip_fifos(block, margin=self.margin)
