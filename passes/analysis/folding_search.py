"""Design-space exploration of folding factors: the engine behind `select-folding`.

The problem (fpgaConvNet's DSE, SAMO's formulation): choose, for every op
with folding factors, one legal folding so that the design's interval (the
slowest op's cycles per frame) is as small as possible while the total
resources stay within `max_util` of the board on every resource.

The costs come from the op cost interface (`backend/costs/`), asked once per
(op, folding) and cached.  Every cost item is owned by one op: an op's own
layer cost, the `dataflow.buffer`s it drives (their width follows its
output lanes) and the default FIFOs on the streams it drives.  Changing one
op's folding therefore changes only its own group, and a move in the search
costs one cache look-up and a few additions (the search is incremental).

Algorithms (docs/passes/folding.md):

* `greedy`: start from the smallest design (every factor 1); repeatedly
  lift the bottleneck op to its next legal folding, choosing the factor
  whose step gives the best rate gain per share of the remaining budget,
  until no step of the bottleneck fits; then *trim* (every op takes its
  cheapest folding that still meets the interval), which frees resources,
  and lift again until nothing improves.
* `anneal`: simulated annealing from the greedy result (deterministic for a
  seed), keeping the best design seen (lexicographically: interval, then
  resources), so never worse than greedy.
* `min_resources(target_cycles)`: every op takes its cheapest folding that
  meets the target (objective=resources).

Early-exit networks: with `reach` (op -> fraction of samples that reach it,
`exit_rates.op_reach`), an op's cycles count per network sample, scaled by
its reach, so the interval is `max_i q_i * cycles_i` (ATHEENA's
`min(T_stage0, T_stage1 / q)`); everything else is unchanged.

Every design the search holds fits the budget; `FoldingProblem.check_fits`
raises the user-facing error when even the smallest design does not.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import product

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.costs import (
    CostContext,
    default_fifo_cost,
    design_edges,
    design_ops,
    folding_owner,
    lanes_driver,
    layer_name,
    op_cost,
)
from fpga_opt.backend.target.boards import Board
from fpga_opt.backend.target.resources import RESOURCE_NAMES, Resources
from fpga_opt.dialects.dataflow import ActivationAttr, DataflowOp, FifoOp, RequantAttr
from fpga_opt.dialects.errors import FpgaOptError

Vector = tuple[int, int, int, int, int]
_ZERO: Vector = (0, 0, 0, 0, 0)


def _vec(r: Resources) -> Vector:
    return (r.dsp, r.bram18, r.uram, r.lut, r.ff)


def _add(a: Vector, b: Vector) -> Vector:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


def _sub(a: Vector, b: Vector) -> Vector:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3], a[4] - b[4])


@dataclass
class Table:
    """The legal foldings of one kind of op group and what each costs (shared by ops of the same shape).

    `cycles[k]` and `res[k]` (dsp, bram18, uram, lut, ff) of folding `configs[k]`, filled the
    first time the search asks: the searches look at every folding of an op, so they are
    costed together and compared as arrays.
    """

    configs: list[tuple[int, ...]]
    index: dict[tuple[int, ...], int]
    cycles: np.ndarray | None = None
    res: np.ndarray | None = None


@dataclass
class Choice:
    """One op with folding factors: its legal foldings and the cost of each (cached in `table`)."""

    op: Operation
    names: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]
    table: Table

    @property
    def configs(self) -> list[tuple[int, ...]]:
        return self.table.configs

    @property
    def index(self) -> dict[tuple[int, ...], int]:
        return self.table.index

    @property
    def name(self) -> str:
        return layer_name(self.op)

    def folding(self, k: int) -> dict[str, int]:
        return dict(zip(self.names, self.configs[k], strict=True))


@dataclass
class Design:
    """A folding for every choice (indices into `Choice.configs`) with its running totals."""

    picks: list[int]
    cycles: list[int]
    groups: list[Vector]
    total: Vector

    def copy(self) -> Design:
        return Design(list(self.picks), list(self.cycles), list(self.groups), self.total)


#: Cycles of a folding a layer model refuses: never worth picking.
_REFUSED = 1 << 62


class FoldingProblem:
    """The folding search space of one design (a module or a function) on one board.

    `reserve` is what the design must leave free besides its ops and FIFOs (resources a later
    step will need, e.g. FIFOs measured by `size-fifos`): it counts like a constant cost.
    """

    def __init__(
        self,
        root: Operation,
        ctx: CostContext,
        board: Board,
        max_util: float,
        reach: Mapping[Operation, float] | None = None,
        reserve: Resources | None = None,
        shared_costs: dict | None = None,
    ):
        self.root = root
        self.pinned = False  # some choices fixed by `pin`
        # Early exits (backend/costs/exit_rates.py): an op that only the fraction q of the samples reach
        # needs only q of its cycles per network sample, so its cycles count scaled by q.
        self.reach: Mapping[Operation, float] = reach or {}
        # The search changes nothing but the context's overrides while it asks: the models may keep
        # what does not depend on the folding (`CostContext.static_facts`).
        self.ctx = replace(ctx, overrides={}, static={})
        self.board = board
        self.max_util = max_util
        self.budget: Vector = tuple(Resources.budget(board, r, max_util) for r in RESOURCE_NAMES)  # type: ignore[assignment]
        self._budget = np.array(self.budget, dtype=np.int64)
        ops = list(design_ops(root))
        spaces: list[tuple[Operation, tuple[str, ...], tuple[tuple[int, ...], ...]]] = []
        owner_of: dict[Operation, int] = {}
        for op in ops:
            space = op.folding_space() if isinstance(op, DataflowOp) else {}
            if not space:
                continue
            names = tuple(space)
            owner_of[op] = len(spaces)
            spaces.append((op, names, tuple(tuple(space[n]) for n in names)))

        # Group every cost item under the choice whose folding it depends on (None: constant).
        self._layers: list[list[Operation]] = [[] for _ in spaces]
        self._fifos: list[list] = [[] for _ in spaces]
        const_res = reserve or Resources()
        const_cycles = 0
        for op in ops:
            if op in owner_of:
                self._layers[owner_of[op]].append(op)
                continue
            driver = lanes_driver(op.operands[0]) if isinstance(op, FifoOp) else folding_owner(op)
            if driver in owner_of:
                self._layers[owner_of[driver]].append(op)
            else:
                cost = op_cost(op, self.ctx)
                const_res += cost.resources
                const_cycles = max(const_cycles, self._scaled(op, cost.cycles))
        for value, _consumer in design_edges(root):
            driver = lanes_driver(value)
            if driver in owner_of:
                self._fifos[owner_of[driver]].append(value)
            else:
                const_res += default_fifo_cost(value, self.ctx)
        self.const_res: Vector = _vec(const_res)
        self.const_cycles = const_cycles
        # Ops of the same shape driving the same kind of streams cost the same: share their tables
        # (a ResNet-20 has 21 convs but 8 conv shapes), legal foldings included.
        # (`shared_costs`: tables kept across problems on the same board, as place-weights' search does)
        shared: dict[tuple, Table] = {} if shared_costs is None else shared_costs
        self.choices: list[Choice] = []
        for i, (op, names, values) in enumerate(spaces):
            key = (
                tuple(_signature(o) for o in self._layers[i]),
                tuple(_fifo_signature(v, op) for v in self._fifos[i]),
                names,
                values,
                tuple(self.reach.get(o, 1.0) for o in self._layers[i]),
            )
            table = shared.get(key)
            if table is None:
                configs = op.searched_foldings(names, list(product(*values)))
                table = shared[key] = Table(configs, {c: k for k, c in enumerate(configs)})
            self.choices.append(Choice(op, names, values, table))

    def pin(self, pins: Sequence[int], what: str) -> None:
        """Fix the parallelism of some ops (`pins[i]` for choice i; 0 leaves it to the search).

        Pin k > 0 gives choice i its cheapest folding running at least k times as fast as its
        smallest folding (cycles <= ceil(smallest's / k); the fastest one when k is beyond its
        reach).  A pinned choice keeps a table of that one folding, so every algorithm
        (greedy, trim, sweep, anneal, min_resources) treats it as fixed and sizes the others
        around it: the explorer's per-layer parallelism genes (docs/explore.md).
        """
        if len(pins) != len(self.choices):
            names = ", ".join(c.name for c in self.choices)
            raise FpgaOptError(
                f"{what}: layer-parallelism has {len(pins)} values for {len(self.choices)} layers with folding factors "
                f"({names}): give one per layer in this order, 0 to let the search choose"
            )
        for i, k in enumerate(pins):
            if k < 0:
                raise FpgaOptError(f"{what}: layer-parallelism values must be 0 (search) or a speed-up >= 1, got {k}")
            if k == 0:
                continue
            choice = self.choices[i]
            cycles, res = self.table(i)
            slowest = int(cycles[self.minimum_pick(choice)])
            pick = self._cheapest(i, -(-slowest // int(k)))
            config = choice.configs[pick]
            table = Table([config], {config: 0}, cycles[pick : pick + 1].copy(), res[pick : pick + 1].copy())
            self.choices[i] = Choice(choice.op, choice.names, choice.values, table)
        self.pinned = any(pins)

    # ------------------------------------------------------------------ costing

    @staticmethod
    def minimum_pick(choice: Choice) -> int:
        """Every factor 1 (a pinned choice's only folding)."""
        return choice.index.get(tuple(1 for _ in choice.names), 0)

    def table(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(cycles, resources) of every legal folding of choice `i`'s group, as arrays."""
        table = self.choices[i].table
        if table.cycles is None:
            costs = [self._cost_of(i, k) for k in range(len(table.configs))]
            table.cycles = np.array([c for c, _ in costs], dtype=np.int64)
            table.res = np.array([r for _, r in costs], dtype=np.int64).reshape(-1, 5)
        assert table.res is not None
        return table.cycles, table.res

    def cost(self, i: int, k: int) -> tuple[int, Vector]:
        """(cycles, resources) of choice `i`'s group at folding `k`."""
        cycles, res = self.table(i)
        r = res[k]
        return int(cycles[k]), (int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))

    def _cost_of(self, i: int, k: int) -> tuple[int, Vector]:
        choice = self.choices[i]
        self.ctx.overrides[choice.op] = choice.folding(k)
        try:
            cycles = 0
            res = Resources()
            for op in self._layers[i]:
                c = op_cost(op, self.ctx)
                cycles = max(cycles, self._scaled(op, c.cycles))
                res += c.resources
            for value in self._fifos[i]:
                res += default_fifo_cost(value, self.ctx)
        except ValueError:  # a layer model rejects this folding: make it never worth picking
            cycles, res = _REFUSED, Resources(dsp=1 << 40)
        finally:
            del self.ctx.overrides[choice.op]
        return cycles, _vec(res)

    def _scaled(self, op: Operation, cycles: int) -> int:
        """Cycles per network sample: `cycles` times the fraction of samples reaching `op` (rounded up)."""
        q = self.reach.get(op, 1.0)
        return cycles if q >= 1.0 else math.ceil(cycles * q - 1e-9)

    def design(self, picks: Sequence[int]) -> Design:
        cycles, groups = [], []
        total = self.const_res
        for i, k in enumerate(picks):
            c, r = self.cost(i, k)
            cycles.append(c)
            groups.append(r)
            total = _add(total, r)
        return Design(list(picks), cycles, groups, total)

    def interval(self, d: Design) -> int:
        return max([self.const_cycles, *d.cycles])

    def fits(self, total: Vector) -> bool:
        b = self.budget
        return total[0] <= b[0] and total[1] <= b[1] and total[2] <= b[2] and total[3] <= b[3] and total[4] <= b[4]

    def weight(self, r: Vector) -> float:
        """Share of the budget a resource vector takes, summed over resources (infinite when a budget is 0)."""
        w = 0.0
        for v, b in zip(r, self.budget, strict=True):
            if v:
                w += v / b if b else math.inf
        return w

    def violation(self, total: Vector) -> tuple[str, int, int] | None:
        for name, need, budget in zip(RESOURCE_NAMES, total, self.budget, strict=True):
            if need > budget:
                return name, need, budget
        return None

    def apply(self, d: Design, i: int, k: int) -> None:
        c, r = self.cost(i, k)
        d.total = _add(_sub(d.total, d.groups[i]), r)
        d.picks[i], d.cycles[i], d.groups[i] = k, c, r

    def neighbours(self, i: int, k: int) -> list[int]:
        """Foldings one step away in one factor (up or down its list of legal values)."""
        choice = self.choices[i]
        config = choice.configs[k]
        result = []
        for f, vals in enumerate(choice.values):
            pos = vals.index(config[f])
            for step in (-1, 1):
                if 0 <= pos + step < len(vals):
                    new = config[:f] + (vals[pos + step],) + config[f + 1 :]
                    if new in choice.index:  # a combination the op does not build is no neighbour
                        result.append(choice.index[new])
        return result

    # ------------------------------------------------------------------ start

    def smallest_design(self, what: str) -> Design:
        """The design the search starts from: every factor 1, repaired if that does not fit.

        Wider foldings can need fewer block RAMs (a shallow weight memory goes
        to LUTRAM; a wide deep one to URAM), so when all-1 exceeds a resource
        the repair trades: it moves, one op at a time, to the folding that
        reduces the exceeded resource most per share of the others' headroom,
        never exceeding another budget.  When that gets stuck, an
        `FpgaOptError` names the resource, its need at minimum folding and
        the budget.
        """
        d = self.design([self.minimum_pick(c) for c in self.choices])
        first = self.violation(d.total)
        if first is None:
            return d
        while (bad := self.violation(d.total)) is not None:
            r = RESOURCE_NAMES.index(bad[0])
            step = self._repair_step(d, r)
            if step is None:
                break
            self.apply(d, *step)
        if self.violation(d.total) is None:
            return d
        name, need, budget = first
        r = RESOURCE_NAMES.index(name)
        # The least this resource can be, every op at its own minimum of it (a lower bound).
        least = self.const_res[r] + sum(
            min(self.cost(i, k)[1][r] for k in range(len(c.configs))) for i, c in enumerate(self.choices)
        )
        if least > budget:
            need = least
        else:
            # Each resource alone could fit, but not all of them at once: report the one still exceeded.
            name, need, budget = self.violation(d.total)  # type: ignore[misc]
        total = getattr(self.board, name)
        pinned = " with the pinned layer-parallelism" if self.pinned else ""
        raise FpgaOptError(
            f"{what}: design does not fit {self.board.name} even at minimum folding{pinned}: {name} needs {need}, "
            f"board allows {budget} ({self.max_util:.0%} of {total})"
        )

    def _repair_step(self, d: Design, r: int) -> tuple[int, int] | None:
        """The (choice, folding) that lowers resource `r` most per share of the other resources' headroom."""
        headroom = np.maximum(self._budget - np.array(d.total), 1)
        total = np.array(d.total, dtype=np.int64)
        others = [s for s in range(5) if s != r]
        best, best_key = None, None
        for i in range(len(self.choices)):
            cycles, res = self.table(i)
            delta = res - np.array(d.groups[i], dtype=np.int64)
            new = total + delta
            over = (new > self._budget) & (new > total)
            ok = (delta[:, r] < 0) & ~over[:, others].any(axis=1)
            if not ok.any():
                continue
            spend = (np.maximum(delta[:, others], 0) / headroom[others]).sum(axis=1) / -np.minimum(delta[:, r], -1)
            for k in np.flatnonzero(ok):
                key = (float(spend[k]), int(cycles[k]), i, int(k))
                if best_key is None or key < best_key:
                    best, best_key = (i, int(k)), key
        return best

    def _shares(self, res: np.ndarray, prices: np.ndarray | None = None) -> np.ndarray:
        """`weight` of every row of `res` (the summed share of the budget; infinite on a zero budget),
        each resource's share times its price when `prices` is given."""
        with np.errstate(divide="ignore", invalid="ignore"):
            parts = np.where(res > 0, res / np.where(self._budget > 0, self._budget, 0), 0.0)
        if prices is not None:
            parts = parts * prices
        return parts.sum(axis=1)

    def _cheapest(self, i: int, max_cycles: int | None, prices: np.ndarray | None = None) -> int:
        """The folding of choice `i` with the least budget share (ties: fewer cycles) within `max_cycles`;
        `prices` weighs each resource's share (default: all 1)."""
        cycles, res = self.table(i)
        ok = np.ones(len(cycles), dtype=bool) if max_cycles is None else cycles <= max_cycles
        if not ok.any():
            return self.fastest(i)
        shares = self._shares(res, prices)
        candidates = np.flatnonzero(ok)
        order = np.lexsort((candidates, cycles[candidates], shares[candidates]))
        return int(candidates[order[0]])

    def fastest(self, i: int) -> int:
        cycles, res = self.table(i)
        order = np.lexsort((np.arange(len(cycles)), self._shares(res), cycles))
        return int(order[0])

    # ------------------------------------------------------------------ algorithms

    def trim(self, d: Design, bound: int) -> bool:
        """Give every op its cheapest folding meeting `bound` cycles (if that keeps the design within budget)."""
        changed = False
        for i in range(len(self.choices)):
            k = self._cheapest(i, bound)
            if k == d.picks[i]:
                continue
            c, r = self.cost(i, k)
            if c > bound or self.weight(r) >= self.weight(d.groups[i]):
                continue
            new_total = _add(_sub(d.total, d.groups[i]), r)
            if self.fits(new_total):
                self.apply(d, i, k)
                changed = True
        return changed

    def _lift(self, d: Design, i: int) -> int | None:
        """The next folding for bottleneck choice `i`, or None when no faster folding fits.

        The goal is the larger of the next-slowest op's cycles and the op's next rate step
        below its current cycles: going further would only make another op the bottleneck.
        Among the foldings meeting the goal that fit, the one spending the smallest share of
        the remaining budget (summed over resources; a scarce resource is expensive) wins;
        ties go to the faster one.
        """
        cur_c = d.cycles[i]
        cycles, res = self.table(i)
        faster = cycles[cycles < cur_c]
        if not len(faster):
            return None
        others = max((c for j, c in enumerate(d.cycles) if j != i), default=0)
        goal = max(others, self.const_cycles, int(faster.max()))
        if goal >= cur_c:
            goal = int(faster.max())
        group = np.array(d.groups[i], dtype=np.int64)
        base = np.array(d.total, dtype=np.int64) - group
        headroom = np.maximum(self._budget - np.array(d.total, dtype=np.int64), 1)
        ok = (cycles <= goal) & (base + res <= self._budget).all(axis=1)
        if not ok.any():
            return None
        candidates = np.flatnonzero(ok)
        spend = ((res[candidates] - group) / headroom).sum(axis=1)
        order = np.lexsort((candidates, cycles[candidates], spend))
        return int(candidates[order[0]])

    def bottleneck(self, d: Design) -> int | None:
        """The slowest choice (the first in program order on ties)."""
        return max(range(len(d.cycles)), key=lambda j: (d.cycles[j], -j), default=None)

    def lift_until_stuck(
        self, d: Design, target_cycles: int = 0, lifted: Callable[[Design], None] | None = None
    ) -> None:
        """Lift the bottleneck one step at a time until its next step does not fit (or the target is met).

        `lifted(d)` is called after every step (progress)."""
        while True:
            i = self.bottleneck(d)
            if i is None or d.cycles[i] <= max(self.const_cycles, target_cycles):
                return
            k = self._lift(d, i)
            if k is None:
                return
            self.apply(d, i, k)
            if lifted is not None:
                lifted(d)

    def greedy(self, d: Design, target_cycles: int = 0, lifted: Callable[[Design], None] | None = None) -> Design:
        """Rounds of lift-until-stuck then trim, while a round improves the interval; then a
        `sweep` below the interval it reached, kept when it finds a faster design that fits."""
        while True:
            before = self.interval(d)
            self.lift_until_stuck(d, target_cycles, lifted)
            self.trim(d, max(self.interval(d), target_cycles))
            after = self.interval(d)
            if after >= before or after <= target_cycles:
                break
        if self.interval(d) > max(target_cycles, self.const_cycles):
            faster = self.sweep(self.interval(d))
            if faster is not None and self.interval(faster) >= target_cycles:
                self.trim(faster, self.interval(faster))
                return faster
        return d

    def min_resources(self, target_cycles: int, rounds: int = 8) -> Design:
        """Every op at its cheapest folding with at most `target_cycles` cycles.

        Cheapest by summed budget share, priced: when the design exceeds a resource, that
        resource's price rises by how far it is over and every op chooses again (a few
        rounds), so ops move their cost to the resources the design has left.  Returns the
        first design that fits, else the last one tried.
        """
        prices = np.ones(5)
        design = self.design([self._cheapest(i, target_cycles) for i in range(len(self.choices))])
        for _ in range(rounds - 1):
            if self.fits(design.total):
                break
            with np.errstate(divide="ignore", invalid="ignore"):
                over = np.where(self._budget > 0, np.array(design.total) / np.maximum(self._budget, 1), 1.0)
            prices = prices * np.where(over > 1, over * 2, 1.0)
            design = self.design([self._cheapest(i, target_cycles, prices) for i in range(len(self.choices))])
        return design

    def sweep(self, below: int) -> Design | None:
        """The fastest design `min_resources` fits at a rate step below `below` cycles, if any.

        The rate steps are every op's cycles at any folding; feasibility grows with the
        interval, so a binary search over them finds the smallest that fits.
        """
        floor = max([self.const_cycles] + [int(self.table(i)[0].min()) for i in range(len(self.choices))])
        steps = sorted({int(c) for i in range(len(self.choices)) for c in self.table(i)[0] if floor <= c < below})
        best, lo, hi = None, 0, len(steps) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            design = self.min_resources(steps[mid])
            if self.fits(design.total) and self.interval(design) <= steps[mid]:
                best, hi = design, mid - 1
            else:
                lo = mid + 1
        return best

    def anneal(
        self,
        start: Design,
        *,
        seed: int = 0,
        iterations: int | None = None,
        target_cycles: int = 0,
        progress: Callable[[float], None] | None = None,
    ) -> Design:
        """Simulated annealing from `start`; returns the best design seen (never worse than `start`).

        Energy: log of a soft maximum of the ops' cycles (a p-norm, so that
        lifting one of several equally slow ops counts) plus a small weight
        on the budget share used.  Moves: one factor of one op one step up or
        down (half the time the op is a bottleneck), sometimes two factors.
        Designs over budget are never entered.  With `target_cycles`, the
        energy is the budget share and no op may exceed the target.
        """
        n = len(self.choices)
        if n == 0:
            return start
        rng = random.Random(seed)
        if iterations is None:
            iterations = min(200_000, 4000 * n)
        p = 16.0
        lam = 0.02
        by_target = target_cycles > 0

        def energy(d: Design) -> float:
            if by_target:
                return self.weight(d.total)
            top = max(d.cycles)
            s = sum((c / top) ** p for c in d.cycles)
            return math.log(top) + math.log(s) / p + lam * self.weight(d.total)

        def better(a: Design, b: Design) -> bool:
            ia, ib = self.interval(a), self.interval(b)
            if by_target:
                return self.weight(a.total) < self.weight(b.total)
            return ia < ib or (ia == ib and self.weight(a.total) < self.weight(b.total))

        cur = start.copy()
        e_cur = energy(cur)
        best = start.copy()
        t0, t1 = (0.05, 0.0005) if not by_target else (0.02, 0.0002)
        cool = (t1 / t0) ** (1.0 / max(iterations - 1, 1))
        temp = t0
        report_every = max(iterations // 100, 1)
        for it in range(iterations):
            if progress is not None and it % report_every == 0:
                progress(it / iterations)
            top = max(cur.cycles)
            if rng.random() < 0.5:
                slow = [j for j in range(n) if cur.cycles[j] == top]
                i = slow[rng.randrange(len(slow))]
            else:
                i = rng.randrange(n)
            near = self.neighbours(i, cur.picks[i])
            if not near:
                temp *= cool
                continue
            k = near[rng.randrange(len(near))]
            if rng.random() < 0.3:
                near2 = self.neighbours(i, k)
                k = near2[rng.randrange(len(near2))]
            c, r = self.cost(i, k)
            if by_target and c > target_cycles:
                temp *= cool
                continue
            new_total = _add(_sub(cur.total, cur.groups[i]), r)
            if not self.fits(new_total):
                temp *= cool
                continue
            old = (cur.picks[i], cur.cycles[i], cur.groups[i], cur.total)
            self.apply(cur, i, k)
            e_new = energy(cur)
            delta = e_new - e_cur
            if delta <= 0 or rng.random() < math.exp(-delta / temp):
                e_cur = e_new
                if better(cur, best):
                    best = cur.copy()
            else:
                cur.picks[i], cur.cycles[i], cur.groups[i], cur.total = old
            temp *= cool
        if progress is not None:
            progress(1.0)
        return best

    # ------------------------------------------------------------------ results

    def write(self, d: Design) -> None:
        """Write the design's folding factors onto the ops."""
        for choice, k in zip(self.choices, d.picks, strict=True):
            choice.op.set_folding(choice.folding(k))  # type: ignore[attr-defined]


#: Properties that only name things (weights in the sidecar, the layer): irrelevant to the cost.
_NAME_PROPERTIES = frozenset({"layer", "weights", "bias", "side_weights", "side_bias"})


def _signature(op: Operation) -> tuple:
    """What an op's cost depends on: its kind, stream types, properties (names only by presence), its
    position among its driver's streams (a FIFO's lanes come from the op feeding it)."""
    props = tuple(sorted((k, _property_key(k, v)) for k, v in op.properties.items() if k != "layer"))
    where = ()
    if isinstance(op, FifoOp):
        value = op.operands[0]
        where = (type(value).__name__, getattr(value, "index", None))
    return (op.name, tuple(str(v.type) for v in op.operands), tuple(str(r.type) for r in op.results), props, where)


def _property_key(name: str, value: object) -> object:
    if name in _NAME_PROPERTIES:
        return "named"
    if isinstance(value, RequantAttr):  # the cost sees only these (costs.parts.requant_part)
        m = value.multiplier.data
        return (
            "requant",
            m & (m - 1) == 0,
            m.bit_length(),
            value.shift.data > 0 or value.zero_point.data != 0,
            value.offset.data != 0,
            len(value.multipliers),
            value.fine_biases and max(abs(b) for b in value.fine_biases).bit_length(),
        )
    if isinstance(value, ActivationAttr):
        return ("act", value.kind.data)
    return str(value)


def _fifo_signature(value, driver: Operation) -> tuple:
    """What a default FIFO's cost depends on: the stream type and which port of its driver sets its lanes."""
    if getattr(value, "owner", None) is driver:
        return (str(value.type), "result", value.index)
    return (str(value.type), "operand", tuple(i for i, v in enumerate(driver.operands) if v is value)[:1])
