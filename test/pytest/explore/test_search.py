"""NSGA-II's operators on a design space: the seeded first population, integer mutation, novelty repair."""

from __future__ import annotations

import numpy as np

from fpga_opt.tools.explore.search import first_population, mutate, novel
from fpga_opt.tools.explore.space import BUDGET_CHOICES, CLOCK_FRACTIONS, build_space

LAYERS = ["conv1", "conv2", "fc"]


def space():
    return build_space(boards=["kv260"], clocks=None, layers=LAYERS)


def test_first_population_starts_at_the_reference_and_spans_every_clock_and_budget():
    sp = space()
    first = first_population(sp, 15, np.random.default_rng(3))
    assert first[0] == sp.reference() and len(set(first)) == 15
    settings = [sp.decode(g) for g in first[1:]]
    assert {s["clock_fraction"] for s in settings} == set(CLOCK_FRACTIONS)
    assert {s["max_util"] for s in settings} == set(BUDGET_CHOICES)
    for s in settings:  # one weight and one activation width for every layer
        assert len({tuple(b) for b in s["bits"].values()}) == 1
    widths = {s["bits"]["conv1"][0] for s in settings}
    assert min(widths) <= 3 and max(widths) >= 7  # the precision axis is spanned too


def test_first_population_is_deterministic_for_a_seed():
    sp = space()
    assert first_population(sp, 9, np.random.default_rng(5)) == first_population(sp, 9, np.random.default_rng(5))
    assert first_population(sp, 9, np.random.default_rng(5)) != first_population(sp, 9, np.random.default_rng(6))


def test_mutation_stays_in_bounds_and_moves_genes():
    _, upper = space().bounds()
    rng = np.random.default_rng(0)
    x = tuple(upper)
    moved = 0
    for _ in range(200):
        y = mutate(x, upper, rng, 0.3)
        assert all(0 <= v <= hi for v, hi in zip(y, upper, strict=True))
        moved += y != x
    assert moved > 150


def test_novelty_repair_leaves_no_evaluated_or_repeated_vector():
    sp = space()
    _, upper = sp.bounds()
    ref = sp.reference()
    seen = {ref: {}}
    out = novel([ref, ref, ref], seen, upper, np.random.default_rng(1))
    assert len(set(out)) == 3 and ref not in out
