"""Early exits in fpga-sim: the semantics of the three exit ops, and who goes where.

Functional semantics (registered in `functional.KERNELS`):

* `exit_decision`: per sample, 1 (leave) when the exit is confident: the
  integer rule `ExitDecisionOp.rule()` (`ExitRule.decide_batch`, the same
  table and limit the HLS kernel gets) on integer logits,
  `float_exit_decision` on float ones.  Decisions are `i1` values 0/1.
* `conditional_buffer`: keeps a sample's frame iff its decision is 0
  (continue).  The interpreter runs batches, so its output batch holds only
  the continuing samples, in sample order: every op after it processes fewer
  samples, exactly as the hardware stage after the exit does.
* `exit_merge`: one result per sample of its input batch, in sample order,
  taken from the exit the sample left at, plus that exit's index.  Exit k's
  result and decision streams hold the samples that reached exit k, the
  final result those that passed every exit; the decisions say which sample
  is which (they are the sample ids, as in hardware).

`ExitTrace` (from `trace_exits`) carries the sample ids explicitly: for every
early exit, which samples of the batch reached it and what each decided, and
for every sample the exit it took.  The timing simulation routes samples with
it (`route_processes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim.functional import FunctionalModel, Kernel, _single_threaded_blas, kernel_for, narrow
from fpga_opt.dialects.dataflow import (
    ConditionalBufferOp,
    ExitDecisionOp,
    ExitMergeOp,
    StreamType,
    float_exit_decision,
)
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.exit_rates import ExitStructure, exit_structure


def network_exit_structure(model_or_net) -> ExitStructure | None:
    """The exit structure of a simulator `Network` (or a FunctionalModel's), checked once and cached on it."""
    net = getattr(model_or_net, "network", model_or_net)
    cached = getattr(net, "_exit_structure", False)
    if cached is False:
        cached = exit_structure(net.ops, net.inputs, f"@{net.func.sym_name.data}")
        net._exit_structure = cached  # type: ignore[attr-defined]
    return cached


def _stype(v) -> StreamType:
    assert isinstance(v.type, StreamType)
    return v.type


@kernel_for(ExitDecisionOp)
def _exit_decision(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, ExitDecisionOp)
    network_exit_structure(model)
    rule = op.rule()
    threshold = op.threshold_value

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        flat = x.reshape(x.shape[0], -1)
        if rule is not None:
            leave = rule.decide_batch(flat)
        else:
            leave = np.array(
                [float_exit_decision(row.astype(np.float64).tolist(), threshold) for row in flat], dtype=bool
            )
        return [leave.astype(np.int8).reshape(x.shape[0], 1, 1, 1)]

    return run


@kernel_for(ConditionalBufferOp)
def _conditional_buffer(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, ConditionalBufferOp)
    network_exit_structure(model)
    where = model.where(op)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        frames, decisions = args
        if len(frames) != len(decisions):
            raise FpgaOptError(f"{where}: {len(frames)} frames but {len(decisions)} decisions")
        keep = decisions.reshape(-1) == 0
        return [frames[keep]]

    return run


@kernel_for(ExitMergeOp)
def _exit_merge(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, ExitMergeOp)
    network_exit_structure(model)
    where = model.where(op)
    out_t, index_t = _stype(op.output), _stype(op.exit_index)
    early = op.num_exits - 1

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        batch = len(args[0])
        out = np.zeros((batch, *args[-1].shape[1:]), dtype=args[-1].dtype)
        index = np.zeros((batch, 1, 1, 1), dtype=np.int64)
        alive = np.arange(batch)
        for k in range(early):
            result, decision = args[2 * k], args[2 * k + 1]
            if len(result) != len(alive) or len(decision) != len(alive):
                raise FpgaOptError(
                    f"{where}: exit {k} delivers {len(result)} results and {len(decision)} decisions for the "
                    f"{len(alive)} samples that reach it"
                )
            leave = decision.reshape(-1) != 0
            out[alive[leave]] = result[leave]
            index[alive[leave]] = k
            alive = alive[~leave]
        final = args[-1]
        if len(final) != len(alive):
            raise FpgaOptError(f"{where}: the final exit delivers {len(final)} results for {len(alive)} samples")
        out[alive] = final
        index[alive] = early
        return [narrow(out, out_t), narrow(index, index_t)]

    return run


# --------------------------------------------------------------------------
# Sample ids: who reached which exit
# --------------------------------------------------------------------------


@dataclass
class ExitTrace:
    """Where every sample of a batch went.

    `reached[k]`: the ids (batch indices) of the samples that reached early
    exit k, in order; `decisions[k]`: their decisions there (1 = left).
    `exit_of`: for every sample, the exit it left at (K-1 = the final exit).
    """

    reached: list[np.ndarray]
    decisions: list[np.ndarray]
    exit_of: np.ndarray
    num_exits: int

    def histogram(self) -> list[int]:
        return np.bincount(self.exit_of, minlength=self.num_exits).tolist()


def trace_exits(model: FunctionalModel, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], ExitTrace | None]:
    """Run `model` on prepared batches like `FunctionalModel.run`, and trace the exits (None without exits).

    Sample ids travel with every stream: a network input carries ids
    0..B-1, a conditional buffer keeps the ids of the samples it forwards.
    """
    structure = network_exit_structure(model)
    if structure is None:
        return model.run(inputs), None
    net = model.network
    env = dict(zip(net.inputs, inputs, strict=True))
    batch = inputs[0].shape[0] if inputs else 0
    ids = {v: np.arange(batch) for v in net.inputs}
    reached: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(structure.buffers)
    decided: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(structure.buffers)
    with _single_threaded_blas():
        for op, kernel in model.kernels:
            results = kernel([env[v] for v in op.operands])
            if isinstance(op, ConditionalBufferOp):
                k = structure.exit_of_buffer(op)
                who = ids[op.input]
                d = env[op.decision].reshape(-1).astype(np.int64)
                reached[k], decided[k] = who, d
                out_ids = who[d == 0]
            elif isinstance(op, ExitMergeOp):
                out_ids = ids[op.inputs[0]]
            else:
                out_ids = ids[op.operands[0]] if op.operands else np.arange(batch)
            for value, array in zip(op.results, results, strict=True):
                env[value] = array
                ids[value] = out_ids
    exit_of = np.full(batch, len(structure.buffers), dtype=np.int64)
    for k in reversed(range(len(structure.buffers))):
        who, d = reached[k], decided[k]
        exit_of[who[d != 0]] = k
    trace = ExitTrace(reached, decided, exit_of, structure.num_exits)
    return [env[v] for v in net.outputs], trace


__all__ = ["ExitTrace", "network_exit_structure", "trace_exits"]
