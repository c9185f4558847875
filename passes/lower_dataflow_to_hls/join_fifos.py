"""`skip-fifo=frame`: a whole frame of FIFO on every join input that could starve the other one.

A join (add, concat, a conv's skip operand) reads its inputs in lock step.  When they come
from one fork, the branch with less delay in it (sliding windows fill a line buffer,
whole-frame ops read a frame before their first output) must hold the difference, or the
hardware deadlocks (C simulation runs the processes one after another and cannot see it).
Every join input but the most delayed one gets a FIFO of a whole frame, which is always
enough, unless a `dataflow.buffer` already sized it (`minimize-residual-buffers` does so
tightly); the stream is marked `sized_for = "join"`.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, OpResult, SSAValue

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.passes.lower_dataflow_to_hls.lowering import Lowering, int_attr, stream_type


def size_join_fifos(func_op: func.FuncOp, lowering: Lowering) -> None:
    """Deepen the FIFOs of join inputs that come from a fork on the less delayed branch."""
    delay, origin = _delays_since_fork(func_op)
    for operands in _joins(func_op):
        if not any(origin.get(v) is not None for v in operands):
            continue
        longest = max(operands, key=lambda v: delay.get(v, 0))
        for v in operands:
            if v is longest or origin.get(v) is None:
                continue
            stream = _stream_of(lowering, v)
            if stream is None or "explicit_buffer" in stream.attributes:
                continue
            frame = stream_type(v).numel // stream.result.type.lanes  # type: ignore[union-attr]
            if stream.depth.value.data < frame:
                stream.depth = int_attr(frame)
                stream.attributes["sized_for"] = StringAttr("join")


def _delays_since_fork(func_op: func.FuncOp) -> tuple[dict[SSAValue, int], dict[SSAValue, SSAValue | None]]:
    """Each value's delay since its nearest fork (in elements of the fork's stream), and that fork's result."""
    delay: dict[SSAValue, int] = {}
    origin: dict[SSAValue, SSAValue | None] = {}
    for arg in func_op.body.block.args:
        delay[arg], origin[arg] = 0, None
    for op in func_op.body.block.ops:
        if isinstance(op, df.ForkOp):
            for r in op.outputs:
                delay[r], origin[r] = 0, r
            continue
        if not op.results:
            continue
        ins = [v for v in op.operands if v in delay]
        base = max((delay[v] for v in ins), default=0)
        org = next((origin[v] for v in ins if origin.get(v) is not None), None)
        for r in op.results:
            delay[r], origin[r] = base + _delay(op), org
    return delay, origin


def _delay(op: Operation) -> int:
    """Elements an op reads before its first output: a line buffer's fill plus one, or a whole frame."""
    if isinstance(op, df.WindowedOp):
        return op.window_fill_elements() + 1
    if isinstance(op, df.WholeFrameOp):
        return stream_type(op.operands[0]).numel
    return 0


def _joins(func_op: func.FuncOp) -> list[list[SSAValue]]:
    """The operands of every op that reads several streams in lock step."""
    joins: list[list[SSAValue]] = []
    for op in func_op.body.block.ops:
        if isinstance(op, df.AddOp):
            joins.append([op.lhs, op.rhs])
        elif isinstance(op, df.ConcatOp):
            joins.append(list(op.inputs))
        elif isinstance(op, df.ConvOp) and op.skip is not None:
            joins.append([op.input, op.skip])
    return joins


def _stream_of(lowering: Lowering, value: SSAValue) -> hls.StreamOp | None:
    """The vhls.stream that carried dataflow `value` into its reader (None for ports)."""
    while True:
        stream = lowering.carried.get(value)
        if stream is not None:
            return stream
        # A buffer's result is carried by its input's stream.
        if isinstance(value, OpResult) and isinstance(value.op, df.BufferOp):
            value = value.op.input
            continue
        return None
