"""Residual-block analysis: which pixels each stream needs, and how deep a skip FIFO must be.

`minimize-residual-buffers` sizes the FIFO on the short (skip) branch of every
residual join.  Its depth is the largest number of skip-stream elements that
are produced but not yet consumed while the long branch waits for its input.
This module computes that in two parts (docs/passes/resnet.md has the
derivation):

1. **Data dependence, exact and rate-independent.**  For every stream `v`
   downstream of an *origin* stream `x` (the tensor the fork or the first conv
   of the block reads), `need(v)[p]` is the last pixel of `x`, in raster
   order, that must have arrived before pixel `p` of `v` can be produced.  A
   windowed op's output pixel `(i, j)` needs its window's bottom-right input
   pixel `(i*s_h - pad_t + K_h - 1, j*s_w - pad_l + K_w - 1)` (clamped to the
   frame; `WindowedOp.window_last_inputs`); pointwise ops need the same pixel;
   whole-frame ops (`WholeFrameOp`: global pooling, linear layers) need the
   whole frame.  Streams are in raster order, so `need` is a running
   maximum.  When the long branch needs pixel `need_long[p]` of `x` to emit
   its pixel `p`, the skip FIFO holds every skip pixel already available
   (`need_skip[q] <= need_long[p]`) minus the `p` already consumed; the
   largest such count is the depth below which the design deadlocks, at any
   folding.  For two 3x3 'same' convs on a W x C tensor it is about
   `2W + 3` pixels, i.e. `(K-1)*W*C + (K-1)*C + C` elements (DESIGN.md).

2. **Timing slack, from the op cost models.**  After its last input arrives
   the long branch still computes: per layer one output pixel (`per_pixel`
   cycles) plus the multiplier / adder / I/O pipeline.  During that time the
   fork keeps writing the skip stream at the network's steady rate
   (`numel / interval` elements per cycle, the interval being the slowest
   layer's cycles per frame).  Those elements are added to the depth, plus a
   margin of whole skip pixels for the burstiness of pixel-at-a-time
   producers.

The cost numbers come from the ops' cost interface,
`backend/costs/` (the same rates and depths `select-folding` and
`fpga-sim` use), through `post_window_latency` and `network_interval`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import ceil

import networkx as nx
import numpy as np
from xdsl.ir import Block, Operation, OpResult, SSAValue

from fpga_opt.backend import costs as lm
from fpga_opt.backend.costs import REFERENCE_CONTEXT, CostContext, has_cost_model, op_cost
from fpga_opt.dialects.dataflow import (
    ActivationOp,
    BufferOp,
    ConvOp,
    ForkOp,
    RequantizeOp,
    StreamType,
    WholeFrameOp,
    WindowedOp,
)

# --------------------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------------------


def stream_of(value: SSAValue) -> StreamType:
    assert isinstance(value.type, StreamType), value.type
    return value.type


def strip_buffers(value: SSAValue) -> tuple[SSAValue, list[BufferOp]]:
    """Follow `value` back through `dataflow.buffer`s: (the first non-buffer value, the buffers passed).

    The buffers are listed from `value` backwards.
    """
    buffers: list[BufferOp] = []
    while isinstance(value, OpResult) and isinstance(value.op, BufferOp):
        buffers.append(value.op)
        value = value.op.input
    return value, buffers


def fork_of(value: SSAValue) -> ForkOp | None:
    """The fork whose result `value` is (through buffers), if any."""
    source, _ = strip_buffers(value)
    if isinstance(source, OpResult) and isinstance(source.op, ForkOp):
        return source.op
    return None


def single_user(value: SSAValue) -> Operation | None:
    """The one operation reading `value`, or None if it has zero or several uses."""
    if len(value.uses) != 1:
        return None
    return next(iter(value.uses)).operation


def is_same_window(op: WindowedOp) -> bool:
    """An odd, undilated kernel whose top/left padding puts the window centre on an input pixel."""
    kh, kw = op.kernel_size
    top, left, _, _ = op.padding
    return kh % 2 == 1 and kw % 2 == 1 and top == kh // 2 and left == kw // 2 and op.dilation_size == (1, 1)


def topological_sort(block: Block) -> None:
    """Reorder `block` so that every operand is defined before its use (stable otherwise).

    Rewrites that move a result onto another op (a side result, a folded skip)
    may leave a user above its new producer; this restores SSA dominance.
    """
    ops = list(block.ops)
    position = {op: i for i, op in enumerate(ops)}
    # op -> the ops it reads, both in block order: a depth-first post-order then places each op's
    # producers (earliest first) right before it, and leaves an already valid order as it is.
    needs = nx.DiGraph()
    needs.add_nodes_from(ops)
    for op in ops:
        deps = {v.op for v in op.operands if isinstance(v, OpResult) and v.op in position}
        needs.add_edges_from((op, dep) for dep in sorted(deps, key=position.__getitem__))
    order = list(nx.dfs_postorder_nodes(needs))
    if order == ops:
        return
    for op in ops:
        op.detach()
    for op in order:
        block.add_op(op)


# --------------------------------------------------------------------------------------
# 1. Pixel dependence
# --------------------------------------------------------------------------------------


class PixelDependence:
    """`need(v)`: for each pixel of stream `v`, the last pixel of `origin` it depends on.

    Values that do not depend on the origin give None.  Arrays are running
    maxima (streams are in raster order), of length H*W of the stream.
    """

    def __init__(self, origin: SSAValue, aliases: Iterable[SSAValue] = ()):
        self.origin = origin
        self._memo: dict[SSAValue, np.ndarray | None] = {}
        pixels = stream_of(origin).height * stream_of(origin).width
        for alias in aliases:  # streams emitted in lock-step with the origin (a conv's side result)
            self._memo[alias] = np.arange(pixels, dtype=np.int64)
        owner = origin.owner
        self._block = owner.parent_block() if isinstance(owner, Operation) else owner
        self._index: dict[Operation, int] = {}
        if isinstance(self._block, Block):
            self._index = {op: i for i, op in enumerate(self._block.ops)}
        self._origin_index = self._index.get(owner, -1) if isinstance(owner, Operation) else -1

    def need(self, value: SSAValue) -> np.ndarray | None:
        if value in self._memo:
            return self._memo[value]
        # Iterative post-order over producers, so deep networks do not hit the recursion limit.
        stack: list[tuple[SSAValue, bool]] = [(value, False)]
        while stack:
            current, ready = stack.pop()
            if current in self._memo:
                continue
            if current == self.origin:
                pixels = stream_of(current).height * stream_of(current).width
                self._memo[current] = np.arange(pixels, dtype=np.int64)
                continue
            inputs = self._inputs(current)
            if inputs is None:
                self._memo[current] = None
                continue
            if not ready:
                stack.append((current, True))
                stack.extend((v, False) for v in inputs if v not in self._memo)
                continue
            self._memo[current] = self._compute(current)
        return self._memo[value]

    def _inputs(self, value: SSAValue) -> list[SSAValue] | None:
        """The operands `value` depends on, or None if it cannot depend on the origin."""
        if not isinstance(value, OpResult):
            return None  # a block argument other than the origin
        op = value.op
        if self._index and self._index.get(op, -1) <= self._origin_index:
            return None  # defined above the origin: independent of it
        if not isinstance(value.type, StreamType):
            return None
        return list(op.operands)

    def _compute(self, value: SSAValue) -> np.ndarray | None:
        assert isinstance(value, OpResult)
        op = value.op
        out = stream_of(value)
        pixels = out.height * out.width

        def dep(v: SSAValue) -> np.ndarray | None:
            return self._memo.get(v)

        result: np.ndarray | None
        if isinstance(op, WindowedOp):
            # Each output pixel (and a side result's, emitted with it) needs its window's last input pixel.
            need_in = dep(op.operands[0])
            result = None if need_in is None else need_in[op.window_last_inputs()]
            # The epilogue waits for the skip stream; a side result is emitted with the
            # window (it does not wait for the skip), which is the earlier, conservative time.
            if isinstance(op, ConvOp) and op.skip is not None and value == op.output:
                result = _combine(result, dep(op.skip))
        elif isinstance(op, WholeFrameOp):
            need_in = dep(op.operands[0])
            result = None if need_in is None else np.full(pixels, need_in[-1], dtype=np.int64)
        else:
            # Pointwise and plumbing ops (fork, buffer, add, concat, requantize, activation,
            # softmax, conditional buffer, ...): pixel p needs pixel p of every operand,
            # or a whole operand when its shape differs (a decision stream).
            result = None
            for v in op.operands:
                need_v = dep(v)
                if need_v is None:
                    continue
                if need_v.shape[0] != pixels:
                    need_v = np.full(pixels, need_v[-1], dtype=np.int64)
                result = _combine(result, need_v)
        if result is not None:
            result = np.maximum.accumulate(result)
        return result


def _combine(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.maximum(a, b)


def skip_occupancy_pixels(need_long: np.ndarray, need_skip: np.ndarray, origin_pixels: int | None = None) -> int:
    """Most skip pixels ever waiting at the join (the deadlock-free minimum, in pixels).

    When the origin emits its pixel n, every skip pixel q with
    `need_skip[q] <= n` enters the skip FIFO, while the join can at best have
    consumed the skip pixels whose long-branch partner was computable from
    origin pixels `0..n-1`, i.e. those p with `need_long[p] <= n - 1`.
    """
    if need_long.shape != need_skip.shape:
        raise ValueError(f"join operands differ in pixels: {need_long.shape} vs {need_skip.shape}")
    n_origin = origin_pixels if origin_pixels is not None else int(max(need_long.max(), need_skip.max())) + 1
    n = np.arange(n_origin)
    entered = np.searchsorted(np.maximum.accumulate(need_skip), n, side="right")
    consumed = np.searchsorted(np.maximum.accumulate(need_long), n - 1, side="right")
    return max(0, int((entered - consumed).max()))


# --------------------------------------------------------------------------------------
# 2. Timing, from the ops' cost interface (backend/costs/)
# --------------------------------------------------------------------------------------


def network_interval(ops: Iterable[Operation], ctx: CostContext = REFERENCE_CONTEXT) -> int:
    """Cycles per frame of the slowest op: the steady-state interval of the whole pipeline."""
    worst = 1
    for op in ops:
        if has_cost_model(op):
            worst = max(worst, op_cost(op, ctx).cycles)
    return worst


def post_window_latency(op: Operation, ctx: CostContext = REFERENCE_CONTEXT) -> int:
    """Cycles from an op's last needed input to its output: its pipeline depth minus the window fill.

    The window fill is already counted, exactly, by the pixel dependence; what
    remains is computing one output pixel and the arithmetic / I-O pipeline.
    Whole-frame ops (global pooling, linear) count only their arithmetic.
    """
    if not has_cost_model(op):
        return 0
    cost = op_cost(op, ctx)
    if isinstance(op, WindowedOp):
        return max(0, cost.pipeline_depth - op.window_fill_cycles(ctx.folding(op)))
    if isinstance(op, WholeFrameOp):
        return lm.IO_LATENCY + lm.DSP_MULTIPLY_LATENCY
    return cost.pipeline_depth


# --------------------------------------------------------------------------------------
# Skip FIFO sizing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkipSizing:
    """How a skip FIFO's depth was computed (all counts in elements of the skip stream)."""

    depth: int
    occupancy: int
    """Elements waiting at the join at the worst moment (data dependence, rate-independent)."""
    slack: int
    """Elements the fork writes while the long branch computes its last pixel (timing)."""
    margin: int
    """Extra whole pixels (burstiness)."""
    full_tensor: int
    """H*W*C of the skip stream: what a naive design buffers."""
    lead: float
    """Mean number of branch-point pixels the other branch needs beyond what the skip needs
    (positive when the skip branch is the one ahead, i.e. really the skip)."""


def branch_ops(long_value: SSAValue, origin: SSAValue) -> list[Operation]:
    """The ops on the long branch, walking back from `long_value` to `origin` along first operands."""
    ops: list[Operation] = []
    value = long_value
    seen: set[Operation] = set()
    while value != origin and isinstance(value, OpResult) and value.op not in seen:
        seen.add(value.op)
        ops.append(value.op)
        if not value.op.operands:
            break
        value = value.op.operands[0]
    return ops


def upstream_chain(value: SSAValue) -> list[SSAValue]:
    """`value` and the values it descends from through single-stream ops (the skip path, backwards).

    Forks, buffers, pointwise ops and windowed ops (a downsample conv, or the
    conv whose `side` result forwards its window centre) are followed to their
    input; the walk stops at a block argument or a join.
    """
    chain = [value]
    while isinstance(value, OpResult):
        op = value.op
        if isinstance(op, ConvOp) and op.skip is not None and value != op.side:
            break  # a join
        if isinstance(op, WindowedOp | ForkOp | BufferOp | RequantizeOp | ActivationOp):
            value = op.operands[0]
        else:
            break
        chain.append(value)
    return chain


@dataclass(frozen=True)
class BranchPoint:
    """Where a join's two branches part: the stream whose progress both are measured against.

    For a fork it is the fork's input (the fork writes each pixel to both
    branches at once).  For a skip taken from a conv's `side` result it is that
    conv's output, and the side result is an alias of it: the conv emits
    side pixel q together with output pixel q.
    """

    origin: SSAValue
    aliases: tuple[SSAValue, ...] = ()

    def dependence(self) -> PixelDependence:
        return PixelDependence(self.origin, self.aliases)


def find_origin(long_value: SSAValue, skip_value: SSAValue) -> BranchPoint | None:
    """The nearest point on the skip path that the long branch also descends from."""
    for value in upstream_chain(skip_value):
        if isinstance(value, OpResult) and isinstance(value.op, ConvOp) and value == value.op.side:
            point = BranchPoint(value.op.output, (value,))
            if point.dependence().need(long_value) is not None:
                return point
        if value == skip_value:
            continue
        if PixelDependence(value).need(long_value) is not None:
            return BranchPoint(value)
    return None


def join_consumption(
    join: Operation, skip_operand: SSAValue, deps: PixelDependence
) -> tuple[np.ndarray | None, list[Operation]]:
    """For each pixel p of the join's operand `skip_operand`: the origin pixel the *other*
    side needs before the join can consume skip pixel p; and the ops on that other side."""
    if isinstance(join, ConvOp) and skip_operand == join.skip:
        need_in = deps.need(join.input)
        if need_in is None:
            return None, []
        need = need_in[join.window_last_inputs()]
        return np.maximum.accumulate(need), [join, *branch_ops(join.input, deps.origin)]
    others = [v for v in join.operands if v != skip_operand]
    need: np.ndarray | None = None
    ops: list[Operation] = []
    for v in others:
        need = _combine(need, deps.need(v))
        ops = max(ops, branch_ops(v, deps.origin), key=len)
    return need, ops


def size_skip_fifo(
    join: Operation,
    skip_operand: SSAValue,
    point: BranchPoint,
    *,
    interval: int,
    lanes: int = 1,
    margin_pixels: int = 1,
    ctx: CostContext = REFERENCE_CONTEXT,
) -> SkipSizing | None:
    """Depth of a FIFO on the join's operand `skip_operand`, placed right before the join
    (in place of any buffers already there).

    `point` is where the branches part (`find_origin`); `interval` the
    network's cycles per frame; `lanes` the elements the join reads per cycle
    (the depth is rounded up to whole words).  Returns None if either branch
    does not depend on the branch point.
    """
    deps = point.dependence()
    skip_value, _ = strip_buffers(skip_operand)
    need_skip = deps.need(skip_value)
    need_long, long_ops = join_consumption(join, skip_operand, deps)
    if need_long is None or need_skip is None or need_long.shape != need_skip.shape:
        return None
    skip = stream_of(skip_value)
    origin = stream_of(point.origin)
    occupancy = skip_occupancy_pixels(need_long, need_skip, origin.height * origin.width) * skip.channels
    latency = sum(post_window_latency(op, ctx) for op in long_ops)
    slack = ceil(latency * skip.numel / max(1, interval))
    margin = margin_pixels * skip.channels
    depth = occupancy + slack + margin
    depth = max(2, -(-depth // lanes) * lanes)
    lead = float(need_long.mean() - need_skip.mean())
    return SkipSizing(depth, occupancy, slack, margin, skip.numel, lead)
