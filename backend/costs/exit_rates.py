"""Early-exit networks after `split-exit-branches`: which samples each op sees, and how often.

A split network (docs/passes/early_exit.md) has, for each early exit k, a
`dataflow.exit_decision`, a `dataflow.conditional_buffer` that forwards the
backbone features of the samples that continue, and one `dataflow.exit_merge`
collecting every exit.  This module is the structural analysis shared by the
interpreter (`backend/sim/exits.py`), exit-aware folding (`select-folding`),
the buffer sizing (`size-exit-buffers`) and the HLS lowering:

* **Sample domains.**  Every stream carries the samples of one *domain*: the
  conditional buffers it has crossed, in order.  A network input carries every
  sample (domain `()`); a conditional buffer's output carries its input's
  domain plus itself.  Every op but `exit_merge` reads one domain (a join of
  two domains would pair samples that are not the same sample) and writes it;
  a conditional buffer reads its frame and its decision in one domain;
  `exit_merge` reads exit k's (result, decision) in its own domain extended by
  the first k buffers, the final result after all of them, and writes its own
  domain (one result per sample).  `exit_structure` checks all of this.
* **Stage** of an op: the number of buffers in the domain it reads (the
  merge: its own domain).  It equals the `dataflow.stage` tag the split pass
  writes; the analysis does not trust the tag, it derives it.
* **Reach.**  With `p_j` the fraction of samples leaving at exit j
  (`dataflow.exit_probabilities`, measured by `fpga-profile-exits`), the
  fraction of samples reaching stage k is `q_k = 1 - sum_{j<k} p_j`.  An op of
  stage k processes `q_k` frames per network sample, so a design whose op i
  takes `T_i` cycles per frame runs at one sample every `max_i q_i T_i` cycles
  (ATHEENA: `min(T_stage0, T_stage1 / q)` in rates).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ArrayAttr, FloatAttr, IntegerAttr, f64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Operation, OpResult, SSAValue

from fpga_opt.backend.costs.registry import op_rate
from fpga_opt.dialects.dataflow import (
    BufferOp,
    ConditionalBufferOp,
    DataflowOp,
    ExitDecisionOp,
    ExitMergeOp,
    ForkOp,
)
from fpga_opt.dialects.errors import FpgaOptError

PROBABILITIES_ATTR = "dataflow.exit_probabilities"
"""On the function (fpga-profile-exits --write-ir): the fraction of samples leaving at each exit (K floats)."""

Domain = tuple[ConditionalBufferOp, ...]


def _name(op: Operation) -> str:
    if isinstance(op, DataflowOp) and op.layer is not None:
        return f"'{op.name}' \"{op.layer.data}\""
    return f"'{op.name}'"


def decision_source(value: SSAValue) -> ExitDecisionOp | None:
    """The `exit_decision` whose decisions `value` carries (through forks and buffers), or None."""
    seen: set[SSAValue] = set()
    while isinstance(value, OpResult) and value not in seen:
        seen.add(value)
        op = value.op
        if isinstance(op, ExitDecisionOp):
            return op
        if isinstance(op, ForkOp | BufferOp):
            value = op.operands[0]
            continue
        return None
    return None


@dataclass
class ExitStructure:
    """The early-exit structure of one split function (see the module docstring)."""

    ops: list[Operation]
    merge: ExitMergeOp
    decisions: list[ExitDecisionOp]
    """The decision of each early exit, in exit order."""
    buffers: list[ConditionalBufferOp]
    """The conditional buffer of each early exit, in exit order."""
    domain: dict[SSAValue, Domain]
    """The samples every stream carries: the conditional buffers it has crossed."""
    stage: dict[Operation, int] = field(default_factory=dict)
    """Each op's stage: the buffers in the domain it reads (the merge: its own domain)."""

    @property
    def num_exits(self) -> int:
        return len(self.decisions) + 1

    def exit_of_buffer(self, buffer: ConditionalBufferOp) -> int:
        return self.buffers.index(buffer)


def exit_structure(ops: Sequence[Operation], inputs: Sequence[SSAValue], where: str = "") -> ExitStructure | None:
    """Analyse the ops of one function (program order) whose arguments are `inputs`.

    None when there is no conditional buffer or merge; an `FpgaOptError` (one line) when the
    exit ops are not wired as `split-exit-branches` wires them, or when a join
    mixes samples of different domains.
    """
    if not any(isinstance(op, ConditionalBufferOp | ExitMergeOp) for op in ops):
        return None  # no exit ops, or decisions alone (pure functions of their logits)
    prefix = f"{where}: " if where else ""
    merges = [op for op in ops if isinstance(op, ExitMergeOp)]
    if len(merges) != 1:
        raise FpgaOptError(f"{prefix}an early-exit network needs exactly one dataflow.exit_merge, found {len(merges)}")
    merge = merges[0]
    decisions: list[ExitDecisionOp] = []
    for k, d in enumerate(merge.decisions()):
        src = decision_source(d)
        if src is None:
            raise FpgaOptError(f"{prefix}exit_merge operand {2 * k + 1} does not come from a dataflow.exit_decision")
        if src in decisions:
            raise FpgaOptError(f"{prefix}exit_merge reads the decision {_name(src)} twice")
        decisions.append(src)
    buffers: list[ConditionalBufferOp | None] = [None] * len(decisions)
    for op in ops:
        if isinstance(op, ConditionalBufferOp):
            src = decision_source(op.decision)
            if src is None or src not in decisions:
                raise FpgaOptError(f"{prefix}{_name(op)} is not driven by a decision that exit_merge collects")
            k = decisions.index(src)
            if buffers[k] is not None:
                raise FpgaOptError(f"{prefix}exit {k} has two conditional buffers")
            buffers[k] = op
    for k, b in enumerate(buffers):
        if b is None:
            raise FpgaOptError(f"{prefix}exit {k} has a decision but no dataflow.conditional_buffer")
    for d in decisions:
        if sum(1 for op in ops if isinstance(op, ExitDecisionOp) and op is d) != 1:  # pragma: no cover
            raise FpgaOptError(f"{prefix}{_name(d)} is not in the function")
    if any(isinstance(op, ExitDecisionOp) and op not in decisions for op in ops):
        stray = next(op for op in ops if isinstance(op, ExitDecisionOp) and op not in decisions)
        raise FpgaOptError(f"{prefix}{_name(stray)} is not collected by exit_merge")

    domain: dict[SSAValue, Domain] = {v: () for v in inputs}
    stage: dict[Operation, int] = {}
    chain: list[ConditionalBufferOp] = [b for b in buffers if b is not None]

    def read(op: Operation, v: SSAValue) -> Domain:
        if v not in domain:
            raise FpgaOptError(f"{prefix}{_name(op)} reads a value defined after it")
        return domain[v]

    for op in ops:
        if isinstance(op, ExitMergeOp):
            base = read(op, op.inputs[0])
            for k in range(len(decisions)):
                want = base + tuple(chain[:k])
                for v in (op.inputs[2 * k], op.inputs[2 * k + 1]):
                    if read(op, v) != want:
                        raise FpgaOptError(
                            f"{prefix}exit_merge: exit {k}'s result and decision must carry the samples that "
                            f"reach exit {k}"
                        )
            if read(op, op.inputs[-1]) != base + tuple(chain):
                raise FpgaOptError(f"{prefix}exit_merge: the final result must carry the samples that pass every exit")
            out = base
        else:
            seen = {read(op, v) for v in op.operands}
            if len(seen) > 1:
                raise FpgaOptError(
                    f"{prefix}{_name(op)} joins streams of different samples (some passed a conditional buffer, "
                    "some did not); every stream into a join must cross the same exits"
                )
            out = next(iter(seen)) if seen else ()
            if isinstance(op, ConditionalBufferOp):
                k = buffers.index(op)
                if out != tuple(chain[:k]):
                    raise FpgaOptError(f"{prefix}{_name(op)} (exit {k}) must read the samples that reach exit {k}")
                stage[op] = len(out)
                out = out + (op,)
                for r in op.results:
                    domain[r] = out
                continue
        stage[op] = len(out)
        for r in op.results:
            domain[r] = out
    return ExitStructure(list(ops), merge, decisions, chain, domain, stage)


def func_exit_structure(func: FuncOp) -> ExitStructure | None:
    """`exit_structure` of a `func.func` (None when it has no early-exit op)."""
    ops = [op for op in func.body.block.ops if not isinstance(op, ReturnOp)]
    return exit_structure(ops, list(func.body.block.args), f"@{func.sym_name.data}")


# --------------------------------------------------------------------------
# Exit probabilities and reach
# --------------------------------------------------------------------------


def parse_probabilities(values: Sequence[float], num_exits: int, what: str) -> list[float]:
    """Check exit probabilities: one per exit, each in [0, 1], summing to 1 (within 1e-6)."""
    probs = [float(p) for p in values]
    if len(probs) != num_exits:
        raise FpgaOptError(f"{what}: {len(probs)} exit probabilities for {num_exits} exits; give one per exit")
    if any(not (0.0 <= p <= 1.0) or not math.isfinite(p) for p in probs):
        raise FpgaOptError(f"{what}: exit probabilities must lie in [0, 1], got {','.join(f'{p:g}' for p in probs)}")
    if abs(sum(probs) - 1.0) > 1e-6:
        raise FpgaOptError(f"{what}: exit probabilities must sum to 1, got {sum(probs):.6g}")
    return probs


def recorded_probabilities(func: FuncOp) -> list[float] | None:
    """`dataflow.exit_probabilities` of the function, or None."""
    attr = func.attributes.get(PROBABILITIES_ATTR)
    if attr is None:
        return None
    if isinstance(attr, ArrayAttr) and all(isinstance(a, FloatAttr | IntegerAttr) for a in attr.data):
        return [float(a.value.data) for a in attr.data]  # type: ignore[union-attr]
    raise FpgaOptError(f"@{func.sym_name.data}: {PROBABILITIES_ATTR} must be a list of numbers, got {attr}")


@contextmanager
def every_sample_leaving_first(func: FuncOp) -> Iterator[bool]:
    """While open, `func`'s recorded exit probabilities send every sample out at exit 0; yields whether it did.

    Stage 0 and the first exit's branch process every sample whatever the route, so the FIFOs between
    them must carry the rate of a run in which every sample leaves there.  A run on the recorded rates
    spread evenly does not show it when a later stage is rare: one hard sample in the run is more
    than its share (1 in 128 for 0.6 %), its stage then paces the run, and stage 0's FIFOs are
    sized for that slower pace (the B-LeNet at t = 0.5 on KV260: 333 cycles per sample on the easy
    samples with them, 256 with the FIFOs sized here; size-fifos sizes on both, never shrinking).
    Yields False, and changes nothing, for a function without split exits or without recorded rates
    (it is sized for every sample taking the final exit: the worst case, with a warning).
    """
    structure = func_exit_structure(func)
    before = func.attributes.get(PROBABILITIES_ATTR)
    if structure is None or before is None or recorded_probabilities(func) is None:
        yield False
        return
    first = [1.0] + [0.0] * (structure.num_exits - 1)
    func.attributes[PROBABILITIES_ATTR] = ArrayAttr([FloatAttr(p, f64) for p in first])
    try:
        yield True
    finally:
        func.attributes[PROBABILITIES_ATTR] = before


def reach_fractions(probabilities: Sequence[float]) -> list[float]:
    """q_k = 1 - sum_{j<k} p_j: the fraction of samples reaching stage k (q_0 = 1)."""
    q, left = [], 1.0
    for p in probabilities:
        q.append(max(0.0, left))
        left -= p
    return q


def op_reach(structure: ExitStructure, probabilities: Sequence[float]) -> dict[Operation, float]:
    """The fraction of network samples each op processes (q of its stage)."""
    q = reach_fractions(probabilities)
    return {op: q[min(s, len(q) - 1)] for op, s in structure.stage.items()}


def spread_exits(probabilities: Sequence[float], samples: int) -> list[int]:
    """A deterministic exit pattern of `samples` samples with the given fractions, as evenly spread as possible.

    Sample i leaves at exit k when the running count of exit k falls behind its
    share (largest deficit first), so that any window of the pattern holds
    nearly the expected mix: the timing a folding assumes when it scales each
    stage by its reach.
    """
    counts = [0] * len(probabilities)
    pattern = []
    for i in range(samples):
        deficit = [(i + 1) * p - c for p, c in zip(probabilities, counts, strict=True)]
        k = max(range(len(deficit)), key=lambda j: (deficit[j], -j))
        counts[k] += 1
        pattern.append(k)
    return pattern


def effective_interval(func: FuncOp, probabilities: Sequence[float] | None = None) -> tuple[float, Operation | None]:
    """Cycles per network sample of a (split) function at its folding: `max_i q_i * cycles_i`, and the op.

    `probabilities`: per exit (default: `dataflow.exit_probabilities`, else every op at q = 1).  A
    function without early exits gives its slowest op's cycles, as `analyse_network`.
    """
    structure = func_exit_structure(func)
    reach: dict[Operation, float] = {}
    if structure is not None:
        probs = probabilities if probabilities is not None else recorded_probabilities(func)
        if probs is not None:
            reach = op_reach(structure, parse_probabilities(probs, structure.num_exits, f"@{func.sym_name.data}"))
    worst, where = 0.0, None
    for op in func.body.block.ops:
        if isinstance(op, DataflowOp):
            cycles = op_rate(op)[0] * reach.get(op, 1.0)
            if cycles > worst:
                worst, where = cycles, op
    return worst, where


# --------------------------------------------------------------------------
# Where the rates come from, and what they are worth
# --------------------------------------------------------------------------

MISSING_RATES_HINT = (
    "record the exit rates with fpga-profile-exits --write-ir (or fpga-compile --exit-data), or give them "
    "(select-folding{exit-probabilities=...})"
)
"""What to do when an early-exit network has no exit probabilities (every message about it ends with this)."""


def missing_rates_message(where: str) -> str:
    """The one line that says an early-exit network has no exit rates, and what that costs."""
    return (
        f"{where}: early-exit network without exit probabilities (dataflow.exit_probabilities): every stage is "
        f"costed as if every sample reached it, the worst case; {MISSING_RATES_HINT}"
    )


def warn(what: str, message: str) -> None:
    """A warning of a pass or tool, on stderr: `what: warning: message` (never silent, never fatal)."""
    import sys

    print(f"{what}: warning: {message}", file=sys.stderr, flush=True)


def func_reach(func: FuncOp, probabilities: Sequence[float] | None = None) -> tuple[dict[Operation, float], str]:
    """Each op's reach in a split function, and where the rates came from.

    Source: "given" (`probabilities`), "measured" (`dataflow.exit_probabilities`), "none" (an
    early-exit network without rates: the reach map is empty, every op at q = 1), or "no exits".
    """
    structure = func_exit_structure(func)
    if structure is None:
        return {}, "no exits"
    where = f"@{func.sym_name.data}: exit probabilities"
    if probabilities is not None:
        probs, source = list(probabilities), "given"
    else:
        recorded = recorded_probabilities(func)
        if recorded is None:
            return {}, "none"
        probs, source = recorded, "measured"
    return op_reach(structure, parse_probabilities(probs, structure.num_exits, where)), source


@dataclass(frozen=True)
class ExitInterval:
    """The interval of a design with early exits: one sample every `interval` cycles, set by `bottleneck`.

    `per_sample[op]` = reach x cycles per frame (the op's cycles per network sample); `sources`: how
    each early-exit function's rates were known (`func_reach`).
    """

    interval: int
    bottleneck: Operation | None
    per_sample: dict[Operation, int]
    reach: dict[Operation, float]
    sources: dict[str, str]

    @property
    def missing(self) -> list[str]:
        """The early-exit functions whose rates were not known (costed at the worst case)."""
        return [name for name, source in self.sources.items() if source == "none"]


def exit_interval(root: Operation, cycles: Mapping[Operation, int]) -> ExitInterval | None:
    """The exit-aware interval of the design under `root` (a module or a function), None without early exits.

    `cycles`: every costed op's cycles per frame (`analyse_network(...).layers`).  The interval is
    max over ops of ceil(q x cycles): ATHEENA's min over stages of T_stage / q, in cycles.
    """
    funcs = [root] if isinstance(root, FuncOp) else [f for f in root.walk() if isinstance(f, FuncOp)]
    reach: dict[Operation, float] = {}
    sources: dict[str, str] = {}
    for func in funcs:
        if func.is_declaration:
            continue
        func_map, source = func_reach(func)
        if source == "no exits":
            continue
        sources[func.sym_name.data] = source
        reach.update(func_map)
    if not sources:
        return None
    per_sample = {op: scaled_cycles(c, reach.get(op, 1.0)) for op, c in cycles.items()}
    interval, bottleneck = 0, None
    for op, c in per_sample.items():
        if c > interval:
            interval, bottleneck = c, op
    return ExitInterval(interval, bottleneck, per_sample, reach, sources)


def scaled_cycles(cycles: int, q: float) -> int:
    """Cycles per network sample of an op that the fraction q of the samples reach (rounded up)."""
    return cycles if q >= 1.0 else math.ceil(cycles * q - 1e-9)


def backbone_ops(structure: ExitStructure) -> set[Operation]:
    """The ops the final exit's result depends on: the network without its early exits."""
    seen: set[Operation] = set()
    stack = [structure.merge.inputs[-1]]
    while stack:
        value = stack.pop()
        if not isinstance(value, OpResult) or value.op in seen:
            continue
        op = value.op
        if isinstance(op, ConditionalBufferOp):
            stack.append(op.input)  # the decision is the exit's, not the backbone's
            seen.add(op)
            continue
        seen.add(op)
        stack.extend(op.operands)
    return seen


def stage_macs(structure: ExitStructure) -> list[int]:
    """Multiply-accumulates per frame of each stage's ops, exit branches included (`op.macs()`)."""
    macs = [0] * structure.num_exits
    for op, s in structure.stage.items():
        if isinstance(op, DataflowOp):
            macs[min(s, len(macs) - 1)] += op.macs()
    return macs


def ideal_gain(structure: ExitStructure, probabilities: Sequence[float]) -> float:
    """The throughput gain the exit rates allow at equal compute.

    backbone MACs / sum over stages of reach x stage MACs (exit branches counted): the speed-up of a
    design whose every multiplier is busy, against the network without early exits on the same
    multipliers.
    """
    backbone = sum(op.macs() for op in backbone_ops(structure) if isinstance(op, DataflowOp))
    q = reach_fractions(probabilities)
    work = sum(qk * m for qk, m in zip(q, stage_macs(structure), strict=True))
    return backbone / work if work else math.inf


__all__ = [
    "MISSING_RATES_HINT",
    "PROBABILITIES_ATTR",
    "ExitInterval",
    "ExitStructure",
    "backbone_ops",
    "decision_source",
    "effective_interval",
    "every_sample_leaving_first",
    "exit_interval",
    "exit_structure",
    "func_exit_structure",
    "func_reach",
    "ideal_gain",
    "missing_rates_message",
    "op_reach",
    "parse_probabilities",
    "reach_fractions",
    "recorded_probabilities",
    "scaled_cycles",
    "spread_exits",
    "stage_macs",
    "warn",
]
