"""`select-folding`: choose every op's folding factors for a board (design-space exploration).

Sets `coarse_in`/`coarse_out`/`fine`/`coarse_group` on convs,
`coarse_in`/`coarse_out` on linears and `coarse` on channel-wise ops so that
the design runs as fast as the board can hold (objective=throughput) or as
cheaply as a target frame rate allows (objective=resources), within
`max-util` of every resource.  The costs are the ops' cost models
(backend/costs/); the search is passes/analysis/folding_search.py
and docs/passes/folding.md explains both.

Early-exit networks (after `split-exit-branches`): an op that only the
fraction q of the samples reach needs only q of its rate, so the search
scales its cycles by q (`exit_rates.op_reach`; q from the option
`exit-probabilities`, else the function's `dataflow.exit_probabilities`
written by `fpga-profile-exits`; neither is an error unless `exit-aware=false`) and the design runs at one sample
per `max_i q_i * cycles_i`; the exit buffers are then re-sized for the chosen
folding (`size-exit-buffers`) and must still fit.  docs/passes/early_exit.md.

It never writes a design that does not fit.  When even the smallest design
does not fit, it fails with one line naming the resource, what it needs and
what the board allows.  It is deterministic (anneal: for a given seed).  It
records `dataflow.board` and `dataflow.clock_mhz` on the module, which
`estimate-resources`, `fpga-report` and `fpga-sim` read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from fpga_opt.backend.costs import CostContext
from fpga_opt.backend.target.boards import resolve_target, write_target
from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.errors import FpgaOptError, check_range
from fpga_opt.dialects.progress import fraction_reporter, progress
from fpga_opt.passes.analysis.exit_search import exit_reach, resize_exit_buffers
from fpga_opt.passes.analysis.folding_search import FoldingProblem

OBJECTIVES = ("throughput", "resources")
ALGORITHMS = ("greedy", "anneal")


def _greedy_with_progress(problem: FoldingProblem, start, target_cycles: int, what: str):
    """`problem.greedy` with a bar counting its steps and showing the interval reached."""
    with progress(f"{what}: greedy", unit=" steps") as bar:

        def lifted(design) -> None:
            bar.set_postfix_str(f"interval {problem.interval(design):,} cycles", refresh=False)
            bar.update()

        return problem.greedy(start, target_cycles, lifted)


@dataclass(frozen=True)
class SelectFoldingPass(ModulePass):
    """Choose folding factors (coarse_in/coarse_out/fine/coarse) for the highest throughput that fits the board."""

    name = "select-folding"

    board: str = "kv260"
    """Target board: kv260, ultra96v2, zcu102, zc706, pynqz2, u250 (aliases such as k26, pynq-z2), or a quoted .toml path."""

    objective: str = "throughput"
    """throughput: the highest frame rate that fits (stop early at target-fps if given); resources: the cheapest design meeting target-fps."""

    target_fps: int | float = 0
    """Frames per second to reach; needed by objective=resources, optional for throughput."""

    clock_mhz: int | float = 0
    """Clock in MHz; 0: the board's default clock."""

    algorithm: str = "greedy"
    """greedy: lift the bottleneck layer until a resource runs out, then trim; anneal: refine the greedy result by simulated annealing."""

    max_util: int | float = 0.85
    """Largest fraction of each board resource the design may use, in (0, 1]."""

    seed: int = 0
    """Random seed of the annealing (the result is deterministic for a seed)."""

    board_file: str = ""
    """A TOML board file (overrides board); see examples/boards/my_board.toml."""

    exit_probabilities: tuple[int | float, ...] = ()
    """Early exits: the fraction of samples leaving at each exit (one per exit, summing to 1); empty: the function's dataflow.exit_probabilities (neither: an error, unless exit-aware=false)."""

    exit_aware: bool = True
    """Early exits: scale each stage's required rate by the fraction of samples reaching it (false: size every stage for every sample)."""

    exit_backlog: int = 1
    """Early exits: frames of continuing samples buffered after each conditional buffer (size-exit-buffers backlog)."""

    layer_parallelism: tuple[int, ...] = ()
    """Fix some layers' parallelism: one value per layer with folding factors, in program order; 0 lets the search choose, k >= 1 takes the layer's cheapest folding at least k times as fast as its smallest (fpga-explore's genes)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        what = self.name
        if self.objective not in OBJECTIVES:
            raise FpgaOptError(f"{what}: objective must be one of {', '.join(OBJECTIVES)}, got '{self.objective}'")
        if self.algorithm not in ALGORITHMS:
            raise FpgaOptError(f"{what}: algorithm must be one of {', '.join(ALGORITHMS)}, got '{self.algorithm}'")
        if not 0 < self.max_util <= 1:
            raise FpgaOptError(f"{what}: max-util must be in (0, 1], got {self.max_util}")
        if self.target_fps < 0 or not math.isfinite(self.target_fps):
            raise FpgaOptError(f"{what}: target-fps must be a positive number (or 0 for none), got {self.target_fps}")
        check_range(what, "seed", self.seed, 0, 2**63 - 1)
        if self.objective == "resources" and self.target_fps <= 0:
            raise FpgaOptError(f"{what}: objective=resources needs target-fps > 0")
        board, spec = resolve_target(op, self.board, self.board_file, float(self.clock_mhz), what)
        exit_funcs, reach = exit_reach(op, self.exit_probabilities, self.exit_aware, self.exit_backlog, what)
        problem = FoldingProblem(op, CostContext.for_board(board), board, float(self.max_util), reach=reach)
        if self.layer_parallelism:
            problem.pin([int(k) for k in self.layer_parallelism], what)
        start = problem.smallest_design(what)

        target_cycles = 0
        if self.target_fps > 0:
            target_cycles = max(1, math.floor(board.clock_hz / self.target_fps))

        if self.objective == "resources":
            design = problem.min_resources(target_cycles)
            slow = [i for i, c in enumerate(design.cycles) if c > target_cycles]
            if slow or problem.const_cycles > target_cycles:
                if slow:
                    i = max(slow, key=lambda j: design.cycles[j])
                    where, cycles = f"layer '{problem.choices[i].name}'", design.cycles[i]
                else:
                    where, cycles = "an op without folding factors", problem.const_cycles
                best_fps = board.clock_hz / cycles
                raise FpgaOptError(
                    f"{what}: target-fps {self.target_fps:g} is out of reach on {board.name} at {board.clock_mhz:g} MHz: "
                    f"{where} reaches at most {best_fps:.1f} fps at its highest folding"
                )
            if not problem.fits(design.total):
                name, need, budget = problem.violation(design.total)  # type: ignore[misc]
                total = getattr(board, name)
                raise FpgaOptError(
                    f"{what}: target-fps {self.target_fps:g} does not fit {board.name}: {name} needs {need}, "
                    f"board allows {budget} ({self.max_util:.0%} of {total})"
                )
            if self.algorithm == "anneal":
                with progress(f"{what}: annealing", total=100, unit="%") as bar:
                    design = problem.anneal(
                        design, seed=self.seed, target_cycles=target_cycles, progress=fraction_reporter(bar)
                    )
        else:
            design = _greedy_with_progress(problem, start, target_cycles, what)
            if self.algorithm == "anneal":
                with progress(f"{what}: annealing", total=100, unit="%") as bar:
                    design = problem.anneal(design, seed=self.seed, progress=fraction_reporter(bar))
                design = _greedy_with_progress(problem, design, target_cycles, what)

        assert problem.fits(design.total), {n: v for n, v in zip(RESOURCE_NAMES, design.total, strict=True)}
        problem.write(design)
        if exit_funcs:
            resize_exit_buffers(op, exit_funcs, problem, self.exit_backlog, what)
        write_target(op, board, spec)
