"""`size-exit-buffers`: the FIFOs an early-exit network needs to stream at full rate without deadlock.

`split-exit-branches` builds the functional structure; as hardware, three
places of it need storage, and how much depends on the folding (run this after
`select-folding`, which runs it itself when the network has exits):

* **The conditional buffer** of exit k holds the backbone features of each
  sample until its decision arrives: `conditional_buffer_depth` (the decision
  latency at the backbone's rate, at least one frame; split-exit-branches.py).
* **A backlog buffer** after it (`exitk.backlog`, a `dataflow.buffer` of
  `backlog` frames): the stage after exit k is built for the fraction q of
  samples that continue, so it takes up to 1/q times longer per frame than the
  stage before.  A continuing frame is passed on at once into the backlog and
  the conditional buffer goes on dropping the next frames; without it the
  conditional buffer would sit on the continuing frame for the whole of the
  slow stage's frame time and stall the backbone.  A burst of more than
  `backlog` + 1 hard samples within one slow frame time still stalls: that is
  the price of building the later stage for the average.
* **Results and decisions waiting in the merge** (`exitk.results`,
  `exitk.decisions`): `exit_merge` emits in sample order, so while a sample
  that continued at exit k is in the later stages, the results of the samples
  behind it that left at exit k wait.  Their number is at most
  `W_k / II_k + 2`, where W_k bounds the time a continuing sample spends after
  exit k (a frame through every op of the later stages in turn -- the sum of
  their cycles per frame, as their line buffers do not overlap frames -- plus
  `backlog` frames of their slowest op it may wait behind) and II_k is the
  fastest the samples reaching exit k arrive (the slowest op of stage k).  The buffers hold that
  many results (and decisions); they also let the exit's logits fork reach the
  decision, which the merge reads first.

The new buffers are named by their `layer` and re-sized in place when the pass
runs again (after a new folding).  Rates are the cost models at the folding
written on the ops (the cost models).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation, OpResult, SSAValue
from xdsl.passes import ModulePass

from fpga_opt.backend.costs.exit_rates import ExitStructure, func_exit_structure
from fpga_opt.dialects.dataflow import BufferOp, ConditionalBufferOp, DataflowOp, StreamType
from fpga_opt.dialects.errors import FpgaOptError

STAGE_ATTR = "dataflow.stage"


def _numel(v: SSAValue) -> int:
    assert isinstance(v.type, StreamType)
    return v.type.numel


def _buffer_named(value: SSAValue, name: str) -> BufferOp | None:
    if isinstance(value, OpResult) and isinstance(value.op, BufferOp):
        op = value.op
        if op.layer is not None and op.layer.data == name:
            return op
    return None


def _set_depth(op: BufferOp | ConditionalBufferOp, depth: int) -> None:
    op.properties["depth"] = IntegerAttr(depth, i64)


def _buffer_operand(user: Operation, index: int, name: str, depth: int, stage: int) -> None:
    """Make operand `index` of `user` come through a buffer `name` of `depth` elements (re-sized if there)."""
    value = user.operands[index]
    existing = _buffer_named(value, name)
    if existing is not None:
        _set_depth(existing, depth)
        return
    buf = BufferOp(value, depth, layer=name)
    buf.attributes[STAGE_ATTR] = IntegerAttr(stage, i64)
    buf.output.name_hint = name.replace(".", "_")
    block = user.parent_block()
    assert block is not None
    block.insert_op_before(buf, user)
    user.operands[index] = buf.output


def _buffer_result(producer: ConditionalBufferOp, name: str, depth: int, stage: int) -> None:
    """Put a buffer `name` of `depth` elements right after `producer`'s result (re-sized if there)."""
    uses = list(producer.output.uses)
    if len(uses) == 1 and isinstance(uses[0].operation, BufferOp):
        existing = uses[0].operation
        if existing.layer is not None and existing.layer.data == name:
            if depth:
                _set_depth(existing, depth)
            else:  # backlog 0: remove it
                existing.output.replace_all_uses_with(producer.output)
                existing.detach()
                existing.erase()
            return
    if not depth:
        return
    buf = BufferOp(producer.output, depth, layer=name)
    buf.attributes[STAGE_ATTR] = IntegerAttr(stage, i64)
    buf.output.name_hint = name.replace(".", "_")
    block = producer.parent_block()
    assert block is not None
    block.insert_op_after(buf, producer)
    for use in uses:
        use.operation.operands[use.index] = buf.output


@dataclass
class ExitBufferSizes:
    """What `size_exit_buffers` chose for one early exit."""

    exit: int
    conditional_buffer: int
    backlog: int
    results: int
    """Results (and decisions) that may wait in the merge."""


def size_exit_buffers(func: FuncOp, backlog: int = 1) -> list[ExitBufferSizes]:
    """Size (and insert) the buffers of every early exit of `func`; see the module docstring."""
    from fpga_opt.backend.costs import op_cost
    from fpga_opt.passes.split_exit_branches import conditional_buffer_depth

    if backlog < 0:
        raise FpgaOptError(f"size-exit-buffers: backlog must be >= 0 frames, got {backlog}")
    structure = func_exit_structure(func)
    if structure is None:
        return []
    chosen: list[ExitBufferSizes] = []
    for k, buffer in enumerate(structure.buffers):
        frame = _numel(buffer.input)
        depth = conditional_buffer_depth(buffer)
        _set_depth(buffer, depth)
        _buffer_result(buffer, f"exit{k}.backlog", backlog * frame, k + 1)
        chosen.append(ExitBufferSizes(k, depth, backlog * frame, 0))

    # With every buffer in place, the waits in the merge (the later stages' latency includes the backlogs).
    structure = func_exit_structure(func)
    assert structure is not None
    costs = {op: op_cost(op) for op in structure.ops if isinstance(op, DataflowOp)}
    merge = structure.merge
    for k in range(len(structure.buffers)):
        arrive = max((c.cycles for op, c in costs.items() if _stage(structure, op) == k), default=1)
        later = [c.cycles for op, c in costs.items() if _stage(structure, op) > k]
        wait = sum(later) + backlog * max(later, default=0)
        results = -(-wait // max(arrive, 1)) + 2
        _buffer_operand(merge, 2 * k, f"exit{k}.results", results * _numel(merge.inputs[2 * k]), k)
        _buffer_operand(merge, 2 * k + 1, f"exit{k}.decisions", results, k)
        chosen[k].results = results
    return chosen


def _stage(structure: ExitStructure, op: Operation) -> int:
    if op is structure.merge:
        return -1  # the merge waits; it is not part of any stage's path
    return structure.stage.get(op, 0)


@dataclass(frozen=True)
class SizeExitBuffersPass(ModulePass):
    """Size the conditional buffers, backlog buffers and merge queues of an early-exit network for its folding."""

    name = "size-exit-buffers"

    backlog: int = 1
    """Frames of continuing samples that may wait for the slower stage after each exit (0: no backlog buffer)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for func in [f for f in op.walk() if isinstance(f, FuncOp) and not f.is_declaration]:
            size_exit_buffers(func, self.backlog)


__all__ = ["ExitBufferSizes", "SizeExitBuffersPass", "size_exit_buffers"]
