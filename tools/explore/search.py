"""The searches: NSGA-II (pymoo, ask and tell), then goal refinement; random search; within a budget.

Both keep every evaluated candidate in an archive (the front is taken over the archive, not
only the last population), never evaluate the same gene vector twice, and stop after `budget`
distinct evaluations.  Random search starts from the reference design (the widest bits, highest
clock and budget: what select-folding alone would build) and samples the box uniformly.

NSGA-II (Deb et al., 2002) is given what a designer knows about this space:

* **seeded start**: the reference design, then a Latin hypercube over the design-wide genes
  (board, clock, budget, thresholds, knobs) and one weight and one activation width shared by
  every layer (the usual hand-made precision choice).  A random per-layer mix almost always has
  a 2- or 3-bit layer somewhere, which ruins the accuracy; the hypercube spans every clock,
  budget and precision level in the first generation instead;
* **integer operators**: simulated binary crossover with rounding (pymoo's recipe for ordinal
  integers) and a mutation that steps a gene to a neighbouring choice or, less often, to any
  choice (polynomial mutation with rounding mostly rounds back to the parent on 4-11 choices);
* **novelty repair**: an offspring already evaluated, or twice in its generation, is mutated
  again until it is new, so every evaluation of the budget explores.
* **goal refinement** (`refine_goals`, the last tenth of the budget): a hill climb from each HALF
  design goal's pick over its clock, resource budget and one-bit-narrower layers.

`--algorithm smsemoa` or `nsga3` swaps pymoo's NSGA-II for SMS-EMOA or NSGA-III in the same loop
(same start, operators and repair).

A design that does not fit the board is infeasible (one constraint violated) and loses every
comparison with a feasible one.  The batch of a generation goes to the engine at once; results
come back in candidate order, so a seed gives the same archive and front for any engine and
number of workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.progress import progress
from fpga_opt.tools.explore.evaluate import check_metrics
from fpga_opt.tools.explore.front import as_minimised, pareto_front
from fpga_opt.tools.explore.space import Space

#: The objective value an infeasible candidate gets (it also violates the constraint).
INFEASIBLE = 1e12


@dataclass
class Archive:
    """Every candidate evaluated, in evaluation order."""

    space: Space
    objectives: tuple[str, ...]
    records: list[dict] = field(default_factory=list)
    by_genes: dict[tuple[int, ...], dict] = field(default_factory=dict)

    def add(self, genes: tuple[int, ...], result: dict) -> dict:
        check_metrics(result)
        record = {"id": len(self.records), "genes": list(genes), "result": result}
        self.records.append(record)
        self.by_genes[genes] = record
        return record

    def vector(self, record: dict) -> tuple[np.ndarray, float]:
        result = record["result"]
        if not result.get("feasible"):
            return np.full(len(self.objectives), INFEASIBLE), 1.0
        return as_minimised(result["metrics"], self.objectives), -1.0


class Progress:
    """A progress bar on stderr: evaluations, front size and the best values so far."""

    def __init__(self, total: int, quiet: bool, label: str) -> None:
        # the tools' one bar (dialects/progress.py): a terminal only, after 2 s, off with FPGA_OPT_QUIET
        self.bar = None if quiet else progress(label, total=total, unit=" evals")

    def step(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def summary(self, archive: Archive) -> None:
        if self.bar is None:
            return
        front = pareto_front(archive.records, archive.objectives)
        post = {"front": len(front)}
        metrics = [r["result"]["metrics"] for r in front]
        if metrics:
            post["best FPS"] = f"{max(m['throughput'] for m in metrics):,.0f}"
            post["best uJ"] = f"{min(m['energy'] for m in metrics):.3g}"
            if "accuracy" in metrics[0]:
                post["best acc"] = f"{max(m['accuracy'] for m in metrics):.3f}"
        self.bar.set_postfix(post)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _evaluate(archive: Archive, engine, genes: Sequence[tuple[int, ...]], progress: Progress) -> list[dict]:
    """Evaluate the new gene vectors of a batch (in order); return the records of all of them."""
    new = [g for g in dict.fromkeys(genes) if g not in archive.by_genes]
    settings = [archive.space.decode(g) for g in new]
    results = engine.map(settings, done=lambda i, r: progress.step())
    for g, result in zip(new, results, strict=True):
        archive.add(g, result)
    progress.summary(archive)
    return [archive.by_genes[g] for g in genes]


#: Probability that a mutated gene jumps to any choice rather than a neighbouring one.
RESET_PROBABILITY = 0.25


#: The per-layer parallelism genes in the first population: "lhs", strata like the design-wide genes,
#: or "auto" (the default, chosen on seeds 0-4 of benchmarks/explore.py: 1.09x random search against
#: 1.07x, docs/explore.md), every layer left to select-folding: the first population of the space
#: without them, which crossover and mutation then pin layer by layer.
PARALLELISM_START = "auto"


def population_for(budget: int) -> int:
    """Candidates per NSGA-II generation: about budget / 4, within [4, 16]."""
    return max(4, min(16, budget // 4))


def mutate(x: Sequence[int], upper: Sequence[int], rng: np.random.Generator, rate: float) -> tuple[int, ...]:
    """Each gene, with probability `rate`, moves one choice up or down, or (RESET_PROBABILITY) to any choice."""
    out = list(x)
    for i, hi in enumerate(upper):
        if hi == 0 or rng.random() >= rate:
            continue
        if rng.random() < RESET_PROBABILITY:
            out[i] = int(rng.integers(0, hi + 1))
        else:
            step = int(rng.choice((-1, 1)))
            out[i] = out[i] + step if 0 <= out[i] + step <= hi else out[i] - step
    return tuple(out)


def first_population(space: Space, population: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """The reference design, then a Latin hypercube over the design-wide choices (all distinct).

    Every gene other than the per-layer bit widths (board, clock, budget, thresholds, knobs) and one
    weight and one activation width shared by every layer are each cut into strata, one per design,
    visited in a random order: the first population spans every clock, budget and precision level
    evenly instead of leaving corners of the space to chance."""
    _, xu = space.bounds()
    first = [space.reference()]
    n = min(population, space.cardinality()) - 1
    if n <= 0:
        return first
    bit_choices = next((len(g.choices) for g in space.genes if g.name.startswith("bits.")), 0)

    def strata(choices: int) -> np.ndarray:
        return ((rng.permutation(n) + rng.random(n)) * choices / n).astype(int)

    columns = {i: strata(hi + 1) if not g.name.startswith("par.") or PARALLELISM_START == "lhs" else np.zeros(n, int)
               for i, (g, hi) in enumerate(zip(space.genes, xu, strict=True))
               if not g.name.startswith("bits.")}  # fmt: skip
    w, a = (strata(bit_choices), strata(bit_choices)) if bit_choices else (None, None)
    for k in range(n):
        genes = []
        for i, g in enumerate(space.genes):
            if g.name.startswith("bits."):
                genes.append(int((w if g.name.endswith(".w") else a)[k]))  # type: ignore[index]
            else:
                genes.append(int(columns[i][k]))
        g = tuple(genes)
        while g in first:  # a repeat (a small space): a random neighbour instead
            g = mutate(g, xu, rng, 0.5)
        first.append(g)
    return first


def novel(
    genes: list[tuple[int, ...]], seen, upper: Sequence[int], rng: np.random.Generator, tries: int = 50
) -> list[tuple[int, ...]]:
    """The offspring with every already-evaluated or repeated vector mutated until it is new (or `tries` run out)."""
    out: list[tuple[int, ...]] = []
    taken = set()
    rate = max(1.0 / len(upper), 0.1)
    for g in genes:
        for _ in range(tries):
            if g not in seen and g not in taken:
                break
            g = mutate(g, upper, rng, rate)
        out.append(g)
        taken.add(g)
    return out


#: The evolutionary algorithms `--algorithm` offers (pymoo's implementations, one loop below).
ALGORITHMS = ("nsga2", "smsemoa", "nsga3")


def _pymoo_algorithm(name: str, objectives: int, first: list, upper: Sequence[int], seed: int):
    """The pymoo algorithm `name`, seeded with the first population and the integer operators."""
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.repair.rounding import RoundingRepair

    common = dict(
        sampling=np.array(first, dtype=float),
        crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
        mutation=_IntegerMutation(upper, seed),
        eliminate_duplicates=True,
    )
    if name == "nsga2":
        from pymoo.algorithms.moo.nsga2 import NSGA2

        return NSGA2(pop_size=len(first), **common)
    if name == "smsemoa":
        from pymoo.algorithms.moo.sms import SMSEMOA

        return SMSEMOA(pop_size=len(first), **common)
    if name == "nsga3":
        from pymoo.algorithms.moo.nsga3 import NSGA3
        from pymoo.util.ref_dirs import get_reference_directions

        ref_dirs = get_reference_directions("energy", objectives, len(first), seed=seed)
        return NSGA3(ref_dirs=ref_dirs, pop_size=len(first), **common)
    raise FpgaOptError(f"unknown search algorithm '{name}' (one of {', '.join(ALGORITHMS)})")


def evolve(
    space: Space,
    objectives: Sequence[str],
    engine,
    budget: int,
    seed: int,
    population: int,
    quiet: bool,
    algorithm: str = "nsga2",
) -> Archive:
    """An evolutionary multi-objective search for `budget` distinct evaluations (see the module docstring)."""
    try:
        from pymoo.core.evaluator import Evaluator
        from pymoo.core.problem import Problem
        from pymoo.core.termination import NoTermination
        from pymoo.problems.static import StaticProblem
    except ImportError:
        raise FpgaOptError(
            "fpga-explore needs pymoo, which is not installed: pip install 'fpga-opt[explore]'"
        ) from None

    archive = Archive(space, tuple(objectives))
    xl, xu = space.bounds()
    problem = Problem(
        n_var=space.size, n_obj=len(objectives), n_ieq_constr=1, xl=np.array(xl), xu=np.array(xu), vtype=int
    )
    rng = np.random.default_rng(seed)
    first = first_population(space, population, rng)
    solver = _pymoo_algorithm(algorithm, len(objectives), first, xu, seed)
    solver.setup(problem, termination=NoTermination(), seed=seed, verbose=False)
    progress = Progress(budget, quiet, "fpga-explore")
    stale = 0
    try:
        while len(archive.records) < budget:
            pop = solver.ask()
            if pop is None or len(pop) == 0:
                break  # no new offspring can be made: the (small) space is exhausted
            genes = [tuple(int(v) for v in np.rint(x)) for x in pop.get("X")]
            genes = novel(genes, archive.by_genes, xu, rng)
            pop.set("X", np.array(genes, dtype=float))
            fresh = [g for g in dict.fromkeys(genes) if g not in archive.by_genes]
            room = budget - len(archive.records)
            if len(fresh) > room:  # the last generation: only what the budget allows
                allowed = set(fresh[:room])
                keep = [i for i, g in enumerate(genes) if g in archive.by_genes or g in allowed]
                pop, genes = pop[keep], [genes[i] for i in keep]
            stale = stale + 1 if not fresh else 0
            if stale > 20 or len(archive.records) >= space.cardinality():
                break  # the search keeps proposing evaluated designs: the space is exhausted
            records = _evaluate(archive, engine, genes, progress)
            vectors = [archive.vector(r) for r in records]
            F = np.stack([v for v, _ in vectors])
            G = np.array([[g] for _, g in vectors])
            Evaluator().eval(StaticProblem(problem, F=F, G=G), pop)
            solver.tell(infills=pop)
    finally:
        progress.close()
    return archive


#: Share of `--budget` kept for refining the design goals' picks after the evolutionary search.
GOAL_SHARE = 0.1
#: The genes a design goal's pick is stepped up and down along: design-wide hardware choices
#: that leave the network (its bit widths, hence its accuracy) as it is.
HARDWARE_GENES = ("clock_mhz", "clock_fraction", "max_util")


def goal_reserve(budget: int) -> int:
    """Evaluations kept for `refine_goals` out of `budget` (none for budgets under 10)."""
    return int(budget * GOAL_SHARE)


def goal_neighbours(space: Space, genes: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The one-step moves a goal's pick is tried with: each hardware gene one choice up and down, then
    each layer's weight or activation width one choice narrower (cheaper, and often as accurate)."""
    _, upper = space.bounds()
    moves = [(i, step) for i, g in enumerate(space.genes) if g.name in HARDWARE_GENES for step in (-1, 1)]
    moves += [(i, step) for i, g in enumerate(space.genes) if g.name.startswith("par.") for step in (-1, 1)]
    moves += [(i, -1) for i, g in enumerate(space.genes) if g.name.startswith("bits.")]
    out = []
    for i, step in moves:
        if 0 <= genes[i] + step <= upper[i]:
            out.append(genes[:i] + (genes[i] + step,) + genes[i + 1 :])
    return out


def refine_goals(
    archive: Archive,
    engine,
    budget: int,
    accuracy_tolerance: float,
    accuracy_target: float | None,
    quiet: bool,
) -> None:
    """Try the neighbours of each HALF design goal's pick while evaluations remain (a hill climb).

    The goals pick one design each from the front (`front.design_goals`); the evolutionary search
    spreads its evaluations over the whole front and seldom tries the designs next to a pick, which
    is where a goal's own objective moves: the same network one resource-budget step smaller can be
    a little slower for much less power (so the lower-energy design), a layer one bit narrower can
    keep the accuracy above the floor for fewer LUTs.  Every round evaluates the not yet evaluated
    `goal_neighbours` of the current picks, taken in turn from each goal, then picks again; it stops
    when the picks have no new neighbour (a local optimum) or after `budget` evaluations.
    """
    from fpga_opt.tools.explore.front import GOALS, design_goals

    progress = Progress(budget, quiet, "design goals")
    spent = 0
    try:
        while spent < budget:
            picks = design_goals(pareto_front(archive.records, archive.objectives), accuracy_tolerance, accuracy_target)
            per_goal = [
                [n for n in goal_neighbours(archive.space, tuple(archive.records[picks[goal]["id"]]["genes"]))
                 if n not in archive.by_genes]
                for goal in GOALS if goal in picks
            ]  # fmt: skip
            batch: list[tuple[int, ...]] = []
            for turn in range(max((len(n) for n in per_goal), default=0)):  # one from each goal in turn
                for neighbours in per_goal:
                    if turn < len(neighbours) and neighbours[turn] not in batch:
                        batch.append(neighbours[turn])
            batch = batch[: budget - spent]
            if not batch:
                break
            _evaluate(archive, engine, batch, progress)
            spent += len(batch)
    finally:
        progress.close()


def explore(
    space: Space,
    objectives: Sequence[str],
    engine,
    budget: int,
    seed: int,
    population: int,
    quiet: bool,
    algorithm: str = "nsga2",
    accuracy_tolerance: float = 0.02,
    accuracy_target: float | None = None,
) -> Archive:
    """fpga-explore's search: the evolutionary algorithm, then `refine_goals` with the reserved share."""
    archive = evolve(space, objectives, engine, budget - goal_reserve(budget), seed, population, quiet, algorithm)
    refine_goals(archive, engine, budget - len(archive.records), accuracy_tolerance, accuracy_target, quiet)
    return archive


def _IntegerMutation(upper: Sequence[int], seed: int):
    """`mutate` as a pymoo mutation operator (its own seeded generator: the run stays deterministic)."""
    from pymoo.core.mutation import Mutation

    class IntegerMutation(Mutation):
        def __init__(self) -> None:
            super().__init__(prob=1.0)
            self.rng = np.random.default_rng([seed, 1])

        def _do(self, problem, X, *args, **kwargs):
            rate = 1.0 / len(upper)
            return np.array([mutate(tuple(int(v) for v in np.rint(x)), upper, self.rng, rate) for x in X], dtype=float)

    return IntegerMutation()


def random_search(
    space: Space, objectives: Sequence[str], engine, budget: int, seed: int, batch: int, quiet: bool
) -> Archive:
    """Uniformly random distinct gene vectors, `batch` at a time, for `budget` evaluations."""
    rng = np.random.default_rng(seed)
    archive = Archive(space, tuple(objectives))
    xl, xu = space.bounds()
    progress = Progress(budget, quiet, "random search")
    budget = min(budget, space.cardinality())
    try:
        _evaluate(archive, engine, [space.reference()], progress)  # the same start as NSGA-II
        while len(archive.records) < budget:
            want = min(batch, budget - len(archive.records))
            genes: list[tuple[int, ...]] = []
            while len(genes) < want:
                g = tuple(int(v) for v in rng.integers(np.array(xl), np.array(xu) + 1))
                if g not in archive.by_genes and g not in genes:
                    genes.append(g)
            _evaluate(archive, engine, genes, progress)
    finally:
        progress.close()
    return archive
