"""Early exits in fpga-sim at the network level: which sample goes where.

The exit ops' own semantics and timing are per-op entries like any other's
(`kernels/exits.py`, `processes/exits.py`).  This module follows the samples:

* `network_exit_structure(net)`: the network's exits, stages and merge (checked once);
* `trace_exits(model, inputs)`: a functional run that also says, for every
  early exit, which samples of the batch reached it and what each decided
  (`ExitTrace`: the sample ids a conditional buffer forwards, as in hardware);
* `exit_routing(net, frames, ...)`: the `Routing` the timing simulation follows,
  from a trace, a pattern of exits, or the recorded exit probabilities; it
  also writes the report's `exits` section (`Routing.summarize`, `format_exits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, OpResult

from fpga_opt.backend.costs.exit_rates import (
    ExitStructure,
    exit_structure,
    parse_probabilities,
    recorded_probabilities,
    spread_exits,
)
from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.dialects.dataflow import BufferOp, ConditionalBufferOp, ExitMergeOp
from fpga_opt.dialects.errors import FpgaOptError

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel
    from fpga_opt.backend.sim.graph import Network


def network_exit_structure(net: Network) -> ExitStructure | None:
    """The exit structure of a simulator `Network`, checked once and cached on it."""
    cached = getattr(net, "_exit_structure", False)
    if cached is False:
        cached = exit_structure(net.ops, net.inputs, f"@{net.func.sym_name.data}")
        net._exit_structure = cached  # type: ignore[attr-defined]
    return cached


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
    net = model.network
    structure = network_exit_structure(net)
    if structure is None:
        return model.run(inputs), None
    values = model.evaluate(inputs)
    batch = inputs[0].shape[0] if inputs else 0
    ids = {v: np.arange(batch) for v in net.inputs}
    reached: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(structure.buffers)
    decided: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(structure.buffers)
    for op in net.ops:
        if isinstance(op, ConditionalBufferOp):
            k = structure.exit_of_buffer(op)
            who = ids[op.input]
            d = values[op.decision].reshape(-1).astype(np.int64)
            reached[k], decided[k] = who, d
            out_ids = who[d == 0]
        elif isinstance(op, ExitMergeOp):
            out_ids = ids[op.inputs[0]]
        else:
            out_ids = ids[op.operands[0]] if op.operands else np.arange(batch)
        for value in op.results:
            ids[value] = out_ids
    exit_of = np.full(batch, len(structure.buffers), dtype=np.int64)
    for k in reversed(range(len(structure.buffers))):
        who, d = reached[k], decided[k]
        exit_of[who[d != 0]] = k
    trace = ExitTrace(reached, decided, exit_of, structure.num_exits)
    return [values[v] for v in net.outputs], trace


# --------------------------------------------------------------------------
# Timing: the route of every frame
# --------------------------------------------------------------------------

#: How the exit of each simulated frame was chosen.
ROUTING_SOURCES = ("inputs", "pattern", "probabilities", "final")


class Routing:
    """Which frames each op of an early-exit network processes, frame by frame.

    `exit_of[i]` is the exit frame i leaves at (the guard frame after the
    measured ones takes the final exit, so every stage sees it).  An op of
    stage s processes the frames with `exit_of >= s`; the conditional buffer
    of exit k forwards those with `exit_of > k` and drops the others; the merge
    reads, per frame, exit j's result and decision for every j up to the exit
    taken, and the final result only for frames that took the final exit.
    """

    def __init__(
        self,
        net,
        structure: ExitStructure,
        exit_of: Sequence[int],
        measured: int,
        source: str,
        period: int | None = None,
    ):
        self.net = net
        self.structure = structure
        self.exit_of = np.asarray(list(exit_of), dtype=np.int64)
        self.measured = measured
        self.source = source
        self.period = period or measured
        self._counts: dict[int, int] = {}

    def frame_overlap(self, op: Operation, default: bool) -> bool:
        """Whether `op`'s line buffers may take the next frame's first rows while finishing a frame.

        Only in stage 0, where every sample follows every other.  In a later stage the next frame of an op
        may come much later (or never: the sample may leave), so an op cannot lean on it to finish the
        current one (backend/hls/sliding_window.h never does).
        """
        return default and self.structure.stage.get(op, 0) == 0

    def frames_of(self, op: Operation, frames: int) -> int:
        s = self.structure.stage.get(op, 0)
        if s not in self._counts:
            self._counts[s] = int(np.count_nonzero(self.exit_of[:frames] >= s))
        return self._counts[s]

    def mask_of(self, op: Operation):
        exit_of = self.exit_of
        if isinstance(op, ConditionalBufferOp):
            k = self.structure.exit_of_buffer(op)
            keep = [1.0 if e > k else 0.0 for e in exit_of if e >= k]

            def buffer_mask(j: int):
                return ([1.0, 1.0], [keep[j]]) if j < len(keep) else None

            return buffer_mask
        if isinstance(op, ExitMergeOp):
            early = op.num_exits - 1

            def merge_mask(j: int):
                if j >= len(exit_of):
                    return None
                e = int(exit_of[j])
                cons = []
                for k in range(early):
                    cons += [1.0, 1.0] if k <= e else [0.0, 0.0]
                cons.append(1.0 if e == early else 0.0)
                return cons, [1.0, 1.0]

            return merge_mask
        return None

    def summarize(self, report, done: Sequence[float]) -> dict:
        """The `exits` section of the timing report (see docs/simulator.md)."""
        s = self.structure
        m = self.measured
        hist = np.bincount(self.exit_of[:m], minlength=s.num_exits).tolist()
        fifos = {(f.producer, f.consumer): f for f in report.fifos}
        buffers = []
        for k, b in enumerate(s.buffers):
            name = self.net.name(b)
            src = b.input
            while isinstance(src, OpResult) and isinstance(src.op, BufferOp):
                src = src.op.input
            producer = self.net.name(src.op) if isinstance(src, OpResult) else None
            f = fifos.get((producer, name))
            frame = stream_type(b.input).numel
            buffers.append(
                {
                    "exit": k,
                    "op": name,
                    "depth": b.depth.value.data,
                    "capacity": None if f is None else f.capacity,
                    "max_occupancy": None if f is None else round(f.max_occupancy, 3),
                    "max_occupancy_frames": None if f is None else round(f.max_occupancy / frame, 3),
                    "producer_blocked_pct": None if f is None else round(f.full_stall_pct, 3),
                }
            )
        merge_name = self.net.name(s.merge)
        waits = [
            {"fifo": f.name, "producer_blocked_pct": round(f.full_stall_pct, 3)}
            for f in report.fifos
            if f.consumer == merge_name and f.full_stall_pct > 0
        ]
        result = {
            "source": self.source,
            "exits": s.num_exits,
            "histogram": hist,
            "fractions": [round(c / m, 6) for c in hist] if m else [],
            "conditional_buffers": buffers,
            "merge_input_waits": waits,
            "cycles_per_sample": None,
            "fps": None,
            "measured_over": None,
        }
        if report.deadlock is not None and not any(
            isinstance(op, BufferOp) and op.layer is not None and op.layer.data.endswith(".results") for op in s.ops
        ):
            result["hint"] = (
                "the exit buffers are not sized: run size-exit-buffers (select-folding runs it on early-exit networks)"
            )
        if report.deadlock is None and len(done) >= 2 and m >= 2:
            # achieved: the mean interval between results over the last whole pass of the batch when the run
            # streams it at least twice (the first pass warms up), else between the first and the last result;
            # either way a burst of hard samples anywhere in the batch counts
            first = m - 1 - self.period if m >= 2 * self.period else 0
            interval = (done[m - 1] - done[first]) / (m - 1 - first)
            result["cycles_per_sample"] = round(interval, 3)
            result["measured_over"] = [first, m - 1]
            result["fps"] = round(report.clock_mhz * 1e6 / interval, 3) if interval > 0 else None
        return result


def exit_routing(
    net,
    frames: int,
    *,
    trace: ExitTrace | None = None,
    pattern: Sequence[int] | None = None,
) -> Routing | None:
    """The routing of `frames` measured frames (plus the guard), or None for a network without exits.

    Precedence: an explicit `pattern` of exit indices (repeated cyclically), the
    real decisions of a functional run (`trace`, repeated cyclically when the
    batch is shorter than `frames`), the function's `dataflow.exit_probabilities`
    spread evenly (`spread_exits`), and otherwise every frame takes the final
    exit (the worst case: every stage sees every frame).
    """
    structure = network_exit_structure(net)
    if structure is None:
        if pattern is not None:
            raise FpgaOptError("an exit pattern was given but the network has no early exits")
        return None
    k = structure.num_exits
    if pattern is not None:
        seq = [int(e) for e in pattern]
        if not seq:
            raise FpgaOptError("the exit pattern is empty")
        bad = [e for e in seq if not 0 <= e < k]
        if bad:
            raise FpgaOptError(f"exit pattern: exit {bad[0]} does not exist (the network has exits 0..{k - 1})")
        source = "pattern"
    elif trace is not None and len(trace.exit_of):
        seq, source = trace.exit_of.tolist(), "inputs"
    else:
        probs = recorded_probabilities(net.func)
        if probs is not None:
            probs = parse_probabilities(probs, k, f"@{net.func.sym_name.data}: dataflow.exit_probabilities")
            seq, source = spread_exits(probs, frames), "probabilities"
        else:
            seq, source = [k - 1], "final"
    exit_of = [seq[i % len(seq)] for i in range(frames)] + [k - 1]  # the guard frame goes all the way
    return Routing(net, structure, exit_of, frames, source, period=len(seq) if source != "probabilities" else None)


def format_exits(exits: dict) -> str:
    """The early-exit part of fpga-sim's table."""
    hist = exits["histogram"]
    total = sum(hist) or 1
    lines = [
        f"early exits    {exits['exits']} exits, route from {exits['source']}: "
        + ", ".join(f"exit {k} {n} ({100.0 * n / total:.1f}%)" for k, n in enumerate(hist))
    ]
    if exits.get("cycles_per_sample") is not None:
        a, b = exits["measured_over"]
        lines.append(
            f"achieved       {exits['cycles_per_sample']:.1f} cycles/sample, {exits['fps']:.1f} fps (results {a}..{b})"
        )
    for b in exits["conditional_buffers"]:
        occ = b["max_occupancy"]
        lines.append(
            f"cond. buffer   {b['op']}: max {'-' if occ is None else f'{occ:.0f}'}/{b['depth']} elements "
            f"({b['max_occupancy_frames']} frames), backbone blocked {b['producer_blocked_pct']}% of cycles"
        )
    for w in exits["merge_input_waits"]:
        lines.append(f"merge wait     {w['fifo']}: producer blocked {w['producer_blocked_pct']}% of cycles")
    if exits.get("hint"):
        lines.append(f"hint           {exits['hint']}")
    return "\n".join(lines) + "\n"
