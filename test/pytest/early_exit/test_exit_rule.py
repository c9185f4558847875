"""The integer exit decision (`exit_rule`): exactness, agreement with softmax, wide logits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from xdsl.dialects.builtin import IntegerType

from fpga_opt.dialects.dataflow import (
    EXIT_FRAC_BITS,
    EXIT_TABLE_MAX_ENTRIES,
    ExitRule,
    exit_rule,
    float_exit_decision,
)

I8, I16, I32 = IntegerType(8), IntegerType(16), IntegerType(32)


def max_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return 1.0 / e.sum(axis=-1)


def test_table_shape_int8():
    r = exit_rule(0.9, 2**-3, I8)
    assert r.frac_bits == EXIT_FRAC_BITS and r.shift == 0
    assert r.table[0] == 2**EXIT_FRAC_BITS
    assert all(a >= b > 0 for a, b in zip(r.table, r.table[1:], strict=False))
    # the table stops where the rounded exp reaches 0
    assert math.floor(2**16 * math.exp(-len(r.table) * 2**-3) + 0.5) == 0
    assert r.limit == math.floor(2**16 / 0.9)


def test_fine_int8_scale_covers_every_difference():
    r = exit_rule(0.9, 2**-8, I8)
    assert r.shift == 0 and len(r.table) == 256


@pytest.mark.parametrize("t", [I16, I32])
def test_wide_logits_are_shifted_to_a_small_table(t):
    r = exit_rule(0.95, 2**-12, t)
    assert r.shift > 0 and len(r.table) <= EXIT_TABLE_MAX_ENTRIES
    # one shift less would not fit
    step = 2**-12 * 2 ** (r.shift - 1)
    assert math.floor(2**16 * math.exp(-EXIT_TABLE_MAX_ENTRIES * step) + 0.5) > 0


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9, 0.99])
@pytest.mark.parametrize("scale", [2**-2, 2**-4, 2**-6, 0.1])
def test_agrees_with_softmax_away_from_the_threshold(threshold, scale):
    rng = np.random.default_rng(0)
    q = rng.integers(-128, 128, size=(4000, 10))
    q[:, 3] += rng.integers(0, 120, size=4000)  # make some samples confident
    q = np.clip(q, -128, 127)
    rule = exit_rule(threshold, scale, I8)
    got = rule.decide_batch(q)
    p = max_softmax(q * scale)
    clear = np.abs(p - threshold) > 1e-3
    assert np.array_equal(got[clear], (p >= threshold)[clear])
    assert got.sum() < len(got)
    assert got.any() == (p >= threshold + 1e-3).any()


def test_scalar_and_batch_forms_agree():
    rng = np.random.default_rng(1)
    q = rng.integers(-128, 128, size=(500, 7))
    rule = exit_rule(0.8, 2**-4, I8)
    sums = rule.confidence_sums(q)
    assert [rule.confidence_sum(row.tolist()) for row in q] == sums.tolist()
    assert [rule.decide(row.tolist()) for row in q] == rule.decide_batch(q).tolist()


def test_exact_corner_cases():
    rule = ExitRule(frac_bits=4, shift=0, table=(16, 8, 4), limit=20)
    assert rule.confidence_sum([5, 5]) == 32  # a tie: two maxima
    assert rule.confidence_sum([5, 4, 3, 0]) == 16 + 8 + 4 + 0  # difference 5 is past the table
    assert rule.decide([5, 3, -100]) and not rule.decide([5, 4])
    shifted = ExitRule(frac_bits=4, shift=2, table=(16, 8), limit=20)
    assert shifted.confidence_sum([9, 9 - 3, 9 - 4, 9 - 8]) == 16 + 16 + 8 + 0


def test_threshold_one_needs_all_other_terms_to_vanish():
    rule = exit_rule(1.0, 2**-3, I8)
    assert rule.limit == 2**16
    assert rule.decide([127, -128, -128]) and not rule.decide([127, 126, -128])


@pytest.mark.parametrize(("threshold", "scale"), [(0.0, 1.0), (1.5, 1.0), (0.9, 0.0), (0.9, -1.0), (0.9, math.inf)])
def test_bad_arguments(threshold, scale):
    with pytest.raises(ValueError):
        exit_rule(threshold, scale, I8)


def test_float_rule():
    assert float_exit_decision([10.0, 0.0, 0.0], 0.9)
    assert not float_exit_decision([1.0, 0.9, 0.0], 0.5)
    assert float_exit_decision([0.0, 0.0], 0.5)  # exactly 1/2
