"""`merge-loops`: fuse the layers of a residual block into fewer hardware loops.

The ResNet HLS flow (Minnella et al., 2023) merges loops so that a residual
block needs neither a separate add stage nor a separate downsample kernel.
Each rewrite below produces a fused form that `dataflow.conv` already has
(docs/dialects/dataflow.md, "Fused forms"), and each is exact: the fused op
computes, element for element, what the ops it replaces computed.

Rewrites:

* **add into conv.**  A `dataflow.add` one of whose operands is the only use
  of a conv (the end of the long branch; if both are, the deeper one) becomes
  that conv's epilogue: the other operand is the conv's `skip`, the add's
  multipliers become `acc_mult` (for the conv's side of the add) and
  `skip_mult`, its requant `skip_requant`, its activation the conv's.  The
  conv epilogue `requant -> y*acc_mult + skip*skip_mult -> skip_requant ->
  activation` is then literally the add applied to the conv's old output.
  Not done when the conv already has a skip or an activation (that would run
  after the add), or when an integer add has no requant and a result narrower
  than 32 bits (a conv without a final requant emits its accumulator).
* **1x1 downsample into a kxk conv.**  A 1x1, pad-0 conv `D` that reads a fork
  result (through buffers, if any) is merged into a conv `M` that reads
  another result of the same fork, when `M` has an odd kernel with 'same'
  top/left padding (its window centre is input pixel `(i*s, j*s)`), the same
  stride as `D`, the same output size, the same weight type, no side result
  yet, and a `coarse_out` that divides `D`'s channels.  `M` gains a `side`
  result computed from its window centre with `D`'s weights, bias and requant
  (`side_weights`, `side_bias`, `side_requant`); `D` and its fork output go.
  `D` must have no activation (a side conv has none).  `D`'s folding is
  dropped: the side conv uses `M`'s `coarse_in` x `coarse_out` lanes.
* **activation into its producer.**  A `dataflow.activation` that is the
  only reader of a conv, linear, add, pool, global pool or requantize:
  integer `relu` / `clip` become saturation bounds of the producer's last
  requant (`min = max(min, 0)` for relu, `[max(min, ceil(lo)), min(max,
  floor(hi))]` for clip, integer relu being `max(x, 0)` and an integer clip
  `clamp(x, ceil(lo), floor(hi))`, as docs/dialects/dataflow.md and fpga-sim
  define them), exact because a
  clamp of a clamp is the clamp of the intersection; otherwise (floats, or no
  final requant) it becomes the producer's `activation` property, which the
  epilogue applies last, exactly where the standalone op did.
* **requantize into its producer.**  A `dataflow.requantize` that is the
  only reader of a conv, linear, add or average pool without a final requant
  becomes that requant (a conv with a skip: its `skip_requant`).  If the
  producer has an integer `relu` / `clip` activation (applied before the
  requantise), it is absorbed exactly: a requant is monotone and maps 0 to
  the zero point, so `requant(max(x, 0)) = requant(x)` saturated below at
  `zero_point`, and `requant(clamp(x, lo, hi))` saturates at
  `requant(lo)`, `requant(hi)`.
* Fork results left unread are pruned, and a fork with one reader left is
  replaced by its input (as `dataflow-canonicalize` does).

After `select-folding` (the module names its board) the add and 1x1 merges
are resource trades: a folded skip add runs on the conv's `coarse_out`
lanes, a merged 1x1 on the host's `coarse_in x coarse_out` lanes.  With
`keep-fit` (default) such a merge is made only if the whole design stays
within `max-util` of every board resource and its interval does not grow;
on an unfolded design every merge is made and `select-folding` sizes it.

Temporal reuse (option `reuse`): set `reuse = N` on every conv whose output
width N divides and that is compute bound (see docs/passes/resnet.md for its
cost effect).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil, floor

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Attribute, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from fpga_opt.backend.costs import CostContext, analyse_network, op_cost
from fpga_opt.backend.target.boards import BOARD_ATTR, BOARD_FILE_ATTR, Board, resolve_target
from fpga_opt.backend.target.resources import RESOURCE_NAMES, Resources
from fpga_opt.dialects.dataflow import (
    ActivationAttr,
    ActivationOp,
    AddOp,
    BufferOp,
    ConvOp,
    ForkOp,
    GlobalPoolOp,
    LinearOp,
    PoolOp,
    RequantAttr,
    RequantizeOp,
    StreamType,
)
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.residual import is_same_window, strip_buffers, topological_sort
from fpga_opt.passes.dataflow_canonicalize import PruneForkResults

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def rebuild(
    op: Operation,
    *,
    operands: list[SSAValue] | None = None,
    result_types: list[Attribute] | None = None,
    set_props: dict[str, Attribute | None] | None = None,
) -> Operation:
    """A copy of `op` with other operands / result types, and properties set (None: removed)."""
    props = dict(op.properties)
    for key, value in (set_props or {}).items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return type(op).create(
        operands=list(op.operands) if operands is None else operands,
        result_types=[r.type for r in op.results] if result_types is None else result_types,
        properties=props,
        attributes=dict(op.attributes),
    )


def conv_operands(conv: ConvOp, skip: SSAValue | None) -> list[SSAValue]:
    return [conv.input] if skip is None else [conv.input, skip]


def conv_results(conv: ConvOp, output: Attribute, side: Attribute | None) -> list[Attribute]:
    return [output] if side is None else [output, side]


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def final_requant_slot(op: Operation) -> str | None:
    """The property holding the op's last rescale (applied right before its activation)."""
    if isinstance(op, ConvOp):
        return "skip_requant" if op.skip is not None else "requant"
    if isinstance(op, LinearOp | AddOp | RequantizeOp):
        return "requant"
    if isinstance(op, PoolOp | GlobalPoolOp) and op.mode.data == "avg":
        return "requant"
    return None


def apply_requant(rq: RequantAttr, x: int) -> int:
    """The full requant on one integer (used to move clip bounds through a per-tensor requant)."""
    return rq.apply(x)


def with_bounds(rq: RequantAttr, lo: int, hi: int) -> RequantAttr | None:
    """`rq` additionally saturated to [lo, hi], or None if the ranges do not intersect."""
    new_min, new_max = max(rq.min.data, lo), min(rq.max.data, hi)
    if new_min > new_max:
        return None
    return rq.replace(min=new_min, max=new_max)


def integer_bounds(act: ActivationAttr) -> tuple[int, int] | None:
    """[lo, hi] of an integer relu / clip; None for other kinds."""
    big = 2**63
    kind = act.kind.data
    if kind == "relu":
        return 0, big
    if kind == "clip":  # integers clip to [ceil(lo), floor(hi)], as fpga-sim and the kernels do
        return ceil(act.lo_value), floor(act.hi_value)
    return None


def absorb_activation_into_requant(act: ActivationAttr, rq: RequantAttr) -> RequantAttr | None:
    """The requant equal to `rq(act(x))` for an integer relu / clip `act`, or None."""
    bounds = integer_bounds(act)
    if bounds is None:
        return None
    lo, hi = bounds
    if rq.channelwise:
        return None  # the bounds would differ per channel (multipliers or fine bias)
    if act.kind.data == "relu":
        # requant is monotone, so requant(max(x, 0)) = max(requant(x), requant(0)).
        return with_bounds(rq, apply_requant(rq, 0), 2**63)
    if lo > hi:
        return None
    return with_bounds(rq, apply_requant(rq, lo), apply_requant(rq, hi))


def _replace_producer(rewriter: PatternRewriter, producer: Operation, new: Operation) -> None:
    rewriter.replace(producer, new, list(new.results)[: len(producer.results)])


# --------------------------------------------------------------------------------------
# Keeping a folded design within its board
# --------------------------------------------------------------------------------------


@dataclass
class FitGuard:
    """Admits a merge only if the design stays within `limits` and its interval does not grow.

    Folding a skip add into a conv runs it on the conv's `coarse_out` lanes, and
    a merged 1x1 conv runs on the host conv's `coarse_in x coarse_out` lanes:
    after `select-folding` either may cost more than the ops it replaces.  The
    guard costs the ops before and after (backend/costs/) and
    keeps a running total of the whole design.
    """

    ctx: CostContext
    limits: dict[str, int]
    total: dict[str, int]
    interval: int
    rejected: int = 0

    @classmethod
    def for_module(cls, module: ModuleOp, board: Board, max_util: float) -> FitGuard:
        ctx = CostContext.for_board(board)
        net = analyse_network(module, ctx)
        limits = {name: Resources.budget(board, name, max_util) for name in RESOURCE_NAMES}
        # A design already over budget (folded with a higher max-util) may keep what it uses.
        used = net.resources.as_dict()
        limits = {name: max(limits[name], used[name]) for name in RESOURCE_NAMES}
        return cls(ctx, limits, used, net.interval)

    def admit(self, old: list[Operation], new: list[Operation]) -> bool:
        before = [op_cost(op, self.ctx) for op in old]
        after = [op_cost(op, self.ctx) for op in new]
        if max(c.cycles for c in after) > self.interval:
            self.rejected += 1
            return False
        total = dict(self.total)
        for c in before:
            for name, value in c.resources.as_dict().items():
                total[name] -= value
        for c in after:
            for name, value in c.resources.as_dict().items():
                total[name] += value
        if any(total[name] > self.limits[name] for name in RESOURCE_NAMES):
            self.rejected += 1
            return False
        self.total = total
        return True


def _admitted(guard: FitGuard | None, old: list[Operation], new: Operation) -> bool:
    """Whether the guard (if any) admits replacing `old` by `new`; a rejected `new` is dropped."""
    if guard is None or guard.admit(old, [new]):
        return True
    new.drop_all_references()
    return False


# --------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------


class FuseRequantize(RewritePattern):
    """requantize(P(x)) -> P(x) with the requant in its epilogue."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: RequantizeOp, rewriter: PatternRewriter) -> None:
        value = op.input
        if not isinstance(value, OpResult) or value.index != 0 or not value.has_one_use():
            return
        producer = value.op
        if isinstance(producer, RequantizeOp):
            return  # two rescales do not compose exactly in general
        slot = final_requant_slot(producer)
        if slot is None or producer.properties.get(slot) is not None:
            return
        rq = op.requant
        set_props: dict[str, Attribute | None] = {slot: rq}
        act = producer.properties.get("activation")
        if act is not None:
            assert isinstance(act, ActivationAttr)
            absorbed = absorb_activation_into_requant(act, rq)
            if absorbed is None:
                return
            set_props = {slot: absorbed, "activation": None}
        result_types = [op.output.type] + [r.type for r in producer.results[1:]]
        new = rebuild(producer, result_types=result_types, set_props=set_props)
        _replace_producer(rewriter, producer, new)
        rewriter.replace(op, [], [new.results[0]])


class FuseActivation(RewritePattern):
    """activation(P(x)) -> P(x) with the activation as saturation bounds or in its epilogue."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ActivationOp, rewriter: PatternRewriter) -> None:
        value = op.input
        if not isinstance(value, OpResult) or value.index != 0 or not value.has_one_use():
            return
        producer = value.op
        act = op.activation
        out = op.output.type
        assert isinstance(out, StreamType)
        set_props: dict[str, Attribute | None] | None = None
        if out.is_integer:
            slot = final_requant_slot(producer)
            rq = producer.properties.get(slot) if slot else None
            bounds = integer_bounds(act)
            if isinstance(rq, RequantAttr) and bounds is not None and producer.properties.get("activation") is None:
                tightened = with_bounds(rq, *bounds)
                if tightened is not None:
                    set_props = {slot: tightened}  # type: ignore[dict-item]
        if set_props is None:
            if not isinstance(producer, ConvOp | LinearOp | AddOp) or producer.activation is not None:
                return
            set_props = {"activation": act}
        new = rebuild(producer, set_props=set_props)
        _replace_producer(rewriter, producer, new)
        rewriter.replace(op, [], [new.results[0]])


def branch_depth(value: SSAValue) -> int:
    """Ops between `value` and the nearest fork or block argument (along first operands)."""
    depth = 0
    while isinstance(value, OpResult) and not isinstance(value.op, ForkOp) and value.op.operands:
        depth += 1
        value = value.op.operands[0]
    return depth


def depends_on(value: SSAValue, op: Operation) -> bool:
    """Whether `value` is computed from a result of `op`."""
    stack, seen = [value], set()
    while stack:
        v = stack.pop()
        if not isinstance(v, OpResult) or v.op in seen:
            continue
        if v.op is op:
            return True
        seen.add(v.op)
        stack.extend(v.op.operands)
    return False


class FoldAddIntoConv(RewritePattern):
    """add(conv(x), s) -> conv(x, skip = s): the residual add in the conv's epilogue."""

    def __init__(self, guard: FitGuard | None = None):
        self.guard = guard

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        out = op.output.type
        assert isinstance(out, StreamType)
        if out.is_integer and op.requant is None and out.bitwidth < 32:
            return  # the fused conv would have to emit its accumulator
        candidates = []
        for side, (mine, other) in enumerate(((op.lhs, op.rhs), (op.rhs, op.lhs))):
            conv = mine.owner
            if not isinstance(conv, ConvOp) or mine != conv.output or not mine.has_one_use():
                continue
            if conv.skip is not None or conv.activation is not None:
                continue
            if depends_on(other, conv):
                continue  # the skip comes from this conv (its side result): folding would make a cycle
            candidates.append((-branch_depth(mine), side, conv, other))
        if not candidates:
            return
        _, side, conv, skip = min(candidates, key=lambda c: (c[0], c[1]))
        mults = (op.lhs_mult.value.data, op.rhs_mult.value.data)
        acc_mult, skip_mult = (mults[0], mults[1]) if side == 0 else (mults[1], mults[0])
        side_type = conv.side.type if conv.side is not None else None
        new = rebuild(
            conv,
            operands=conv_operands(conv, skip),
            result_types=conv_results(conv, out, side_type),
            set_props={
                "acc_mult": _i64(acc_mult) if acc_mult != 1 else None,
                "skip_mult": _i64(skip_mult) if skip_mult != 1 else None,
                "skip_requant": op.requant,
                "activation": op.activation,
            },
        )
        if not _admitted(self.guard, [conv, op], new):
            return
        rewriter.replace(op, new, [new.results[0]])
        if conv.side is not None:
            rewriter.replace_all_uses_with(conv.side, new.results[1])
        rewriter.erase(conv)


def _conv_readers(value: SSAValue) -> list[ConvOp]:
    """Convs reading `value` directly or through a chain of buffers."""
    found: list[ConvOp] = []
    stack = [value]
    while stack:
        v = stack.pop()
        for use in v.uses:
            user = use.operation
            if isinstance(user, BufferOp):
                stack.append(user.output)
            elif isinstance(user, ConvOp) and use.index == 0:
                found.append(user)
    return found


def is_pointwise_conv(op: ConvOp) -> bool:
    return op.kernel_size == (1, 1) and not any(op.padding) and op.groups.value.data == 1


class MergeDownsampleConv(RewritePattern):
    """A 1x1 conv beside a kxk conv on the same fork becomes that conv's side result."""

    def __init__(self, guard: FitGuard | None = None):
        self.guard = guard

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ConvOp, rewriter: PatternRewriter) -> None:
        if not is_pointwise_conv(op) or op.skip is not None or op.side is not None or op.activation is not None:
            return
        source, own_buffers = strip_buffers(op.input)
        if not isinstance(source, OpResult) or not isinstance(source.op, ForkOp):
            return
        fork = source.op
        out = op.output.type
        assert isinstance(out, StreamType)
        best: ConvOp | None = None
        for result in fork.outputs:
            if result == source:
                continue
            for main in _conv_readers(result):
                if not self._can_host(main, op, out):
                    continue
                if best is None or _kernel_area(main) > _kernel_area(best):
                    best = main
        if best is None:
            return
        main = best
        new = rebuild(
            main,
            operands=conv_operands(main, main.skip),
            result_types=conv_results(main, main.output.type, out),
            set_props={"side_weights": op.weights, "side_bias": op.bias, "side_requant": op.requant},
        )
        if not _admitted(self.guard, [main, op], new):
            return
        rewriter.replace(main, new, [new.results[0]])
        rewriter.replace(op, [], [new.results[1]])
        for buffer in own_buffers:  # from the conv back to the fork: each is now unread
            if not buffer.output.uses:
                rewriter.erase(buffer)

    @staticmethod
    def _can_host(main: ConvOp, down: ConvOp, down_out: StreamType) -> bool:
        if main is down or main.side is not None or not is_same_window(main):
            return False
        main_out = main.output.type
        assert isinstance(main_out, StreamType)
        if main.stride_size != down.stride_size:
            return False
        if (main_out.height, main_out.width) != (down_out.height, down_out.width):
            return False
        if main.weight_type != down.weight_type or main_out.is_integer != down_out.is_integer:
            return False
        if main.side_conv_error(down_out.channels) is not None:
            return False  # e.g. the folding search gave the host temporal reuse or flattened passes
        return main.input.type == down.input.type


def _kernel_area(op: ConvOp) -> int:
    kh, kw = op.kernel_size
    return kh * kw


# --------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeLoopsPass(ModulePass):
    """Fold residual adds, 1x1 downsample convs, activations and requantises into the convs that produce them."""

    name = "merge-loops"

    fold_add: bool = True
    """Fold each residual `dataflow.add` into the conv at the end of its long branch (conv `skip`)."""

    merge_downsample: bool = True
    """Merge a 1x1 conv reading the same fork as a kxk 'same' conv into that conv's `side` result."""

    fuse_pointwise: bool = True
    """Fuse standalone `dataflow.activation` and `dataflow.requantize` into their producer."""

    keep_fit: bool = True
    """On a design folded for a board (the module's `dataflow.board`, or the board/board-file option), only
    fold adds and merge 1x1 convs while the design stays within max-util of every resource and its interval
    does not grow. Unfolded designs are always merged (select-folding then sizes the fused ops)."""

    board: str = ""
    """Board whose budget keep-fit checks; empty: the module's `dataflow.board` (written by select-folding)."""

    board_file: str = ""
    """A TOML board file for keep-fit (overrides board)."""

    max_util: int | float = 0.85
    """Largest fraction of each board resource keep-fit lets the merged design use (as select-folding's)."""

    reuse: int = 1
    """Temporal reuse to set on every conv (one weight fetch serves this many consecutive output
    pixels) whose output width it divides and whose compute it speeds up. 1 leaves convs unchanged."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.reuse < 1:
            raise FpgaOptError(f"merge-loops: reuse must be >= 1, got {self.reuse}")
        if not 0 < self.max_util <= 1:
            raise FpgaOptError(f"merge-loops: max-util must be in (0, 1], got {self.max_util}")
        guard = self._guard(op)
        patterns: list[RewritePattern] = [PruneForkResults()]
        if self.fuse_pointwise:
            patterns += [FuseRequantize(), FuseActivation()]
        if self.fold_add:
            patterns.append(FoldAddIntoConv(guard))
        if self.merge_downsample:
            patterns.append(MergeDownsampleConv(guard))
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns, dce_enabled=False)).rewrite_module(op)
        for f in op.walk():
            if isinstance(f, func.FuncOp) and f.body.blocks:
                topological_sort(f.body.blocks.first)  # type: ignore[arg-type]
        if self.reuse > 1:
            set_reuse(op, self.reuse)

    def _guard(self, module: ModuleOp) -> FitGuard | None:
        """The fit guard, when keep-fit is on and the design targets a board."""
        if not self.keep_fit:
            return None
        targeted = self.board or self.board_file or BOARD_ATTR in module.attributes
        targeted = targeted or BOARD_FILE_ATTR in module.attributes
        if not targeted:
            return None
        board, _ = resolve_target(module, self.board, self.board_file, 0.0, self.name)
        return FitGuard.for_module(module, board, float(self.max_util))


def set_reuse(module: ModuleOp, reuse: int) -> None:
    """Set `reuse` on every conv whose output width it divides and whose compute it speeds up.

    A conv already limited by its input (H*W*C_in / coarse_in cycles) gains
    nothing from computing more pixels at once, so it is left alone, and so is
    one whose folding rules refuse it (`ConvOp.folding_error`: a merged side conv).
    """
    for op in module.walk():
        if not isinstance(op, ConvOp):
            continue
        out = op.output.type
        assert isinstance(out, StreamType)
        if out.width % reuse or op.folding_error({"reuse": reuse}) is not None:
            continue
        before = op_cost(op).cycles
        op.reuse = _i64(reuse)
        if op_cost(op).cycles >= before:  # op_cost applies the reuse model
            op.reuse = None
