"""Early exits in the HLS back end: the lowering of the three exit ops, and the stage gates.

The lowerings register in `LOWERINGS`, the stage gates in `DESIGN_FINISHERS` (lowering.py); the
kernels are `include/fpga_opt/exits.h`.  One call of the top function is one sample, as everywhere:

* `dataflow.exit_decision` -> `exit_decision`, reading the logits one per cycle, with the table, shift
  and limit of `ExitDecisionOp.rule()` as compile-time constants (`TABLE(j)`), so C simulation decides
  exactly as fpga-sim does.  Float logits: `exit_decision_float`, sum_i exp(z_i - z_max) <= 1/t in
  double (fpga-sim's `float_exit_decision`; they can differ only within rounding of the threshold).
* `dataflow.conditional_buffer` -> `conditional_buffer`: its input stream gets the op's `depth`
  (elements, as tokens of the stream's lanes) on top of the default depth: that stream is the buffer.
* `dataflow.exit_merge` -> `exit_merge` (two exits), or a chain of `exit_merge_chain` ending in an
  `exit_merge` (more exits, innermost first); results and the index move one value per token.
* **Stage gates** (`gate_stages`, run on the finished design): every kernel processing the samples of
  stage s >= 1 (those past the conditional buffer of exit s-1; found by following the streams from the
  input ports) gets a gate stream from that buffer, one token per sample, 1 when the sample continues;
  it is called through a wrapper that skips the sample on 0 (`hls.GATED_ATTR`; the emitter prints the
  wrappers).  The conditional buffer of a later exit is itself in a gated stage: it becomes
  `conditional_buffer_gated`, whose `reach` input plays the gate and which passes a 0 on to the next
  stage's gates.  Gate streams are as deep as the merge's decision queue of the exit
  (`size-exit-buffers`), so a stage may fall that many samples behind.
"""

from __future__ import annotations

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, StringAttr, f64, i64
from xdsl.ir import SSAValue

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow.base import who
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.lower_dataflow_to_hls.lowering import (
    DESIGN_FINISHERS,
    LOWERINGS,
    Lowering,
    int_attr,
    stream_type,
)

KERNEL_HEADERS = {
    "exits.h": (
        "exit_decision",
        "exit_decision_float",
        "conditional_buffer",
        "conditional_buffer_gated",
        "exit_merge",
        "exit_merge_chain",
    )
}

DEFAULT_GATE_DEPTH = 32
"""Depth of a gate stream when the exit has no sized decision queue."""


@LOWERINGS.register(df.ExitDecisionOp)
def lower_exit_decision(lw: Lowering, op: df.ExitDecisionOp) -> None:
    rule = op.rule()
    name = lw.layer(op)
    inp = stream_type(op.input)
    x = lw.take(op.input, op.input_lanes(0), name)
    y = lw.produce(op.output, op.output_lanes(0), name)
    if rule is None:  # float logits: sum_i exp(z_i - z_max) <= 1/t in double, as float_exit_decision
        params = {"in_t": inp.element_type, "N": int_attr(inp.numel), "LIMIT": FloatAttr(1.0 / op.threshold_value, f64)}
        lw.kernels.append(
            hls.KernelOp("exit_decision_float", lw.names.fresh(name), [x], [y], params, source=lw.source(op))
        )
        return
    params = {
        "in_t": inp.element_type,
        "N": int_attr(inp.numel),
        "SHIFT": int_attr(rule.shift),
        "TABLE_LEN": int_attr(len(rule.table)),
        "LIMIT": int_attr(rule.limit),
        "TABLE": DenseArrayBase.from_list(i64, list(rule.table)),
    }
    lw.kernels.append(hls.KernelOp("exit_decision", lw.names.fresh(name), [x], [y], params, source=lw.source(op)))


@LOWERINGS.register(df.ConditionalBufferOp)
def lower_conditional_buffer(lw: Lowering, op: df.ConditionalBufferOp) -> None:
    name = lw.layer(op)
    t = stream_type(op.input)
    available = lw.handles.get(op.input)
    if not available:
        raise FpgaOptError(f"{who(op)}: input has no stream")
    lanes = available[0].lanes
    x = lw.take(op.input, lanes, name)
    stream = lw.stream_ops.get(x)
    if stream is None:
        raise FpgaOptError(f"{who(op)}: a conditional buffer directly on an input port is not supported")
    depth = op.depth.value.data
    stream.depth = int_attr(stream.depth.value.data + -(-depth // lanes))
    stream.attributes["explicit_buffer"] = int_attr(1)
    stream.attributes["sized_for"] = StringAttr("conditional_buffer")
    d = lw.take(op.decision, 1, name)
    y = lw.produce(op.output, lanes, name)
    params = {"T": t.element_type, "L": int_attr(lanes), "N": int_attr(t.numel // lanes)}
    lw.kernels.append(
        hls.KernelOp("conditional_buffer", lw.names.fresh(name), [x, d], [y], params, source=lw.source(op))
    )


@LOWERINGS.register(df.ExitMergeOp)
def lower_exit_merge(lw: Lowering, op: df.ExitMergeOp) -> None:
    name = lw.layer(op)
    out_t, idx_t = stream_type(op.output), stream_type(op.exit_index)
    results, decisions = op.exit_results(), op.decisions()
    k_final = op.num_exits - 1
    n = out_t.numel
    later = lw.take(results[-1], 1, name)
    later_index = None
    for k in reversed(range(k_final)):
        early = lw.take(results[k], 1, name)
        decision = lw.take(decisions[k], 1, name)
        if k == 0:
            out = lw.produce(op.output, 1, name)
            index = lw.produce(op.exit_index, 1, f"{name}_index")
        else:
            out = lw.new_stream(f"{name}_{k}_out", hls.StreamType([1], out_t.element_type), n)
            index = lw.new_stream(f"{name}_{k}_index", hls.StreamType([1], idx_t.element_type), 1)
        params = {"T": out_t.element_type, "IDX_T": idx_t.element_type, "N": int_attr(n), "EXIT": int_attr(k)}
        if later_index is None:
            kernel, ins = "exit_merge", [early, decision, later]
            params["LATER"] = int_attr(k_final)
        else:
            kernel, ins = "exit_merge_chain", [early, decision, later, later_index]
        inst = lw.names.fresh(name if k == 0 else f"{name}_{k}")
        source = lw.source(op) + (f" (exits {k}..{k_final})" if k_final > 1 else "")
        lw.kernels.append(hls.KernelOp(kernel, inst, ins, [out, index], params, source=source))
        later, later_index = out, index


# --------------------------------------------------------------------------
# Stage gates
# --------------------------------------------------------------------------

_BUFFERS = ("conditional_buffer", "conditional_buffer_gated")


def kernel_stages(design: hls.DesignOp) -> dict[hls.KernelOp, int]:
    """The stage of every kernel: the conditional buffers crossed by the streams it reads (the merge: the
    fewest, its early exit's), following the streams from the input ports in program order."""
    domain: dict[SSAValue, int] = {p.result: 0 for p in design.ports() if p.direction.data == "in"}
    stages: dict[hls.KernelOp, int] = {}
    for k in design.kernels():
        ins = [v for v in k.kernel_ins() if v in domain]
        s = min((domain[v] for v in ins), default=0)
        stages[k] = s
        if k.kernel.data in _BUFFERS:
            domain[k.outs[0]] = s + 1
        else:
            for v in k.outs:
                domain[v] = s
    return stages


def _gate_depth(lw: Lowering, exit_index: int, default: int) -> int:
    for op in lw.func_op.body.block.ops:
        if isinstance(op, df.BufferOp) and op.layer is not None and op.layer.data == f"exit{exit_index}.decisions":
            return max(default, op.depth.value.data)
    return max(default, DEFAULT_GATE_DEPTH)


def gate_stages(lw: Lowering, design: hls.DesignOp) -> None:
    """Give every kernel of a stage after an exit a gate from that exit's conditional buffer (see above)."""
    kernels = design.kernels()
    if not any(k.kernel.data in _BUFFERS for k in kernels):
        return
    stages = kernel_stages(design)
    opener = {stages[k] + 1: k for k in kernels if k.kernel.data in _BUFFERS}
    extra_ins: dict[hls.KernelOp, list[SSAValue]] = {}
    extra_outs: dict[hls.KernelOp, list[SSAValue]] = {}
    new_streams: list[hls.StreamOp] = []
    for k in kernels:
        s = stages[k]
        if s == 0:
            continue
        src = opener.get(s)
        if src is None:  # pragma: no cover - a stage is only entered through a conditional buffer
            raise FpgaOptError(f'vhls.kernel "{k.instance.data}": stage {s} has no conditional buffer')
        gate = hls.StreamOp(
            lw.names.fresh(f"{k.instance.data}_gate"),
            hls.GATE_TYPE,
            depth=_gate_depth(lw, s - 1, lw.fifo_depth),
            tokens=1,
        )
        gate.result.name_hint = gate.stream_name.data
        new_streams.append(gate)
        extra_ins.setdefault(k, []).append(gate.result)
        extra_outs.setdefault(src, []).append(gate.result)
    block = design.body.block
    first_kernel = kernels[0]
    for stream in new_streams:
        block.insert_op_before(stream, first_kernel)
    for k in kernels:
        if k not in extra_ins and k not in extra_outs:
            continue
        name = k.kernel.data
        gated = False
        ins = list(k.ins)
        if k in extra_ins:
            if name == "conditional_buffer":
                name = "conditional_buffer_gated"
            else:
                gated = True
            ins += extra_ins[k]
        outs = list(k.outs) + extra_outs.get(k, [])
        new = hls.KernelOp(
            name,
            k.instance.data,
            ins,
            outs,
            dict(k.params.data),
            tables=k.table_names(),
            source=k.source.data,
        )
        new.attributes.update(k.attributes)
        if gated:
            new.attributes[hls.GATED_ATTR] = int_attr(1)
        block.insert_op_before(new, k)
        k.detach()
        k.erase()


DESIGN_FINISHERS.append(gate_stages)
