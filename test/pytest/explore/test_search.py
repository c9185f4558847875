"""NSGA-II's operators on a design space: the seeded first population, integer mutation, novelty repair."""

from __future__ import annotations

import numpy as np
import pytest

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


class _Toy:
    """A deterministic stand-in for the evaluator: accuracy from the bits, hardware from clock and budget.

    Energy is lowest one budget step below the largest (a design that is a little slower for much
    less power), which a search that never steps the budget of its picks does not find."""

    def map(self, batch, done=None):
        out = []
        for s in batch:
            bits = min(w for w, _ in s["bits"].values())
            u = s["max_util"]
            fps = 1e5 * s["clock_fraction"] * (u / 0.7 if u <= 0.7 else 1 + (u - 0.7))
            power = 0.3 + 0.5 * s["clock_fraction"] * u**2
            metrics = {"throughput": fps, "latency": 1e6 / fps, "power": power, "energy": power / fps * 1e6,
                       "resources": s["max_util"], "accuracy": 0.5 + bits / 20}  # fmt: skip
            out.append({"feasible": True, "metrics": metrics, "settings": s})
        return out


def test_refine_goals_steps_the_picks_clock_and_budget_within_its_budget():
    from fpga_opt.tools.explore.front import design_goals, pareto_front
    from fpga_opt.tools.explore.search import Archive, goal_reserve, refine_goals

    sp = space()
    objectives = ("throughput", "power", "energy", "accuracy")
    archive = Archive(sp, objectives)
    ref = sp.reference()  # 8 bits, the highest clock and budget (0.85): the energy pick, not the best energy
    for genes in (ref,):
        archive.add(genes, _Toy().map([sp.decode(genes)])[0])
    refine_goals(archive, _Toy(), 8, 0.02, None, True)
    assert len(archive.records) == 1 + 8  # its budget, all new designs
    assert len({tuple(r["genes"]) for r in archive.records}) == 9
    for r in archive.records[1:]:  # one step from a pick: a hardware gene, or one layer one bit narrower
        moved = [i for i, (x, y) in enumerate(zip(r["genes"], ref, strict=True)) if x != y]
        assert len(moved) <= 2
    picks = design_goals(pareto_front(archive.records, objectives), 0.02)
    best = archive.records[picks["low-energy"]["id"]]["result"]["settings"]
    assert best["max_util"] == 0.7 and best["clock_fraction"] == 1.0  # found by stepping the budget down
    assert picks["high-throughput"]["id"] != picks["low-energy"]["id"]
    assert goal_reserve(60) == 6 and goal_reserve(9) == 0


def test_refine_goals_stops_at_a_local_optimum():
    from fpga_opt.tools.explore.search import Archive, refine_goals

    sp = space()
    objectives = ("throughput", "power", "energy", "accuracy")
    archive = Archive(sp, objectives)
    ref = sp.reference()
    archive.add(ref, _Toy().map([sp.decode(ref)])[0])
    refine_goals(archive, _Toy(), 1000, 0.02, None, True)
    # the climb ends at a local optimum long before the 7^6 x 28 designs of the space
    assert 1 < len(archive.records) < 200


@pytest.mark.parametrize("algorithm", ["nsga2", "smsemoa", "nsga3"])
def test_every_algorithm_spends_the_budget_on_distinct_designs_deterministically(algorithm):
    pytest.importorskip("pymoo", reason="the search needs the explore extra")
    from fpga_opt.tools.explore.search import evolve

    sp = space()
    objectives = ("throughput", "power", "energy", "accuracy")
    runs = [evolve(sp, objectives, _Toy(), 20, 7, 5, True, algorithm) for _ in range(2)]
    genes = [tuple(r["genes"]) for r in runs[0].records]
    assert len(genes) == len(set(genes)) == 20 and genes[0] == sp.reference()
    assert genes == [tuple(r["genes"]) for r in runs[1].records]


def test_an_unknown_algorithm_is_one_error():
    pytest.importorskip("pymoo", reason="the search needs the explore extra")
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.tools.explore.search import evolve

    with pytest.raises(FpgaOptError, match="unknown search algorithm 'moead'"):
        evolve(space(), ("throughput", "power"), _Toy(), 4, 0, 4, True, "moead")


def test_parallelism_genes_decode_to_select_folding_pins():
    from fpga_opt.tools.explore.evaluate import pipeline_for
    from fpga_opt.tools.explore.parallelism import FoldedLayer

    folded = [FoldedLayer("conv1", True, 56), FoldedLayer("pool", False, 8), FoldedLayer("fc", True, 1)]
    sp = build_space(boards=["kv260"], clocks=None, layers=LAYERS, folded=folded)
    genes = {g.name: g.choices for g in sp.genes if g.name.startswith("par.")}
    # 0 (the search chooses), then powers of two up to the first reaching the layer's fastest folding;
    # only layers with weights get a gene
    assert genes == {"par.conv1": (0, 1, 2, 4, 8, 16, 32, 64), "par.fc": (0, 1)}
    reference = sp.decode(sp.reference())
    assert reference["parallelism"] == [0, 0, 0]  # select-folding alone
    assert "layer-parallelism" not in ",".join(pipeline_for(reference, 250))
    x = list(sp.reference())
    names = [g.name for g in sp.genes]
    x[names.index("par.conv1")] = 3
    x[names.index("par.fc")] = 1
    pinned = sp.decode(tuple(x))
    assert pinned["parallelism"] == [4, 0, 1]  # positional, the pool left to the search
    assert "layer-parallelism=4,0,1}" in ",".join(pipeline_for(pinned, 250))


def test_first_population_leaves_every_layer_to_select_folding():
    """The seeded start is the space without parallelism genes (every layer 0): the same designs, so
    the pinning is left to crossover and mutation."""
    from fpga_opt.tools.explore.parallelism import FoldedLayer

    folded = [FoldedLayer("conv1", True, 56), FoldedLayer("conv2", True, 300), FoldedLayer("fc", True, 8)]
    with_par = build_space(boards=["kv260"], clocks=None, layers=LAYERS, folded=folded)
    first = [with_par.decode(g) for g in first_population(with_par, 12, np.random.default_rng(4))]
    assert all(s.pop("parallelism") == [0, 0, 0] for s in first)
    without = [space().decode(g) for g in first_population(space(), 12, np.random.default_rng(4))]
    assert first == without
    # random search samples the whole space, pins included
    _, upper = with_par.bounds()
    par = [i for i, g in enumerate(with_par.genes) if g.name.startswith("par.")]
    assert [upper[i] for i in par] == [7, 10, 4]  # 0, then 1 .. 64, 512, 8


def test_front_bounds_take_the_nadir_of_the_front_not_of_every_point():
    """A dominated design far out must not stretch the box: it would make any set of designs that
    covers the extremes look as good as the front (benchmarks/explore.py's normalisation)."""
    from fpga_opt.tools.explore.front import bounds, front_bounds, hypervolume

    def rec(i, fps, power):
        return {"id": i, "result": {"feasible": True, "metrics": {"throughput": fps, "power": power}}}

    objectives = ("throughput", "power")
    front = [rec(0, 100.0, 2.0), rec(1, 50.0, 1.0)]
    records = [*front, rec(2, 1.0, 10.0)]  # dominated by both
    ideal, nadir = front_bounds(records, objectives)
    assert list(ideal) == [-100.0, 1.0] and list(nadir) == [-50.0, 2.0]
    assert list(bounds([records], objectives)[1]) == [-1.0, 10.0]
    # In the front's box a single extreme design covers little; in the all-points box it covers most.
    lone = [rec(0, 100.0, 2.0)]
    in_front_box = hypervolume(lone, objectives, ideal, nadir) / hypervolume(front, objectives, ideal, nadir)
    wide = bounds([records], objectives)
    in_wide_box = hypervolume(lone, objectives, *wide) / hypervolume(front, objectives, *wide)
    assert in_front_box < 0.6 < 0.9 < in_wide_box
