"""`split-exit-branches`: turn a multi-output early-exit network into ATHEENA's hardware structure.

The frontend imports an early-exit ONNX model as one `func.func` with one
result per exit, in exit order (attribute `dataflow.exits = K`): every exit
classifier computes for every sample, and the host would pick.  In hardware
(ATHEENA, on top of fpgaConvNet) each early exit decides per sample whether
it is confident enough; confident samples leave, and only the others use the
rest of the backbone, which can therefore be built for a fraction of the
throughput.  For each early exit k this pass:

* forks the backbone at the exit point (replacing the frontend's fan-out
  fork) into the exit branch and a `dataflow.conditional_buffer`;
* forks the exit's logits into a `dataflow.exit_decision` (threshold t_k,
  and for integer logits the exit's output scale) and the merge;
* forks the decision into the conditional buffer (which forwards the
  features of continuing samples and drops the others) and the merge;
* sizes the conditional buffer from the decision latency
  (`conditional_buffer_depth`);

then collects all exits with one `dataflow.exit_merge`, so the function
returns `(merged result, exit index)`, and tags every dataflow op with
`dataflow.stage = k : i64`: the samples an op processes are those that
reached exit k (stage 0 sees every sample).  docs/passes/early_exit.md has
the rules, the attributes and an example.

Thresholds come from the `thresholds` option (one per early exit), else from
the function attribute `dataflow.exit_thresholds` that `fpga-profile-exits
--write-ir` records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, BlockArgument, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass

from fpga_opt.dialects.dataflow import (
    ConditionalBufferOp,
    DataflowOp,
    ExitDecisionOp,
    ExitMergeOp,
    ForkOp,
    SoftmaxOp,
    StreamType,
    WholeFrameOp,
    WindowedOp,
)
from fpga_opt.dialects.errors import FpgaOptError

STAGE_ATTR = "dataflow.stage"
"""On every dataflow op after the split: the index of the exit whose samples the op processes."""
EXITS_ATTR = "dataflow.exits"
"""On the function (written by the frontend): the number of exits K, or their output names."""
THRESHOLDS_ATTR = "dataflow.exit_thresholds"
"""On the function: the confidence threshold of each early exit (K-1 floats)."""
PROBABILITIES_ATTR = "dataflow.exit_probabilities"
"""On the function (written by fpga-profile-exits): the fraction of samples leaving at each exit (K floats)."""
PROFILE_ATTR = "dataflow.exit_profile"
"""On the function (fpga-profile-exits --write-ir): samples and accuracies behind the recorded rates."""
OUTPUT_NAMES_ATTR = "dataflow.output_names"
OUTPUT_SCALES_ATTR = "dataflow.output_scales"
EXIT_NAMES_ATTR = "dataflow.exit_names"
"""After the split: the original output names, one per exit (the results are now merged)."""
EXIT_SCALES_ATTR = "dataflow.exit_scales"
"""After the split: the original output scales, one per exit: the host dequantises with exit_scales[exit_index]."""
MERGED_OUTPUT_NAMES = ("output", "exit_index")


# --------------------------------------------------------------------------
# Reading the function
# --------------------------------------------------------------------------


def float_list(attr: Attribute | None, what: str) -> list[float] | None:
    """A list of floats from an array of float/integer attributes (None when absent)."""
    if attr is None:
        return None
    if isinstance(attr, FloatAttr | IntegerAttr):
        return [float(attr.value.data)]
    if isinstance(attr, ArrayAttr) and all(isinstance(a, FloatAttr | IntegerAttr) for a in attr.data):
        return [float(a.value.data) for a in attr.data]  # type: ignore[union-attr]
    raise FpgaOptError(f"{what} must be a list of numbers, got {attr}")


def string_list(attr: Attribute | None) -> list[str] | None:
    if isinstance(attr, ArrayAttr) and all(isinstance(a, StringAttr) for a in attr.data):
        return [a.data for a in attr.data]  # type: ignore[union-attr]
    return None


def float_array(values: Iterable[float]) -> ArrayAttr:
    return ArrayAttr([FloatAttr(float(v), f64) for v in values])


def stage_of(op: Operation) -> int | None:
    """The `dataflow.stage` tag of an op (None when untagged)."""
    attr = op.attributes.get(STAGE_ATTR)
    return attr.value.data if isinstance(attr, IntegerAttr) else None


def _set_stage(op: Operation, stage: int) -> None:
    op.attributes[STAGE_ATTR] = IntegerAttr(stage, i64)


def _describe(op: Operation) -> str:
    if isinstance(op, DataflowOp) and op.layer is not None:
        return f"'{op.name}' \"{op.layer.data}\""
    return f"'{op.name}'"


def exit_thresholds(func: FuncOp) -> list[float] | None:
    """The thresholds recorded on the function (`dataflow.exit_thresholds`), or None."""
    return float_list(func.attributes.get(THRESHOLDS_ATTR), f"@{func.sym_name.data}: {THRESHOLDS_ATTR}")


def is_split(func: FuncOp) -> bool:
    """Whether the function already has the early-exit structure."""
    return any(isinstance(op, ExitDecisionOp | ExitMergeOp | ConditionalBufferOp) for op in func.walk())


@dataclass
class ExitNetwork:
    """A multi-output early-exit function, analysed: which op belongs to which exit."""

    func: FuncOp
    ret: ReturnOp
    results: list[SSAValue]
    """The result of each exit, in exit order (the final exit last)."""
    stage: dict[Operation, int]
    """Backbone ops: the exit they precede (0 before exit 0's branch point); branch ops: their exit."""
    branches: list[list[Operation]]
    """The ops of each early exit's branch, in program order."""
    points: list[SSAValue]
    """Each early exit's branch point: the backbone stream its branch reads (the fork's input)."""

    @property
    def num_exits(self) -> int:
        return len(self.results)

    @property
    def where(self) -> str:
        return f"@{self.func.sym_name.data}"


def analyse_exits(func: FuncOp, what: str = "split-exit-branches") -> ExitNetwork:
    """Find each exit's branch and branch point of an unsplit multi-output function.

    An op belongs to the backbone when it feeds the final result; its stage is
    the first exit it feeds (so the backbone between exit k-1's and exit k's
    branch points is stage k).  An op that feeds only early exit k belongs to
    exit k's branch.  Anything else (an op shared by two exits but not the
    backbone, exits out of order, an op feeding nothing) is an error.
    """
    where = f"{what}: @{func.sym_name.data}"
    if func.is_declaration:
        raise FpgaOptError(f"{where}: is a declaration")
    block = func.body.block
    ret = block.last_op
    if not isinstance(ret, ReturnOp):
        raise FpgaOptError(f"{where}: the function does not end with func.return")
    results = list(ret.arguments)
    k_total = len(results)
    if k_total < 2:
        raise FpgaOptError(
            f"{where}: has {k_total} result{'s' if k_total != 1 else ''}; an early-exit network returns one "
            "result per exit (at least 2)"
        )
    exits = func.attributes.get(EXITS_ATTR)
    declared = None
    if isinstance(exits, IntegerAttr):
        declared = exits.value.data
    elif isinstance(exits, ArrayAttr):
        declared = len(exits.data)
    if declared is not None and declared != k_total:
        raise FpgaOptError(f"{where}: {EXITS_ATTR} says {declared} exits but the function has {k_total} results")
    if is_split(func):
        raise FpgaOptError(f"{where}: already has early-exit ops; run split-exit-branches once")

    first_type = results[0].type
    for k, r in enumerate(results):
        if not isinstance(r, OpResult):
            raise FpgaOptError(f"{where}: result {k} is a function argument, not an exit classifier's output")
        if results.index(r) != k:
            raise FpgaOptError(f"{where}: results {results.index(r)} and {k} are the same value")
        if not isinstance(r.type, StreamType) or r.type.height != 1 or r.type.width != 1:
            raise FpgaOptError(f"{where}: exit {k} returns {r.type}; an exit returns logits !dataflow.stream<1x1xN>")
        if r.type != first_type:
            raise FpgaOptError(
                f"{where}: exit {k} returns {r.type} but exit 0 returns {first_type}; exit_merge needs one type"
            )
        if k < k_total - 1:
            others = [u.operation for u in r.uses if u.operation is not ret]
            if others:
                raise FpgaOptError(f"{where}: exit {k}'s result is also read by {_describe(others[0])}")

    # reach: which results each op (or argument) feeds.  Users come after definitions.
    ops = [op for op in block.ops if op is not ret]
    reach: dict[Operation | SSAValue, frozenset[int]] = {}

    def value_reach(v: SSAValue) -> frozenset[int]:
        out: set[int] = set()
        for use in v.uses:
            out |= {use.index} if use.operation is ret else reach[use.operation]
        return frozenset(out)

    for op in reversed(ops):
        reach[op] = frozenset().union(*(value_reach(r) for r in op.results))
    for arg in block.args:
        reach[arg] = value_reach(arg)

    final = k_total - 1
    stage: dict[Operation, int] = {}
    branches: list[list[Operation]] = [[] for _ in range(final)]
    for op in ops:
        feeds = reach[op]
        if not feeds:
            raise FpgaOptError(f"{where}: {_describe(op)} feeds no result")
        first = min(feeds)
        if final in feeds:
            if feeds != frozenset(range(first, k_total)):
                raise FpgaOptError(
                    f"{where}: backbone op {_describe(op)} feeds exits {sorted(feeds)}; exits must branch off the "
                    "backbone in result order"
                )
            stage[op] = first
        elif len(feeds) == 1:
            stage[op] = first
            branches[first].append(op)
        else:
            raise FpgaOptError(
                f"{where}: {_describe(op)} is shared by exits {sorted(feeds)} but not by the backbone; "
                "only the backbone may be shared"
            )

    points: list[SSAValue] = []
    for k, branch in enumerate(branches):
        members = set(branch)
        inputs = []
        for op in branch:
            for v in op.operands:
                if not (isinstance(v, OpResult) and v.op in members) and v not in inputs:
                    inputs.append(v)
        if len(inputs) != 1:
            raise FpgaOptError(
                f"{where}: exit {k}'s branch reads {len(inputs)} streams from the backbone; it must read one"
            )
        point = inputs[0]
        if isinstance(point, OpResult) and isinstance(point.op, ForkOp):
            point = point.op.input
        if isinstance(point, BlockArgument):
            point_stage = min(reach[point])
        else:
            assert isinstance(point, OpResult)
            point_stage = stage[point.op]
        if point_stage != k:
            raise FpgaOptError(
                f"{where}: exit {k} branches off the backbone "
                + ("at the same point as" if point_stage < k and point in points else "before")
                + f" exit {point_stage}; results must be in exit order, one branch point per exit"
            )
        points.append(point)
    return ExitNetwork(func, ret, results, stage, branches, points)


# --------------------------------------------------------------------------
# Conditional buffer depth
# --------------------------------------------------------------------------


def _producer(v: SSAValue) -> Operation | None:
    return v.op if isinstance(v, OpResult) else None


def _ancestors(start: Iterable[Operation]) -> set[Operation]:
    seen: set[Operation] = set()
    stack = list(start)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(p for v in op.operands if (p := _producer(v)) is not None)
    return seen


def _descendants(start: Iterable[Operation]) -> set[Operation]:
    seen: set[Operation] = set()
    stack = list(start)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(u.operation for r in op.results for u in r.uses)
    return seen


def conditional_buffer_depth(buffer: ConditionalBufferOp) -> int:
    """Elements the conditional buffer must hold so the backbone never waits for a decision.

    With F = H*W*C elements per frame of the buffered features:

    * II, the cycles per frame at which the backbone can deliver features:
      the slowest op upstream of the branch point (or the stream's own
      F / lanes);
    * D, the decision latency in cycles from a frame's first element, along
      the exit branch (the ops between the branch-point fork and the buffer's
      decision input, `exit_decision` and its fork included), in program
      order: an op starts when its inputs' first elements arrive (`start` =
      the producers' start + pipeline depth) and finishes its frame no sooner
      than `start + cycles`, nor before its last input has arrived plus the
      work left after it (`finish = max(start + cycles, inputs' finish +
      tail)`; tail: one output row plus the bottom padding rows of a
      windowed op (conv, pool), the output folds after the last input of a
      whole-frame op (linear, global pool), and the pipeline depth); the
      fork's frame arrives by II.  D is the decision's finish;
    * L, the look-ahead: line buffers that overlap frames (fpgaConvNet's, and
      fpga-sim's in stage 0) emit a frame's last windows while they read the
      next frame's first rows, so the branch reads the next frame's fill
      before it decides: the window fill of every windowed op (conv, pool) of
      the branch, as elements of the buffered stream;
    * depth = max(F, ceil(D * F / II)) + L: the elements that arrive while a
      decision is pending, and never less than one frame (a decision needs
      its whole frame, so a shorter buffer deadlocks the fork).

    Rates and depths are the ops' cost models (`costs.op_rate`) at the
    folding written on the ops; rerun after changing the folding.
    """
    from fpga_opt.backend.costs import op_cost, op_rate, stream_lanes

    features = buffer.input.type
    assert isinstance(features, StreamType)
    frame = features.numel
    fork = _producer(buffer.input)
    decision = _producer(buffer.decision)
    if fork is None or decision is None:
        return frame
    branch = (_ancestors([decision]) & _descendants([fork])) - {fork}
    block = buffer.parent_block()
    order = {op: i for i, op in enumerate(block.ops)} if block is not None else {}
    layers = {
        op: op_cost(op)
        for op in sorted(branch, key=lambda o: order.get(o, 0))
        if isinstance(op, DataflowOp) and op is not buffer
    }
    if not layers:
        return frame
    upstream = [op for op in _ancestors([fork]) if isinstance(op, DataflowOp)]
    interval = max([-(-frame // stream_lanes(fork.operands[0]))] + [op_rate(op)[0] for op in upstream])
    start: dict[SSAValue, int] = {r: 0 for r in fork.results}
    finish: dict[SSAValue, int] = {r: interval for r in fork.results}
    latency = interval
    for op, cost in layers.items():
        ins = [v for v in op.operands if v in start]
        first = max((start[v] for v in ins), default=0)
        last = max((finish[v] for v in ins), default=interval)
        done = max(first + cost.cycles, last + _tail_cycles(op, cost))
        for r in op.results:
            start[r], finish[r] = first + cost.pipeline_depth, done
        latency = max(latency, done)
    return max(frame, -(-latency * frame // max(interval, 1))) + _look_ahead(layers, frame)


def _look_ahead(layers, frame: int) -> int:
    """Elements of the next frame an exit branch reads before it decides (see `conditional_buffer_depth`)."""
    total = 0
    for op in layers:
        if isinstance(op, WindowedOp):
            total += -(-op.window_fill_elements() * frame // op.window_stream.numel)
    return total


def _tail_cycles(op: Operation, cost) -> int:
    """Cycles an op of an exit branch still needs after its last input element to finish the frame."""
    if isinstance(op, WindowedOp):
        out = op.results[0].type
        assert isinstance(out, StreamType)
        _, _, bottom, _ = op.padding
        rows = 1 + -(-bottom // op.stride_size[0])
        return -(-cost.cycles * rows // out.height) + cost.pipeline_depth
    if isinstance(op, WholeFrameOp):
        inp = op.operands[0].type
        assert isinstance(inp, StreamType)
        read = -(-inp.numel // op.input_lanes(0))
        return max(cost.cycles - read, 0) + cost.pipeline_depth
    return cost.pipeline_depth


# --------------------------------------------------------------------------
# The rewrite
# --------------------------------------------------------------------------


def _reroute(value: SSAValue, uses: Sequence[tuple[Operation, int]], stage: int, layer: str, new_ops: list) -> None:
    """Make every (op, operand index) in `uses` read `value`, forking it when there are several."""
    if len(uses) == 1:
        op, index = uses[0]
        op.operands[index] = value
        return
    fork = ForkOp(value, len(uses), layer=layer)
    _set_stage(fork, stage)
    new_ops.append(fork)
    for (op, index), copy in zip(uses, fork.outputs, strict=True):
        op.operands[index] = copy


def _name(op: Operation, *names: str) -> None:
    for result, name in zip(op.results, names, strict=True):
        result.name_hint = name


def _uses(values: Iterable[SSAValue]) -> list[tuple[Operation, int]]:
    return [(u.operation, u.index) for v in values for u in v.uses]


def _topological_order(block: Block, new_ops: Sequence[Operation]) -> None:
    """Re-insert the block's ops in a dependence order close to the original one.

    Original ops keep their relative order where dependences allow; each new
    op is placed right after the last producer of its operands.
    """
    original = [op for op in block.ops if op not in set(new_ops)]
    key: dict[Operation, tuple[int, int]] = {op: (i, 0) for i, op in enumerate(original)}
    for n, op in enumerate(new_ops, start=1):
        producers = [key[p] for v in op.operands if (p := _producer(v)) is not None and p in key]
        key[op] = (max((k[0] for k in producers), default=-1), n)
    ops = list(block.ops)
    flow = nx.DiGraph()
    flow.add_nodes_from(ops)
    flow.add_edges_from((p, op) for op in ops for v in op.operands if (p := _producer(v)) in key)
    try:
        ordered = list(nx.lexicographical_topological_sort(flow, key=key.__getitem__))  # keys are unique
    except nx.NetworkXUnfeasible:
        raise AssertionError("split-exit-branches created a cycle") from None
    for op in ops:
        op.detach()
    for op in ordered:
        block.add_op(op)


def split_function(func: FuncOp, thresholds: Sequence[float] | None, what: str = "split-exit-branches") -> None:
    """Rewrite one multi-output early-exit function (see the module docstring)."""
    net = analyse_exits(func, what)
    where = f"{what}: {net.where}"
    early = net.num_exits - 1
    recorded = exit_thresholds(func)
    if thresholds and recorded is not None and list(thresholds) != list(recorded):
        # the recorded exit rates were measured at other thresholds: stale, so they go (costing with them
        # would be silently wrong; select-folding then asks for rates)
        func.attributes.pop(PROBABILITIES_ATTR, None)
        func.attributes.pop(PROFILE_ATTR, None)
    if thresholds is None or len(thresholds) == 0:
        thresholds = recorded
        if thresholds is None:
            raise FpgaOptError(
                f"{where}: no thresholds; give split-exit-branches{{thresholds=...}} (one per early exit) or "
                f"record {THRESHOLDS_ATTR} with fpga-profile-exits --write-ir"
            )
    if len(thresholds) != early:
        given = ",".join(f"{t:g}" for t in thresholds)
        raise FpgaOptError(
            f"{where}: {early} early exit{'s' if early != 1 else ''} ({net.num_exits} results) but "
            f"{len(thresholds)} threshold{'s' if len(thresholds) != 1 else ''} ({given}); give one per early exit"
        )
    for k, t in enumerate(thresholds):
        if not 0.0 < t <= 1.0:
            raise FpgaOptError(f"{where}: threshold {t:g} of exit {k} is not in (0, 1]")
    scales = float_list(func.attributes.get(OUTPUT_SCALES_ATTR), f"{net.where}: {OUTPUT_SCALES_ATTR}")
    if scales is not None and len(scales) != net.num_exits:
        raise FpgaOptError(f"{where}: {OUTPUT_SCALES_ATTR} has {len(scales)} entries for {net.num_exits} results")

    for op, s in net.stage.items():
        if isinstance(op, DataflowOp):
            _set_stage(op, s)

    block = func.body.block
    new_ops: list[Operation] = []
    merge_inputs: list[tuple[SSAValue, SSAValue]] = []
    buffers: list[ConditionalBufferOp] = []
    for k in range(early):
        branch = set(net.branches[k])
        point = net.points[k]
        # Uses of the branch point: the exit branch's, and the backbone's (through the frontend's fork, if any).
        via_forks = [u.operation for u in point.uses if isinstance(u.operation, ForkOp) and u.operation not in branch]
        old_fork = None
        for f in via_forks:
            if any(u.operation in branch for r in f.outputs for u in r.uses):
                old_fork = f
        streams = list(old_fork.outputs) if old_fork is not None else [point]
        uses = _uses(streams)
        if old_fork is not None:
            uses += [(op, i) for op, i in _uses([point]) if op is not old_fork]
        position = {op: i for i, op in enumerate(block.ops)}
        uses.sort(key=lambda use: (position.get(use[0], len(position)), use[1]))
        branch_uses = [(op, i) for op, i in uses if op in branch]
        backbone_uses = [(op, i) for op, i in uses if op not in branch]

        fork = ForkOp(point, 2, layer=f"exit{k}.fork")
        _set_stage(fork, k)
        _name(fork, f"exit{k}_branch", f"exit{k}_backbone")
        new_ops.append(fork)
        _reroute(fork.outputs[0], branch_uses, k, f"exit{k}.branch_fork", new_ops)

        logits = net.results[k]
        softmax = logits.op if isinstance(logits, OpResult) and isinstance(logits.op, SoftmaxOp) else None
        decide_on = softmax.input if softmax is not None else logits
        logits_fork = ForkOp(decide_on, 2, layer=f"exit{k}.logits_fork")
        _set_stage(logits_fork, k)
        _name(logits_fork, f"exit{k}_to_decision", f"exit{k}_to_merge")
        new_ops.append(logits_fork)
        if softmax is not None:
            softmax.operands[0] = logits_fork.outputs[1]
            merged_value = logits
        else:
            merged_value = logits_fork.outputs[1]
        logit_type = decide_on.type
        assert isinstance(logit_type, StreamType)
        scale = None
        if logit_type.is_integer:
            if scales is None:
                raise FpgaOptError(
                    f"{where}: exit {k}'s logits are integers but the function has no {OUTPUT_SCALES_ATTR}; "
                    "the decision needs their scale"
                )
            scale = scales[k]
            if not (scale > 0 and math.isfinite(scale)):
                raise FpgaOptError(f"{where}: {OUTPUT_SCALES_ATTR}[{k}] = {scale} is not a positive scale")
        decision = ExitDecisionOp(logits_fork.outputs[0], thresholds[k], scale=scale, layer=f"exit{k}.decision")
        _set_stage(decision, k)
        decision_fork = ForkOp(decision.output, 2, layer=f"exit{k}.decision_fork")
        _set_stage(decision_fork, k)
        buffer = ConditionalBufferOp(fork.outputs[1], decision_fork.outputs[0], 1, layer=f"exit{k}.buffer")
        _set_stage(buffer, k)
        _name(decision, f"exit{k}_decision")
        _name(decision_fork, f"exit{k}_decision_to_buffer", f"exit{k}_decision_to_merge")
        _name(buffer, f"exit{k}_continue")
        new_ops += [decision, decision_fork, buffer]
        buffers.append(buffer)
        _reroute(buffer.output, backbone_uses, k + 1, f"exit{k}.backbone_fork", new_ops)
        merge_inputs.append((merged_value, decision_fork.outputs[1]))
        if old_fork is not None:
            assert all(not r.uses for r in old_fork.outputs)
            old_fork.detach()
            old_fork.erase()

    merge = ExitMergeOp(merge_inputs, net.results[-1], layer="exit_merge")
    _set_stage(merge, 0)
    _name(merge, *MERGED_OUTPUT_NAMES)
    new_ops.append(merge)
    new_ret = ReturnOp(merge.output, merge.exit_index)
    net.ret.detach()
    net.ret.erase()
    block.add_ops([*new_ops, new_ret])
    _topological_order(block, [*new_ops, new_ret])
    for buffer in buffers:
        buffer.properties["depth"] = IntegerAttr(conditional_buffer_depth(buffer), i64)

    func.update_function_type()
    func.res_attrs = None
    attrs = func.attributes
    names = string_list(attrs.get(OUTPUT_NAMES_ATTR))
    if names is not None:
        attrs[EXIT_NAMES_ATTR] = ArrayAttr([StringAttr(n) for n in names])
    attrs[OUTPUT_NAMES_ATTR] = ArrayAttr([StringAttr(n) for n in MERGED_OUTPUT_NAMES])
    if scales is not None:
        attrs[EXIT_SCALES_ATTR] = float_array(scales)
        if len(set(scales)) == 1:
            attrs[OUTPUT_SCALES_ATTR] = float_array([scales[0], 1.0])
        else:
            del attrs[OUTPUT_SCALES_ATTR]
    attrs[THRESHOLDS_ATTR] = float_array(thresholds)


@dataclass(frozen=True)
class SplitExitBranchesPass(ModulePass):
    """Give each early exit a confidence decision, a conditional buffer on the backbone and one merge of all exits."""

    name = "split-exit-branches"

    thresholds: tuple[int | float, ...] = ()
    """One confidence threshold in (0, 1] per early exit, in exit order; a sample leaves when its top softmax probability reaches it. Empty: the function's dataflow.exit_thresholds."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        funcs = [f for f in op.walk() if isinstance(f, FuncOp) and not f.is_declaration]
        if not funcs:
            raise FpgaOptError(f"{self.name}: the module has no function")
        thresholds = [float(t) for t in self.thresholds] or None
        for func in funcs:
            split_function(func, thresholds, self.name)


__all__ = [
    "EXIT_NAMES_ATTR",
    "EXIT_SCALES_ATTR",
    "EXITS_ATTR",
    "MERGED_OUTPUT_NAMES",
    "PROBABILITIES_ATTR",
    "STAGE_ATTR",
    "THRESHOLDS_ATTR",
    "ExitNetwork",
    "SplitExitBranchesPass",
    "analyse_exits",
    "conditional_buffer_depth",
    "exit_thresholds",
    "is_split",
    "split_function",
    "stage_of",
]
