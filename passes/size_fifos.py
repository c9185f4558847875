"""`size-fifos`: give every FIFO the depth the simulated design needs to run at its decoupled rate.

The cost model's interval (the slowest layer's cycles per frame) assumes
layers that never stall one another.  With 2-deep streams they do: a folded
linear reads its input only during its first output fold, a stride-2 window
emits its windows in bursts, a line buffer refills at every frame start, and
a skip path waits for its long branch.  FINN sizes FIFOs by simulating with
large FIFOs and recording each one's highest occupancy (`set_fifo_depths`);
this pass does the same with `fpga-sim`'s timing simulation
(`passes/analysis/fifo_sizing.py`; no weights needed):

1. simulate with every FIFO unbounded: the *decoupled* cycles per frame T;
2. window streams: each conv/pool alone, fed at one frame per T cycles; one
   that cannot keep that pace with its 2-window stream gets `window_depth`
   = the highest level of an unbounded one (data that waits is cheaper in
   front of the sliding window than behind it);
3. simulate again, edges unbounded, each input offered at one frame per T
   cycles (so the FIFOs in front of the slowest layer do not grow frame
   after frame), and give every edge whose highest level exceeds its default
   2 words `ceil(level / word) + margin` words (optionally rounded up to a
   power of two, at most `max-depth`): a `dataflow.buffer` inserted before
   the consumer, or the edge's last buffer deepened.  Existing buffers and
   window depths are never made smaller, so a skip FIFO sized by
   `minimize-residual-buffers` keeps at least its safe depth;
4. simulate the sized design as fpga-sim runs it (2-word streams elsewhere,
   inputs ready at once) and check that its cycles per frame is within
   `tolerance` of T; otherwise double the FIFOs that were full while their
   writer stalled (and their reader did not), and check again (`rounds` times).

When the module targets a board (`board`/`board-file`, else the module's
`dataflow.board` written by `select-folding`), the sized design must stay
within `max-util` of every resource (FIFOs are costed by
`backend/costs/`, as `estimate-resources` reports them).  Over
budget, the pass first sets back the FIFOs the design can do without
(`shrink`), then, with `refold`, re-runs `select-folding` with the FIFOs
counted and sizes again; otherwise it fails with one line naming the
resource.  It is deterministic.  On an early-exit network every simulation follows
the recorded exit probabilities (each stage sees the samples that reach it;
docs/passes/early_exit.md); without them it sizes for every sample taking
the final exit, and warns.  docs/passes/folding.md ("FIFO sizing") has
the rationale, figures and the pipeline order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from fpga_opt.backend.costs import op_rate
from fpga_opt.backend.sim import elaborate, simulate_timing
from fpga_opt.backend.sim.exits import exit_routing
from fpga_opt.dialects.dataflow import BufferOp
from fpga_opt.dialects.errors import FpgaOptError, check_range
from fpga_opt.dialects.progress import progress
from fpga_opt.passes.analysis.fifo_sizing import (
    DEFAULT_WORDS,
    Run,
    Site,
    auto_resolution,
    decoupled_run,
    exit_frames,
    fifo_resources,
    functions,
    paced_run,
    simulate_sites,
    sites_of,
    window_depth_needed,
)

RESOLUTIONS = ("auto", "coarse", "row", "fine", "exact")
SHRINK_MODES = ("never", "over-budget", "always")
MAX_FRAMES = 1000
"""Upper bound of `frames`: occupancies settle within a few frames; each frame costs simulation time."""
MAX_ROUNDS = 100
"""Upper bound of `rounds` and `refold-rounds`: each round re-simulates (or re-folds) the whole design."""
#: Simulations a shrink may spend to bring a design within budget before the pass refolds or gives up.
_SHRINK_TRIES_OVER_BUDGET = 8
#: A level within this fraction of a word of a bound counts as at the bound.
_EPS = 1e-6


@dataclass
class SizedFunction:
    """What the pass did to one function (the Python API's report; benchmarks and tests read it)."""

    name: str
    decoupled_cycles: float
    sized_cycles: float
    pace: int
    rounds: int
    depths: dict[str, tuple[int, int]] = field(default_factory=dict)  # site name -> (old, new) capacity
    capped: list[str] = field(default_factory=list)
    shrunk: int = 0  # FIFOs a shrink set back to their depth before the pass
    before: dict[str, int] = field(default_factory=dict, repr=False)


def _words(level: float, word: int) -> int:
    return max(0, math.ceil(level / word - _EPS))


def _next_power_of_two(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


@dataclass
class _Journal:
    """The pass's changes to the design: to set one FIFO back (shrink), or to start again after a refold."""

    inserted: list[BufferOp] = field(default_factory=list)
    depths: dict[BufferOp, int] = field(default_factory=dict)  # a buffer's depth before the pass (inserted: 0)
    windows: dict[Operation, int | None] = field(default_factory=dict)  # a conv/pool's window_depth before
    bar: object = None  # the pass's progress bar (dialects/progress.py), which the journal travels with

    def simulated(self, stage: str) -> None:
        """Count one simulation of `stage` on the progress bar."""
        if self.bar is not None:
            self.bar.set_postfix_str(stage, refresh=False)
            self.bar.update()

    def changes(self) -> list[tuple[Operation, object, object]]:
        """(op, depth before the pass, depth now) of every FIFO the pass deepened."""
        found: list[tuple[Operation, object, object]] = []
        for buffer, depth in self.depths.items():
            if buffer not in self._removed and buffer.depth.value.data != depth:
                found.append((buffer, depth, buffer.depth.value.data))
        for op, depth in self.windows.items():
            own = op.properties.get("window_depth")
            now = own.value.data if isinstance(own, IntegerAttr) else None
            if now != depth:
                found.append((op, depth, now))
        return found

    def put(self, op: Operation, depth) -> Operation:
        """Give `op`'s FIFO `depth`; an inserted buffer set to 0 leaves the graph, and comes back when
        set again (as a new op, returned: the cost model would count a 0-deep buffer as no stream)."""
        if isinstance(op, BufferOp) and op in self.inserted and depth == 0:
            use = op.output.uses.get_length() == 1 and next(iter(op.output.uses))
            assert use, "an inserted buffer has one reader"
            self._removed[op] = (use.operation, use.index)
            op.output.replace_all_uses_with(op.input)
            Rewriter().erase_op(op)
            return op
        if isinstance(op, BufferOp) and op in self._removed:
            consumer, index = self._removed.pop(op)
            fresh = BufferOp(consumer.operands[index], depth, layer=op.layer.data if op.layer else None)
            Rewriter().insert_op(fresh, InsertPoint.before(consumer))
            operands = list(consumer.operands)
            operands[index] = fresh.output
            consumer.operands = operands
            self.inserted[self.inserted.index(op)] = fresh
            self.depths[fresh] = self.depths.pop(op)
            return fresh
        if isinstance(op, BufferOp):
            op.depth = IntegerAttr(depth, i64)
        elif depth is None:
            op.properties.pop("window_depth", None)
        else:
            op.properties["window_depth"] = IntegerAttr(depth, i64)
        return op

    def __post_init__(self) -> None:
        self._removed: dict[BufferOp, tuple[Operation, int]] = {}

    def undo(self) -> None:
        for op, depth in list(self.depths.items()) + list(self.windows.items()):
            if op not in self.inserted:
                self.put(op, depth)
        for buffer in reversed(self.inserted):
            if buffer not in self._removed:
                buffer.output.replace_all_uses_with(buffer.input)
                Rewriter().erase_op(buffer)
        self.inserted, self.depths, self.windows, self._removed = [], {}, {}, {}

    def tidy(self) -> None:
        """Forget the buffers a shrink took out again."""
        for buffer in list(self._removed):
            self.inserted.remove(buffer)
            del self.depths[buffer]
        self._removed = {}


def _set_depth(site: Site, capacity: int, journal: _Journal) -> None:
    """Make `site` hold `capacity` (elements of an edge, windows of a window stream); never shrink."""
    if site.kind == "window":
        op = site.consumer
        if site.explicit and capacity <= site.depth:
            return
        own = op.properties.get("window_depth")
        journal.windows.setdefault(op, own.value.data if isinstance(own, IntegerAttr) else None)
        op.properties["window_depth"] = IntegerAttr(capacity, i64)
        return
    total = sum(b.depth.value.data for b in site.buffers)
    if capacity <= total:
        return
    last = site.buffers[-1] if site.buffers else None
    if last is not None and last.output.uses.get_length() == 1:
        journal.depths.setdefault(last, last.depth.value.data)
        last.depth = IntegerAttr(last.depth.value.data + capacity - total, i64)
        return
    consumer = site.consumer
    value = consumer.operands[site.operand]
    layer = consumer.properties.get("layer")
    name = layer.data if isinstance(layer, StringAttr) else consumer.name.split(".", 1)[1]
    suffix = ".fifo" if len(consumer.operands) == 1 else f".fifo{site.operand}"
    buffer = BufferOp(value, capacity - total, layer=name + suffix)
    Rewriter().insert_op(buffer, InsertPoint.before(consumer))
    operands = list(consumer.operands)
    operands[site.operand] = buffer.output
    consumer.operands = operands
    journal.inserted.append(buffer)
    journal.depths[buffer] = 0


@dataclass(frozen=True)
class SizeFifosPass(ModulePass):
    """Size every FIFO (dataflow.buffer depths, window streams) from fpga-sim's occupancy so the design runs decoupled."""

    name = "size-fifos"

    frames: int = 4
    """Frames each simulation runs, 1-1000 (the last half is measured; the occupancy is the maximum over all)."""

    resolution: str = "auto"
    """fpga-sim's timing resolution: auto (row up to 64-row frames, coarse above: a ResNet-50's 224-row frames cost 7x less and size conservatively), coarse, row (fpga-sim's default), fine or exact."""

    margin: int = 0
    """Extra words on every FIFO the pass deepens (word jitter the fluid simulation does not see)."""

    power_of_two: bool = False
    """Round every new depth (in words) up to a power of two."""

    max_depth: int = 65536
    """Largest depth, in words, the pass gives a FIFO (a window stream's word is one window)."""

    tolerance: float = 0.02
    """Largest allowed slowdown of the sized design against the unbounded one (0.02: 2%)."""

    rounds: int = 4
    """Check-and-grow rounds after the first sizing before the pass gives up (0-100)."""

    windows: bool = True
    """Also size conv/pool window streams (the window_depth property); false: dataflow.buffer edges only."""

    board: str = ""
    """Board whose budget the sized design must fit; default: the module's dataflow.board (none: no check)."""

    board_file: str = ""
    """A TOML board file (overrides board)."""

    max_util: int | float = 0.85
    """Largest fraction of each board resource the sized design may use (as select-folding's max-util)."""

    shrink: str = "over-budget"
    """Set deepened FIFOs back to their old depth where the design keeps its rate without them (a simulation per group tried): never, over-budget (only while the sized design does not fit the board), always."""

    refold: bool = False
    """When the sized FIFOs do not fit, re-run select-folding with them counted, then re-size (refold-rounds times)."""

    refold_rounds: int = 3
    """Select-folding / size-fifos rounds refold may take before the pass gives up."""

    def _check_options(self) -> None:
        what = self.name
        check_range(what, "frames", self.frames, 1, MAX_FRAMES, "each round simulates this many frames")
        if self.resolution not in RESOLUTIONS:
            raise FpgaOptError(f"{what}: resolution must be one of {', '.join(RESOLUTIONS)}, got '{self.resolution}'")
        if self.margin < 0:
            raise FpgaOptError(f"{what}: margin must be >= 0, got {self.margin}")
        if self.max_depth < DEFAULT_WORDS:
            raise FpgaOptError(f"{what}: max-depth must be >= {DEFAULT_WORDS} words, got {self.max_depth}")
        if not 0 <= self.tolerance < 1 or not math.isfinite(self.tolerance):
            raise FpgaOptError(f"{what}: tolerance must be in [0, 1), got {self.tolerance}")
        check_range(what, "rounds", self.rounds, 0, MAX_ROUNDS, "each round is a simulation")
        if self.shrink not in SHRINK_MODES:
            raise FpgaOptError(f"{what}: shrink must be one of {', '.join(SHRINK_MODES)}, got '{self.shrink}'")
        check_range(what, "refold-rounds", self.refold_rounds, 1, MAX_ROUNDS, "each round is a folding search")
        if not 0 < self.max_util <= 1:
            raise FpgaOptError(f"{what}: max-util must be in (0, 1], got {self.max_util}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from fpga_opt.backend.costs.exit_rates import func_reach, missing_rates_message, warn

        for func in functions(op):
            if func_reach(func)[1] == "none":  # sized for the worst case: say so
                warn(self.name, missing_rates_message(f"@{func.sym_name.data}"))
        self.size(op)

    # ----- the Python API -------------------------------------------------------------

    def size(self, module: ModuleOp) -> list[SizedFunction]:
        """Size every function of `module` in place; returns what was done (the last sizing's)."""
        self._check_options()
        target = self._target(module)
        with progress(f"{self.name}: simulations", unit="") as bar:
            return self._size(module, target, _Journal(bar=bar))

    def _size(self, module: ModuleOp, target, journal: _Journal) -> list[SizedFunction]:
        done = self._size_all(module, journal)
        if target is None:
            return self._finish(module, journal, done)
        board, spec = target
        for round_ in range(self.refold_rounds + 1):
            if self.shrink == "over-budget" and self._violation(module, board) is not None:
                self._shrink(module, journal, done, board)
            if self._violation(module, board) is None or not self.refold or round_ == self.refold_rounds:
                break
            # The search costs every FIFO as it now is (dataflow.buffer depths, window_depth), so it picks
            # a folding that leaves them room; then the FIFOs are sized afresh for that folding.
            self._refold(module, spec, board)
            journal.undo()
            done = self._size_all(module, journal)
        bad = self._violation(module, board)
        if bad is not None:
            name, need, budget, fifos = bad
            total = getattr(board, name)
            hint = "" if self.refold else "; size-fifos{refold=true} re-runs select-folding with the FIFOs counted"
            raise FpgaOptError(
                f"{self.name}: the design with its sized FIFOs needs {need} {name} ({fifos} in FIFOs), board "
                f"{board.name} allows {budget} ({self.max_util:.0%} of {total}){hint}"
            )
        return self._finish(module, journal, done)

    def _size_all(self, module: ModuleOp, journal: _Journal) -> list[SizedFunction]:
        from fpga_opt.backend.costs.exit_rates import every_sample_leaving_first

        for func in functions(module):  # early exits: stage 0 at the rate of every sample, then the route
            with every_sample_leaving_first(func) as early:
                if early:
                    self._size_function(module, func, journal)
        done = [self._size_function(module, f, journal) for f in functions(module)]
        if self.shrink == "always":
            self._shrink(module, journal, done, None)
        return done

    def _finish(self, module: ModuleOp, journal: _Journal, done: list[SizedFunction]) -> list[SizedFunction]:
        journal.tidy()
        for func, result in zip(functions(module), done, strict=True):
            after = {s.name: s.depth for s in self._sites(func)}
            result.depths = {k: (result.before.get(k, v), v) for k, v in after.items() if result.before.get(k) != v}
        return done

    def _shrink(self, module: ModuleOp, journal: _Journal, done: list[SizedFunction], board) -> None:
        """Set deepened FIFOs back to their depth before the pass where the design keeps its rate without them.

        Without a board: every FIFO it can, the costliest first.  With a board: only until the design
        fits (at most `_SHRINK_TRIES_OVER_BUDGET` simulations), starting with the fewest FIFOs
        (costliest in the exceeded resource first) that would free enough of it.  A group is set back
        at once and kept if every function still runs within tolerance; a group that does not is
        halved (delta debugging), so FIFOs that can go together cost one simulation.
        """
        from fpga_opt.backend.costs import CostContext, default_fifo_cost, fifo_cost, window_fifo_cost
        from fpga_opt.backend.target.resources import RESOURCE_NAMES

        ctx = CostContext.for_board(board) if board is not None else CostContext()
        limits = {r.name: r.decoupled_cycles * (1 + self.tolerance) for r in done}
        results = {r.name: r for r in done}
        order = {op: i for i, op in enumerate(module.walk())}
        bad = self._violation(module, board) if board is not None else None

        def freed(op: Operation, before, now) -> dict[str, int]:
            """What setting the FIFO back saves, per resource (an inserted buffer leaves a 2-word stream)."""
            if isinstance(op, BufferOp):
                sized = fifo_cost(op.input, now, ctx)  # type: ignore[arg-type]
                inserted = op in journal.inserted
                back = default_fifo_cost(op.input, ctx) if inserted else fifo_cost(op.input, before, ctx)  # type: ignore[arg-type]
            else:
                sized = window_fifo_cost(op, ctx)  # type: ignore[arg-type]
                journal.put(op, before)
                back = window_fifo_cost(op, ctx)  # type: ignore[arg-type]
                journal.put(op, now)
            return {n: getattr(sized, n) - getattr(back, n) for n in RESOURCE_NAMES}

        changes = [[op, before, now, op.parent_op(), freed(op, before, now)] for op, before, now in journal.changes()]
        exceeded = bad[0] if bad is not None else None

        def key(change) -> tuple:
            r = change[4]
            first = r[exceeded] if exceeded else 0
            return (-first, -r["bram18"], -r["uram"], -r["lut"], -r["ff"], order.get(change[0], 0))

        changes.sort(key=key)
        stack: list[list[list]] = []
        if bad is not None:
            name, need, budget, _ = bad
            changes = [c for c in changes if c[4][name] > 0]  # the others free nothing of it
            enough, total = len(changes), 0
            for i, c in enumerate(changes):
                total += c[4][name]
                if total >= need - budget:
                    enough = i + 1
                    break
            stack = [changes[enough:], changes[:enough]] if changes[enough:] else [changes[:enough]]
        elif changes:
            stack = [changes]

        def runs(group: list[list]) -> bool:
            """Set `group` back; keep it so if every function it touches still runs within tolerance."""
            touched = {c[3] for c in group}
            for c in group:
                c[0] = journal.put(c[0], c[1])
            cycles = {}
            for func in functions(module):
                if func not in touched:
                    continue
                name = func.sym_name.data
                net = elaborate(module, name)
                frames = self._frames(func)
                run = simulate_timing(
                    net, frames=frames, resolution=self._resolution(func), routing=exit_routing(net, frames)
                )
                journal.simulated(f"shrink {name}")
                if run.deadlock is not None or run.cycles_per_frame is None or run.cycles_per_frame > limits[name]:
                    for c in group:
                        c[0] = journal.put(c[0], c[2])
                    return False
                cycles[name] = run.cycles_per_frame
            for name, c in cycles.items():
                results[name].sized_cycles = c
            for c in group:
                results[c[3].sym_name.data].shrunk += 1
            return True

        tries = 0
        while stack:
            if board is not None and (self._violation(module, board) is None or tries >= _SHRINK_TRIES_OVER_BUDGET):
                return
            tries += 1
            group = stack.pop()
            if not group or runs(group) or len(group) == 1:
                continue
            half = len(group) // 2
            stack.extend([group[half:], group[:half]])  # the costlier half first

    def _target(self, module: ModuleOp):
        """(board, how to name it) when the module targets one, else None."""
        from fpga_opt.backend.target.boards import BOARD_ATTR, BOARD_FILE_ATTR, resolve_target

        if not (
            self.board or self.board_file or BOARD_ATTR in module.attributes or BOARD_FILE_ATTR in module.attributes
        ):
            return None
        return resolve_target(module, self.board, self.board_file, 0.0, self.name)

    def _violation(self, module: ModuleOp, board) -> tuple[str, int, int, int] | None:
        """(resource, need, budget, of which FIFOs) of the first resource over `max-util`, else None."""
        from fpga_opt.backend.costs import CostContext, analyse_network
        from fpga_opt.backend.target.resources import RESOURCE_NAMES

        ctx = CostContext.for_board(board)
        net = analyse_network(module, ctx)
        fifo = fifo_resources(module, ctx)
        for name in RESOURCE_NAMES:
            budget = int(self.max_util * getattr(board, name) + 1e-9)
            need = getattr(net.resources, name)
            if need > budget:
                return name, need, budget, getattr(fifo, name)
        return None

    def _refold(self, module: ModuleOp, spec: str, board) -> None:
        """Re-run select-folding with the sized FIFOs counted, keeping the interval if it can.

        First the cheapest folding at the design's own interval (objective=resources: every op
        at its cheapest folding meeting it, with the FIFOs' costs at the new lanes): sizing then
        costs no rate at all.  Only when no folding at that interval leaves the FIFOs room does
        the throughput search choose a slower one.
        """
        from fpga_opt.backend.costs import CostContext, analyse_network
        from fpga_opt.passes.select_folding import SelectFoldingPass

        is_file = spec.lower().endswith(".toml") or "/" in spec
        common = {
            "board": "" if is_file else spec,
            "board_file": spec if is_file else "",
            "clock_mhz": board.clock_mhz,
            "max_util": self.max_util,
        }
        interval = analyse_network(module, CostContext.for_board(board)).interval
        try:
            keep = board.clock_hz / (interval + 0.5)  # floor(clock / keep) == interval
            SelectFoldingPass(**common, objective="resources", target_fps=keep).apply(Context(), module)
            return
        except FpgaOptError:
            pass
        try:
            SelectFoldingPass(**common).apply(Context(), module)
        except FpgaOptError as error:
            raise FpgaOptError(f"{self.name}: refold with the sized FIFOs counted: {error}") from None

    def _resolution(self, func: FuncOp) -> str:
        """The simulations' resolution: the option, or for `auto` row up to AUTO_ROW_MAX_HEIGHT-row
        frames and coarse above (fifo_sizing.auto_resolution: coarse sizes a little deeper, and the
        check still runs the design)."""
        return auto_resolution(func) if self.resolution == "auto" else self.resolution

    def _frames(self, func: FuncOp) -> int:
        """Frames per run: `frames`, more in an early-exit network (see fifo_sizing.exit_frames)."""
        return exit_frames(func, self.frames)

    def _sites(self, func: FuncOp) -> list[Site]:
        sites = sites_of(func.body.block)
        return sites if self.windows else [s for s in sites if s.kind == "edge"]

    def _capacity(self, site: Site, words: int, capped: list[str]) -> int:
        words += self.margin
        if self.power_of_two:
            words = _next_power_of_two(words)
        if words > self.max_depth:
            words = self.max_depth
            capped.append(site.name)
        return words * site.word

    def _size_function(self, module: ModuleOp, func: FuncOp, journal: _Journal) -> SizedFunction:
        sites = self._sites(func)
        result = SizedFunction(func.sym_name.data, 0.0, 0.0, 0, 0)
        if not sites:
            return result
        frames = self._frames(func)
        result.before = {s.name: s.depth for s in sites}
        # 1. the decoupled interval, and the pace of the measurement
        resolution = self._resolution(func)
        decoupled = decoupled_run(module, func, sites, frames=frames, resolution=resolution).cycles_per_frame
        assert decoupled is not None
        journal.simulated(f"{result.name}: decoupled")
        pace = max(1, math.ceil(decoupled - 1e-6))
        result.decoupled_cycles, result.pace = decoupled, pace

        # 2a. window streams: only where the op alone cannot keep the pace with its own
        if self.windows:
            local = self.tolerance / 2
            for site in sites:
                if site.kind != "window":
                    continue
                own_pace = max(pace, op_rate(site.consumer)[0])
                need, _ = window_depth_needed(
                    site.consumer, own_pace, frames=self.frames, resolution=resolution, tolerance=local
                )
                journal.simulated(f"{result.name}: window {site.name}")
                if need is not None and need > site.depth:
                    _set_depth(site, self._capacity(site, need, result.capped), journal)

        # 2b. every edge's highest level at the pace, with the window streams as they now are
        sites = self._sites(func)
        paced = paced_run(module, func, sites, pace, frames=frames, resolution=resolution)
        journal.simulated(f"{result.name}: paced")
        for site in sites:
            stats = paced.stats.get(site.key)
            if site.kind != "edge" or stats is None:
                continue
            words = _words(stats.max_occupancy, site.word)
            if words <= DEFAULT_WORDS:
                continue  # the default stream holds it (an explicit depth is never shrunk)
            _set_depth(site, self._capacity(site, words, result.capped), journal)

        # 3. check as fpga-sim runs the design, and grow what stalls
        limit = decoupled * (1 + self.tolerance)
        for round_ in range(self.rounds + 1):
            sites = self._sites(func)
            check = simulate_sites(module, func, sites, frames=frames, resolution=resolution)
            journal.simulated(f"{result.name}: check {round_ + 1}")
            result.rounds = round_
            if check.deadlock is None and check.cycles_per_frame is not None and check.cycles_per_frame <= limit:
                result.sized_cycles = check.cycles_per_frame
                break
            grown = False
            for site in sites:
                stats = check.stats.get(site.key)
                if stats is None or stats.capacity == math.inf:
                    continue
                full = stats.max_occupancy >= stats.capacity - _EPS * site.word
                # a FIFO whose reader itself waited on a full FIFO further on is not where the stall starts
                culprit = stats.full_stall_pct > 0 and stats.reader_blocked_pct <= 0
                if full and (culprit or check.deadlock is not None):
                    capacity = self._capacity(site, 2 * _words(site.depth, site.word), result.capped)
                    if capacity > site.depth:
                        _set_depth(site, capacity, journal)
                        grown = True
            if round_ == self.rounds or not grown:
                self._give_up(func, check, decoupled, result)
        return result

    def _give_up(self, func: FuncOp, check: Run, decoupled: float, result: SizedFunction) -> None:
        where = f"@{func.sym_name.data}"
        hint = (
            f" (max-depth {self.max_depth} words capped {', '.join(sorted(set(result.capped)))})"
            if result.capped
            else ""
        )
        if check.deadlock is not None:
            raise FpgaOptError(f"{self.name}: {where}: the sized design deadlocks{hint}: {check.deadlock}")
        assert check.cycles_per_frame is not None
        slower = check.cycles_per_frame / decoupled - 1
        raise FpgaOptError(
            f"{self.name}: {where}: the sized design runs at {check.cycles_per_frame:.0f} cycles per frame, "
            f"{slower:.1%} slower than with unbounded FIFOs ({decoupled:.0f}), above tolerance {self.tolerance:g}{hint}"
        )
