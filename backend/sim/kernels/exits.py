"""Semantics of the early-exit ops: `dataflow.exit_decision`, `conditional_buffer`, `exit_merge`.

The interpreter runs batches, so a conditional buffer's output batch holds
only the continuing samples, in sample order: every op after it processes
fewer samples, exactly as the hardware stage after the exit does.  Which
sample is which is traced by `backend/sim/exits.py` (`trace_exits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim.dtypes import narrow, stream_type
from fpga_opt.backend.sim.exits import network_exit_structure
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import ConditionalBufferOp, ExitDecisionOp, ExitMergeOp, float_exit_decision
from fpga_opt.dialects.errors import FpgaOptError

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


@KERNELS.register(ExitDecisionOp)
def exit_decision_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Per sample, 1 (leave) when the exit is confident: `ExitDecisionOp.rule()` on integer logits (the
    table and limit the HLS kernel gets), `float_exit_decision` on float ones."""
    assert isinstance(op, ExitDecisionOp)
    network_exit_structure(model.network)
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


@KERNELS.register(ConditionalBufferOp)
def conditional_buffer_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Keeps a sample's frame iff its decision is 0 (continue)."""
    assert isinstance(op, ConditionalBufferOp)
    network_exit_structure(model.network)
    where = model.where(op)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        frames, decisions = args
        if len(frames) != len(decisions):
            raise FpgaOptError(f"{where}: {len(frames)} frames but {len(decisions)} decisions")
        keep = decisions.reshape(-1) == 0
        return [frames[keep]]

    return run


@KERNELS.register(ExitMergeOp)
def exit_merge_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """One result per sample, in sample order, from the exit it left at, plus that exit's index.

    Exit k's result and decision streams hold the samples that reached exit k,
    the final result those that passed every exit: the decisions say which
    sample is which (they are the sample ids, as in hardware).
    """
    assert isinstance(op, ExitMergeOp)
    network_exit_structure(model.network)
    where = model.where(op)
    out_t, index_t = stream_type(op.output), stream_type(op.exit_index)
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
