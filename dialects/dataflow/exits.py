"""Early exits (ATHEENA): `dataflow.exit_decision`, `dataflow.conditional_buffer`, `dataflow.exit_merge`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from xdsl.dialects.builtin import (
    I64,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    f64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.base import (
    GENERAL_FORMAT,
    STREAM_FORMAT,
    DataflowOp,
    FifoOp,
    expect_stream,
    i64_attr,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType, int_range

# --------------------------------------------------------------------------
# Early exits (ATHEENA)
# --------------------------------------------------------------------------

EXIT_FRAC_BITS = 16
"""Fractional bits of the fixed-point exp table of integer exit decisions (2^16 = probability 1)."""

EXIT_TABLE_MAX_ENTRIES = 256
"""Largest exp table of one integer `exit_decision`; wider logits are shifted right first."""


@dataclass(frozen=True)
class ExitRule:
    """The integer decision of a `dataflow.exit_decision` on integer logits, bit for bit.

    For logits `q_0 .. q_{N-1}` (integers of scale `s`, so `z_i = s * q_i`):

        d_i = q_max - q_i                                  (>= 0, exact)
        E_i = table[d_i >> shift] if (d_i >> shift) < len(table) else 0
        S   = sum_i E_i                                    (unsigned, exact)
        exit  <=>  S <= limit

    with `table[j] = floor(2^F * exp(-j * 2^shift * s) + 1/2)` (all entries
    positive, `table[0] = 2^F`), `limit = floor(2^F / threshold)` and
    `F = frac_bits`.  This is `max softmax >= threshold`, i.e.
    `sum_i exp(z_i - z_max) <= 1/threshold`, in fixed point: each term is off
    by at most 1/2 ulp (`2^-(F+1)`), so only samples whose confidence lies
    within about `N * 2^-(F+1) / threshold^2` of the threshold can be decided
    differently from exact arithmetic (and a right shift makes the rule
    conservative: it rounds differences down, so exp up).

    `exit_rule` is the only producer of the table and the limit; the
    interpreter and the HLS kernels both take them from here, so they agree
    bit for bit.  `S` needs `F + 1 + ceil(log2 N)` bits.
    """

    frac_bits: int
    shift: int
    table: tuple[int, ...]
    limit: int

    def confidence_sum(self, logits: Sequence[int]) -> int:
        """`S` for one sample's integer logits."""
        q_max = max(logits)
        total = 0
        for q in logits:
            j = (q_max - q) >> self.shift
            if j < len(self.table):
                total += self.table[j]
        return total

    def decide(self, logits: Sequence[int]) -> bool:
        """True when the sample leaves at this exit."""
        return self.confidence_sum(logits) <= self.limit

    def confidence_sums(self, logits):  # (..., N) integer ndarray -> (...) int64 ndarray
        """`S` for a batch of samples: integer array of shape (..., N) -> int64 array (...)."""
        import numpy as np

        q = np.asarray(logits, dtype=np.int64)
        j = (q.max(axis=-1, keepdims=True) - q) >> self.shift
        table = np.asarray(self.table + (0,), dtype=np.int64)
        return table[np.minimum(j, len(self.table))].sum(axis=-1)

    def decide_batch(self, logits):  # (..., N) integer ndarray -> (...) bool ndarray
        """`decide` for a batch of samples: integer array (..., N) -> bool array (...)."""
        return self.confidence_sums(logits) <= self.limit


def exit_rule(threshold: float, scale: float, logit_type: IntegerType, frac_bits: int = EXIT_FRAC_BITS) -> ExitRule:
    """The table, shift and limit of an integer exit decision (see `ExitRule`).

    `shift` is the smallest right shift of the logit differences that keeps
    the table within EXIT_TABLE_MAX_ENTRIES: 0 for 8-bit logits (at most 256
    differences) and for any logits whose exp underflows to 0 within 256
    steps of `scale`.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not (scale > 0.0 and math.isfinite(scale)):
        raise ValueError(f"scale must be positive and finite, got {scale}")
    lo, hi = int_range(logit_type)
    one = 1 << frac_bits
    shift = 0
    while True:
        reach = ((hi - lo) >> shift) + 1  # distinct values of d >> shift
        size = min(reach, EXIT_TABLE_MAX_ENTRIES)
        table: list[int] = []
        for j in range(size):
            entry = math.floor(one * math.exp(-j * scale * 2.0**shift) + 0.5)
            if entry == 0:
                break
            table.append(entry)
        if len(table) < size or reach <= EXIT_TABLE_MAX_ENTRIES:
            break
        shift += 1
    limit = math.floor(Fraction(one) / Fraction(threshold))
    return ExitRule(frac_bits, shift, tuple(table), limit)


def float_exit_decision(logits: Sequence[float], threshold: float) -> bool:
    """The decision on float logits: `sum_i exp(z_i - z_max) <= 1/threshold`, in float64.

    Float networks are not bit-exact across executions; a sample whose top
    probability is within rounding of the threshold may be decided either way.
    """
    z_max = max(logits)
    return math.fsum(math.exp(z - z_max) for z in logits) <= 1.0 / threshold


def is_decision_stream(s: StreamType) -> bool:
    return s.dims == (1, 1, 1) and s.element_type == IntegerType(1)


DECISION_TYPE = StreamType((1, 1, 1), IntegerType(1))
"""`!dataflow.stream<1x1x1xi1>`: one exit decision per sample (1 = the sample leaves)."""


@irdl_op_definition
class ExitDecisionOp(DataflowOp):
    """Decides per sample whether an exit classifier is confident enough.

    Reads the exit's `1x1xN` logits and emits one `i1` per sample: 1 when the
    top softmax probability reaches `threshold` (the sample leaves here), 0
    when it must continue.  `max softmax >= t` is evaluated without a divider
    as `sum_i exp(z_i - z_max) <= 1/t`.  On integer logits `scale` is the
    logits' quantisation scale and the rule is `ExitRule` (a fixed-point exp
    table over logit differences, from `exit_rule`), exact and identical in
    the interpreter and the HLS kernel; on float logits it is
    `float_exit_decision`.  See docs/dialects/dataflow.md.
    """

    name = "dataflow.exit_decision"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    threshold = prop_def(FloatAttr)
    scale = opt_prop_def(FloatAttr)

    assembly_format = STREAM_FORMAT

    def __init__(self, logits: SSAValue, threshold: float, *, scale: float | None = None, layer: str | None = None):
        props: dict[str, Attribute] = {"threshold": FloatAttr(float(threshold), f64)}
        if scale is not None:
            props["scale"] = FloatAttr(float(scale), f64)
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[logits], result_types=[DECISION_TYPE], properties=props)

    @property
    def threshold_value(self) -> float:
        return self.threshold.value.data

    @property
    def scale_value(self) -> float | None:
        return None if self.scale is None else self.scale.value.data

    def rule(self) -> ExitRule | None:
        """The integer decision rule (None on float logits)."""
        inp = self.input.type
        assert isinstance(inp, StreamType)
        if not isinstance(inp.element_type, IntegerType):
            return None
        assert self.scale is not None
        return exit_rule(self.threshold_value, self.scale.value.data, inp.element_type)

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if inp.height != 1 or inp.width != 1:
            raise VerifyException(f"{who(self)}: logits must be 1x1xN, got {'x'.join(map(str, inp.dims))}")
        if not is_decision_stream(out):
            raise VerifyException(f"{who(self)}: result must be !dataflow.stream<1x1x1xi1>, got {out}")
        t = self.threshold_value
        if not 0.0 < t <= 1.0:
            raise VerifyException(f"{who(self)}: threshold must be in (0, 1], got {t}")
        if inp.is_integer and self.scale is None:
            raise VerifyException(f"{who(self)}: integer logits need 'scale' to compare against a probability")
        if self.scale is not None:
            s = self.scale.value.data
            if not inp.is_integer:
                raise VerifyException(f"{who(self)}: 'scale' applies to integer logits only, got {inp.element_type}")
            if not (s > 0.0 and math.isfinite(s)):
                raise VerifyException(f"{who(self)}: scale must be positive and finite, got {s}")


@irdl_op_definition
class ConditionalBufferOp(FifoOp):
    """Holds each sample's backbone features until its exit decision arrives.

    Per sample, reads one decision and the sample's whole frame of features.
    Decision 0 (continue): the frame is forwarded downstream.
    Decision 1 (exited): the frame is dropped.  `depth` is in elements and
    must cover the decision latency, or the backbone stalls
    (`split-exit-branches` sizes it; docs/passes/early_exit.md).
    """

    name = "dataflow.conditional_buffer"

    input = operand_def(StreamType)
    decision = operand_def(StreamType)
    output = result_def(StreamType)

    depth = prop_def(IntegerAttr[I64])

    assembly_format = "$input `,` $decision attr-dict `:` type($input) `,` type($decision) `->` type($output)"

    def __init__(self, input: SSAValue, decision: SSAValue, depth: int, *, layer: str | None = None):
        props: dict[str, Attribute] = {"depth": i64_attr(depth)}
        if layer is not None:
            props["layer"] = StringAttr(layer)
        super().__init__(operands=[input, decision], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        dec = expect_stream(self.decision, self, "decision")
        if not is_decision_stream(dec):
            raise VerifyException(f"{who(self)}: decision must be !dataflow.stream<1x1x1xi1>, got {dec}")
        if self.output.type != inp:
            raise VerifyException(f"{who(self)}: result type {self.output.type} must equal the input type {inp}")
        if self.depth.value.data < 1:
            raise VerifyException(f"{who(self)}: depth must be >= 1, got {self.depth.value.data}")


@irdl_op_definition
class ExitMergeOp(DataflowOp):
    """Collects every sample's result from whichever exit it left at.

    Operands are `(result, decision)` for each early exit in exit order, then
    the final exit's result.  Per sample, in sample order: read exit 0's
    result and decision; if the decision is 1, emit that result and index 0;
    otherwise discard it and do the same with exit 1, ..., and emit the final
    result (index K-1) when every early exit said continue.  The decisions are
    the sample ids: they say which exit holds each sample's result, so the
    output keeps the input order even though early exits finish first.
    Emits the merged result and the index of the exit each sample took.
    """

    name = "dataflow.exit_merge"

    inputs = var_operand_def(StreamType)
    output = result_def(StreamType)
    exit_index = result_def(StreamType)

    assembly_format = GENERAL_FORMAT

    def __init__(
        self,
        exits: Sequence[tuple[SSAValue, SSAValue]],
        final: SSAValue,
        *,
        index_type: IntegerType | None = None,
        layer: str | None = None,
    ):
        operands: list[SSAValue] = [v for pair in exits for v in pair] + [final]
        index = StreamType((1, 1, 1), index_type if index_type is not None else IntegerType(8))
        super().__init__(
            operands=[operands],
            result_types=[final.type, index],
            properties={"layer": StringAttr(layer)} if layer is not None else {},
        )

    @property
    def num_exits(self) -> int:
        """Exits in all, the final one included."""
        return (len(self.inputs) + 1) // 2

    def exit_results(self) -> list[SSAValue]:
        """The result operand of each exit, in exit order (the final one last)."""
        return [self.inputs[i] for i in range(0, len(self.inputs), 2)]

    def decisions(self) -> list[SSAValue]:
        """The decision operand of each early exit, in exit order."""
        return [self.inputs[i] for i in range(1, len(self.inputs), 2)]

    def verify_(self) -> None:
        out = expect_stream(self.output, self, "result")
        n = len(self.inputs)
        if n < 3 or n % 2 == 0:
            raise VerifyException(
                f"{who(self)}: operands are (result, decision) per early exit then the final result; got {n}"
            )
        for i, v in enumerate(self.inputs):
            s = expect_stream(v, self, f"operand {i}")
            if i % 2 == 0 and s != out:
                raise VerifyException(f"{who(self)}: exit result {i // 2} has type {s}, the merged result {out}")
            if i % 2 == 1 and not is_decision_stream(s):
                raise VerifyException(f"{who(self)}: operand {i} must be a decision stream 1x1x1xi1, got {s}")
        idx = expect_stream(self.exit_index, self, "exit_index result")
        if idx.dims != (1, 1, 1) or not idx.is_integer:
            raise VerifyException(f"{who(self)}: exit_index must be a 1x1x1 integer stream, got {idx}")
        lo, hi = int_range(idx.element_type)  # type: ignore[arg-type]
        if hi < self.num_exits - 1:
            raise VerifyException(
                f"{who(self)}: exit_index type {idx.element_type} cannot hold exit {self.num_exits - 1}"
            )
