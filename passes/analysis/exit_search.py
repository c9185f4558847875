"""Exit-aware design-space exploration: the stages of an early-exit network searched jointly, refined in fpga-sim.

ATHEENA (Biggs et al., on fpgaConvNet) sizes each stage of an early-exit network for the samples
that reach it: with q_s the fraction of samples reaching stage s and T_s its throughput, the
network runs at min over s of T_s / q_s.  This module drives the core search
(`folding_search.FoldingProblem`) on that formulation and then checks it where it matters, in
fpga-sim on the real samples:

1. **Joint model search.**  Every op's cycles count per network sample, scaled by its reach
   (`exit_rates.op_reach`), so the search's interval is max over stages of T_s / q_s and one
   search balances all the stages against one budget: greedy (lift the bottleneck, trim), then
   simulated annealing, the better kept (interval first, then the budget share).  The exit
   buffers are sized for the result (`size-exit-buffers`) and must fit.
2. **Refinement on the real route.**  The model assumes the hard samples come evenly; real ones
   come in bursts, and a later stage built for the average then stalls the backbone.  fpga-sim
   runs the design on the route the real samples take (`route`: the exit of each, in order); while
   it is slower than the model, resource-feasible moves are tried, the most promising first: every
   later stage twice as fast, its slowest ops one folding step up, one more backlog frame after every
   conditional buffer, one folding step up for the busiest single ops (in the simulation).  A move is kept when the simulated interval improves by
   more than `MIN_GAIN`; the refinement stops when no move does (or after `max_sims`
   simulations).
3. **Resource matching** (`objective="resources"`): the cheapest design whose simulated interval
   meets a target (ATHEENA's second figure: the baseline's throughput at a share of its
   resources); the refinement then lifts until the simulation meets it.

Comparing with the baseline and falling back to it is the caller's (`fpga-compile --exit-data`):
this module returns what it found and what the simulation measured.

`select-folding` searches an early-exit network through this module's hooks too: `exit_reach` (each
op's reach from the recorded or given rates; missing rates are an error, never a silent worst case)
and `resize_exit_buffers` (the exit buffers re-sized for the folding chosen, which must still fit).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.costs import CostContext, analyse_network
from fpga_opt.backend.costs.exit_rates import exit_interval, func_exit_structure, func_reach
from fpga_opt.backend.target.boards import Board, write_target
from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.dataflow import DataflowOp
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.folding_search import Design, FoldingProblem

MIN_GAIN = 0.005
"""A refinement move is kept when it shortens the simulated interval by more than this fraction."""

DEFAULT_MAX_SIMS = 6
"""Simulations the refinement may spend (each runs the whole route)."""

DEFAULT_FIFO_WORDS = 2
"""Words of a stream without a `dataflow.buffer` once the FIFOs are sized (fpga-sim's and Vitis HLS's default)."""

SLACK = 0.01
"""The simulation counts as meeting the model when within this fraction of it."""


@dataclass
class Measured:
    """One fpga-sim run of a design on the route: cycles per sample (None on deadlock) and the op stats."""

    cycles: float | None
    deadlock: str | None
    busy: dict[str, float] = field(default_factory=dict)

    def better_than(self, other: Measured) -> bool:
        if self.cycles is None:
            return False
        return other.cycles is None or self.cycles < other.cycles * (1 - MIN_GAIN)


@dataclass
class ExitDesign:
    """What the search found: the design is written on the module it was given."""

    model_cycles: int
    measured: Measured
    backlog: int
    moves: list[str] = field(default_factory=list)
    sims: int = 0


def simulate_route(
    module: ModuleOp,
    route: Sequence[int],
    *,
    resolution: str = "coarse",
    fifo_depth: int | None = None,
    passes: int = 2,
) -> Measured:
    """fpga-sim on `route` (the exit of every sample, in order), `passes` times over.

    The rate: over the last pass of several (the first warms the pipeline up, so a burst at the start of
    the route counts as much as one in the middle; `backend/sim/exits.py`), or between the first and the
    last result of a single pass.  `fifo_depth`: words of every stream without a `dataflow.buffer` (None: unbounded, the decoupled design
    the model assumes; the exit buffers keep their depths either way).
    """
    from fpga_opt.backend.sim import simulate

    frames = passes * len(route)
    result = simulate(
        module, None, None, frames=frames, exits=list(route), fifo_depth=fifo_depth, resolution=resolution
    )
    timing = result.timing
    deadlock = None if timing.deadlock is None else timing.deadlock.message()
    cycles = timing.exits["cycles_per_sample"] if timing.exits is not None else timing.cycles_per_frame
    busy = {o.name: o.busy_pct or 0.0 for o in timing.ops}
    return Measured(cycles, deadlock, busy)


def model_interval(module: ModuleOp, ctx: CostContext) -> int:
    """The exit-aware interval of the design as written (max over ops of reach x cycles)."""
    net = analyse_network(module, ctx)
    exits = exit_interval(module, {op: c.cycles for op, c in net.layers.items()})
    return net.interval if exits is None else exits.interval


class ExitSearch:
    """The search for one split early-exit module on one board (see the module docstring)."""

    def __init__(
        self,
        module: ModuleOp,
        board: Board,
        max_util: float,
        route: Sequence[int],
        *,
        board_spec: str = "",
        backlog: int = 1,
        resolution: str = "coarse",
        max_sims: int = DEFAULT_MAX_SIMS,
        log: Callable[[str], None] | None = None,
        what: str = "exit search",
    ):
        self.module = module
        self.board = board
        self.board_spec = board_spec or board.name
        self.ctx = CostContext.for_board(board)
        self.max_util = max_util
        self.route = list(route)
        self.backlog = backlog
        self.resolution = resolution
        self.max_sims = max_sims
        self.log = log or (lambda _text: None)
        self.what = what
        self.fifo_depth: int | None = None  # unbounded until the FIFOs are sized (`run`)
        self.funcs = [f for f in module.walk() if isinstance(f, FuncOp) and not f.is_declaration]
        if not any(func_exit_structure(f) is not None for f in self.funcs):
            raise FpgaOptError(f"{what}: the module has no split early-exit network (run split-exit-branches)")

    # ------------------------------------------------------------------ the model

    def _problem(self) -> FoldingProblem:
        from fpga_opt.backend.costs.exit_rates import missing_rates_message
        from fpga_opt.passes.size_exit_buffers import size_exit_buffers

        reach = {}
        for func in self.funcs:
            size_exit_buffers(func, self.backlog)  # first, so the search counts their resources
            func_map, source = func_reach(func)
            if source == "none":
                raise FpgaOptError(missing_rates_message(f"{self.what}: @{func.sym_name.data}"))
            reach.update(func_map)
        return FoldingProblem(self.module, self.ctx, self.board, self.max_util, reach=reach)

    def _write(self, problem: FoldingProblem, design: Design) -> bool:
        """Write `design` and size the exit buffers for it; False (nothing kept) when that does not fit."""
        from fpga_opt.passes.size_exit_buffers import size_exit_buffers

        before = self._folding()
        problem.write(design)
        for func in self.funcs:
            size_exit_buffers(func, self.backlog)
        if self._fits():
            return True
        self._restore(before)
        return False

    def _fits(self) -> bool:
        """Whether the design as written (exit buffers included) is within max-util of every resource."""
        from fpga_opt.backend.target.resources import Resources

        total = analyse_network(self.module, self.ctx).resources
        return all(getattr(total, n) <= Resources.budget(self.board, n, self.max_util) for n in RESOURCE_NAMES)

    def _folding(self) -> dict:
        return {op: dict(op.folding()) for op in self.module.walk() if isinstance(op, DataflowOp) and op.folding()}

    def _restore(self, folding: dict) -> None:
        from xdsl.dialects.builtin import i64

        from fpga_opt.passes.size_exit_buffers import size_exit_buffers

        for op, factors in folding.items():
            for name, value in factors.items():
                op.properties[name] = IntegerAttr(value, i64)
        for func in self.funcs:
            size_exit_buffers(func, self.backlog)

    def model_search(self, target_cycles: int = 0, seed: int = 0) -> int:
        """Step 1: the joint search; writes the better of greedy and annealing.  Returns the model interval."""
        problem = self._problem()
        start = problem.smallest_design(self.what)
        if target_cycles:
            candidates = [problem.min_resources(target_cycles)]
            if problem.interval(candidates[0]) > target_cycles:
                raise FpgaOptError(
                    f"{self.what}: {target_cycles} cycles per sample is out of reach on {self.board.name} (the "
                    f"fastest folding of every op gives {problem.interval(candidates[0])})"
                )
            candidates.append(problem.anneal(candidates[0], seed=seed, target_cycles=target_cycles))
        else:
            greedy = problem.greedy(start.copy())
            annealed = problem.greedy(problem.anneal(greedy, seed=seed))
            candidates = [greedy, annealed]
        candidates = [d for d in candidates if problem.fits(d.total)]
        best = min(candidates, key=lambda d: (problem.interval(d), problem.weight(d.total)))
        if not self._write(problem, best):
            # the exit buffers re-sized for this folding no longer fit: fall back to the smallest design
            if not self._write(problem, start):
                raise FpgaOptError(
                    f"{self.what}: with its exit buffers the design does not fit {self.board.name} at max-util "
                    f"{self.max_util:g}; lower the backlog or raise max-util"
                )
        write_target(self.module, self.board, self.board_spec)
        return model_interval(self.module, self.ctx)

    # ------------------------------------------------------------------ the simulation

    def measure(self) -> Measured:
        return simulate_route(self.module, self.route, resolution=self.resolution, fifo_depth=self.fifo_depth)

    def _stage_of(self) -> dict:
        stages = {}
        for func in self.funcs:
            structure = func_exit_structure(func)
            if structure is not None:
                stages.update(structure.stage)
        return stages

    def _candidate_moves(self, problem: FoldingProblem, measured: Measured) -> list[tuple[str, Callable[[], bool]]]:
        """Moves worth a simulation, the most promising first.

        A burst of hard samples backs up into the conditional buffer when the later stage cannot drain it:
        first, every later stage twice as fast (each of its ops at its cheapest folding within half the stage's
        slowest cycles), then its slowest ops one folding step up together (a stage is as fast as its slowest
        op), then one more backlog frame, then single ops, the busiest in the simulation first.
        """
        from fpga_opt.backend.costs import layer_name

        stages = self._stage_of()
        design = problem.design(self._picks(problem))
        moves: list[tuple[str, Callable[[], bool]]] = []

        def lift(steps: list[tuple[int, int]]) -> Callable[[], bool]:
            def move() -> bool:
                d = problem.design(self._picks(problem))
                for i, k in steps:
                    problem.apply(d, i, k)
                return problem.fits(d.total) and self._write(problem, d)

            return move

        later = sorted({stages.get(c.op, 0) for c in problem.choices} - {0})
        for s in later:
            members = [i for i, c in enumerate(problem.choices) if stages.get(c.op, 0) == s]
            slowest = max(design.cycles[i] for i in members)
            doubled = self._within(problem, design, members, slowest // 2)
            if doubled:
                moves.append((f"stage {s} twice as fast", lift(doubled)))
            steps = []
            for i in members:
                if design.cycles[i] == slowest:
                    k = self._next_step(problem, design, i)
                    if k is None:
                        steps = []
                        break
                    steps.append((i, k))
            if steps:
                names = ", ".join(problem.choices[i].name for i, _ in steps)
                moves.append((f"stage {s} one step faster ({names})", lift(steps)))

        def more_backlog() -> bool:
            from fpga_opt.passes.size_exit_buffers import size_exit_buffers

            before = self.backlog
            self.backlog += 1
            for func in self.funcs:
                size_exit_buffers(func, self.backlog)
            if self._fits():
                return True
            self.backlog = before
            for func in self.funcs:
                size_exit_buffers(func, self.backlog)
            return False

        moves.append((f"backlog {self.backlog + 1} frames", more_backlog))
        scored = []
        for i, choice in enumerate(problem.choices):
            k = self._next_step(problem, design, i)
            if k is not None:
                busy = measured.busy.get(layer_name(choice.op), 0.0)
                scored.append((-busy, i, k))
        for _busy, i, k in sorted(scored)[:3]:
            moves.append((f"lift {problem.choices[i].name} to {problem.choices[i].folding(k)}", lift([(i, k)])))
        return moves

    @staticmethod
    def _within(problem: FoldingProblem, design: Design, members: list[int], bound: int) -> list[tuple[int, int]]:
        """Every op of `members` slower than `bound` cycles at its cheapest folding within it (empty when one has
        none).  A stage folded for the average rate of its samples and swamped by a burst of them may need several
        folding steps: halving its interval per simulation gets there in a few, one step per simulation may not."""
        steps = []
        for i in members:
            if design.cycles[i] <= bound:
                continue
            k = problem._cheapest(i, bound)
            if bound < 1 or problem.cost(i, k)[0] > bound:
                return []
            steps.append((i, k))
        return steps

    @staticmethod
    def _picks(problem: FoldingProblem) -> list[int]:
        picks = []
        for choice in problem.choices:
            current = choice.op.folding() if isinstance(choice.op, DataflowOp) else {}
            picks.append(choice.index[tuple(current.get(n, 1) for n in choice.names)])
        return picks

    @staticmethod
    def _next_step(problem: FoldingProblem, design: Design, i: int) -> int | None:
        """The cheapest folding of choice `i` faster than its current one that keeps the design in budget."""
        current = design.cycles[i]
        base = [t - g for t, g in zip(design.total, design.groups[i], strict=True)]
        best, best_key = None, None
        for k in range(len(problem.choices[i].configs)):
            c, r = problem.cost(i, k)
            if c >= current or not problem.fits(tuple(a + b for a, b in zip(base, r, strict=True))):  # type: ignore[arg-type]
                continue
            key = (problem.weight(r), -c)
            if best_key is None or key < best_key:
                best, best_key = k, key
        return best

    def refine(self, model_cycles: int, target_cycles: int = 0, beat: float | None = None) -> ExitDesign:
        """Step 2: moves that the simulation on the real route says help, until none does.

        `beat`: a rate the design must not be slower than (the baseline's cycles per sample): within
        `SLACK` of the model is not done while the simulation is still above it (a design tied with the
        baseline in the model, a few hard samples behind it in fpga-sim).
        """
        measured = self.measure()
        result = ExitDesign(model_cycles, measured, self.backlog, sims=1)
        goal = target_cycles or model_cycles
        while result.sims < self.max_sims:
            cur = result.measured
            behind = beat is not None and cur.cycles is not None and cur.cycles > beat
            if cur.cycles is not None and cur.cycles <= goal * (1 + SLACK) and not behind:
                break
            problem = self._problem()
            improved = False
            for text, move in self._candidate_moves(problem, cur):
                if result.sims >= self.max_sims:
                    break
                saved, backlog = self._folding(), self.backlog
                if not move():
                    continue
                trial = self.measure()
                result.sims += 1
                if trial.better_than(cur):
                    self.log(f"  {text}: fpga-sim {_fmt(cur.cycles)} -> {_fmt(trial.cycles)} cycles/sample")
                    result.moves.append(text)
                    result.measured = trial
                    result.backlog = self.backlog
                    improved = True
                    break
                self.backlog = backlog
                self._restore(saved)
            if not improved:
                break
        result.model_cycles = model_interval(self.module, self.ctx)
        return result

    def next_step_blocker(self) -> str | None:
        """Why the model interval cannot improve, when a folding step is what stops it (else None).

        The interval's next step down (the slowest op's next faster folding), with every op at its cheapest
        folding meeting it: if even that exceeds the budget, the legal folding steps (not the multipliers
        the board has) cap the gain.  The text names the ops whose step costs the overflowing resource the
        most, with the resource and the cycles before and after (`step_jumps`), e.g. the two 3x3 convs of 8
        channels on the Pynq-Z2, whose folding goes from 80 multipliers at 1,920 cycles (two pixels in 15
        flattened passes) to 88 at 1,792 (test_exit_payoff.py).
        """

        problem = self._problem()
        design = problem.design(self._picks(problem))
        i = problem.bottleneck(design)
        if i is None or design.cycles[i] < problem.const_cycles:
            return None
        current = design.cycles[i]
        faster = sorted({problem.cost(i, k)[0] for k in range(len(problem.choices[i].configs))} - {current})
        faster = [c for c in faster if c < current]
        if not faster:
            return None
        goal = faster[-1]  # the next step down
        # every op at its cheapest folding meeting it, priced towards the resources left (a cheaper
        # folding by weight may spend the DSPs that another of the same rate saves)
        trial = problem.min_resources(goal)
        if problem.interval(trial) > goal or problem.fits(trial.total):
            return None
        name, need, budget = problem.violation(trial.total)  # type: ignore[misc]
        label = RESOURCE_LABELS[name]
        jumps = step_jumps(problem, design, trial, RESOURCE_NAMES.index(name), need - budget)
        groups: dict[tuple[int, int, int, int], list[str]] = {}
        for text, before, after, c0, c1 in jumps:
            groups.setdefault((before, after, c0, c1), []).append(text)
        ops = "; ".join(
            f"{' and '.join(names)} step from {c0:,} cycles ({before:,} {label}) to {c1:,} ({after:,} {label}), "
            f"{'their' if len(names) > 1 else 'its'} cheapest folding within {goal:,}"
            for (before, after, c0, c1), names in groups.items()
        )
        return (
            f"folding steps: {current:,} cycles/sample; the next step ({goal:,}) needs {label} {need:,} > {budget:,}: "
            f"{ops}"
        )

    def run(
        self,
        target_cycles: int = 0,
        size_fifos: Callable[[ModuleOp], None] | None = None,
        beat: float | None = None,
    ) -> ExitDesign:
        """Steps 1 and 2 (throughput, or the cheapest design meeting `target_cycles` per sample).

        `size_fifos` (the `size-fifos` pass on the module): run after the model search, so that the
        refinement simulates the FIFOs as built (2-word streams elsewhere), where the conditional
        buffer and the backlog fill in a burst; without it every other stream is unbounded, which
        hides exactly those stalls.  `beat`: see `refine`.
        """
        model = self.model_search(target_cycles)
        self.log(f"  joint search: {model} cycles/sample (model)")
        if size_fifos is not None:
            size_fifos(self.module)
            self.fifo_depth = DEFAULT_FIFO_WORDS
        return self.refine(model, target_cycles, beat)


def _fmt(cycles: float | None) -> str:
    return "deadlock" if cycles is None else f"{cycles:,.1f}"


RESOURCE_LABELS = {"dsp": "DSP", "bram18": "BRAM18", "uram": "URAM", "lut": "LUT", "ff": "FF"}


def step_jumps(
    problem: FoldingProblem, design: Design, trial: Design, resource: int, overflow: int, most: int = 3
) -> list[tuple[str, int, int, int, int]]:
    """The ops that the step from `design` to `trial` costs the most of `resource` (index into
    RESOURCE_NAMES): (name, before, after, cycles before, cycles after), largest increase first; at most
    `most`, and only as many as it takes to explain `overflow` (ties kept: equal ops step together)."""
    from fpga_opt.backend.costs import layer_name

    grown = []
    for j in range(len(problem.choices)):
        before, after = design.groups[j][resource], trial.groups[j][resource]
        if after > before:
            grown.append((after - before, j, before, after))
    grown.sort(key=lambda g: (-g[0], g[1]))
    kept: list[tuple[int, int, int, int]] = []
    covered = 0
    for g in grown:
        if len(kept) >= most or (covered >= overflow and g[0] < kept[-1][0]):
            break
        kept.append(g)
        covered += g[0]
    return [
        (layer_name(problem.choices[j].op), before, after, design.cycles[j], trial.cycles[j])
        for _, j, before, after in kept
    ]


def gain_ceiling(baseline_cycles: float, floor_cycles: float) -> float:
    """The largest gain any design can have over the baseline when `floor_cycles` bounds every design."""
    return baseline_cycles / floor_cycles if floor_cycles > 0 else math.inf


# ---------------------------------------------------------------------- select-folding's exit hooks


def exit_reach(
    module: ModuleOp, exit_probabilities: Sequence[float], exit_aware: bool, backlog: int, what: str
) -> tuple[list[FuncOp], dict | None]:
    """The split early-exit functions of `module` and each op's reach, for one folding search (None: no exits,
    or `exit_aware` false).

    `exit_probabilities`: one per exit (empty: each function's `dataflow.exit_probabilities`).  Neither is
    an error (never a silent worst case) unless `exit_aware` is false.  The exit buffers are sized for
    the current folding first (`backlog` frames), so the search counts their resources.
    """
    from fpga_opt.backend.costs.exit_rates import (
        missing_rates_message,
        op_reach,
        parse_probabilities,
        recorded_probabilities,
    )
    from fpga_opt.passes.size_exit_buffers import size_exit_buffers

    if backlog < 0:
        raise FpgaOptError(f"{what}: exit-backlog must be >= 0 frames, got {backlog}")
    funcs = []
    reach: dict = {}
    for func in [f for f in module.walk() if isinstance(f, FuncOp) and not f.is_declaration]:
        if func_exit_structure(func) is None:
            continue
        funcs.append(func)
        size_exit_buffers(func, backlog)
        structure = func_exit_structure(func)
        assert structure is not None
        given = [float(p) for p in exit_probabilities] or recorded_probabilities(func)
        if not exit_aware:
            continue
        if given is None:
            raise FpgaOptError(
                missing_rates_message(f"{what}: @{func.sym_name.data}") + ", or exit-aware=false to size every stage "
                "for every sample"
            )
        where = f"{what}: @{func.sym_name.data}: exit probabilities"
        reach.update(op_reach(structure, parse_probabilities(given, structure.num_exits, where)))
    if exit_probabilities and not funcs:
        raise FpgaOptError(f"{what}: exit-probabilities given but the module has no split early-exit network")
    return funcs, (reach or None)


def resize_exit_buffers(
    module: ModuleOp, funcs: Sequence[FuncOp], problem: FoldingProblem, backlog: int, what: str
) -> None:
    """Re-size the exit buffers of `funcs` for the folding chosen; the design must still fit (one-line error)."""
    from fpga_opt.passes.size_exit_buffers import size_exit_buffers

    for func in funcs:
        size_exit_buffers(func, backlog)
    total = analyse_network(module, problem.ctx).resources
    bad = problem.violation(tuple(getattr(total, n) for n in RESOURCE_NAMES))  # type: ignore[arg-type]
    if bad is not None:
        name, need, budget = bad
        raise FpgaOptError(
            f"{what}: with its exit buffers sized for the chosen folding the design needs {need} {name}, the budget "
            f"is {budget}; lower exit-backlog or max-util"
        )


__all__ = [
    "ExitDesign",
    "ExitSearch",
    "Measured",
    "exit_reach",
    "gain_ceiling",
    "model_interval",
    "resize_exit_buffers",
    "simulate_route",
]
