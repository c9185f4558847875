"""`partition`: split a network that fits the chip in no single configuration into partitions run in turn.

fpgaConvNet/SAMO's answer to a network larger than the device: cut the layer
sequence where a single feature map is live (it goes to DRAM), give each part
the whole device, and reconfigure between parts; a batch of frames runs through
each partition before the next is loaded, so the reconfiguration time is
amortised over the batch.  The search:

1. cut points: after an op whose result is the only live value (not inside a
   residual block);
2. fewest partitions: from the first op, the longest run of ops up to a cut
   point that fits the board at its smallest folding with all its weights on
   chip (under `max-util`), then the next; a run that fits in no way even
   alone is refused in one line naming what binds;
3. each partition folded by place-weights' search (weights on chip, the
   feature maps in and out through DRAM, sharing the bandwidth);
4. the batch: `batch=N`, or (0) the smallest batch reaching 90% of the
   schedule's asymptotic frame rate, at most `max-batch`.

The IR: one function per partition, `@<net>_p<i>`, in run order, each with
`dataflow.partition`, and `dataflow.schedule` on the module (FPS, batch,
cycles per batch, what binds).  passes/analysis/partitions.py has the
schedule model; docs/passes/offchip.md section 7.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass

from fpga_opt.backend.costs import CostContext
from fpga_opt.backend.target.boards import Board, resolve_target, write_target
from fpga_opt.backend.target.offchip import reconfiguration_cycles
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.progress import progress
from fpga_opt.passes.analysis.folding_search import FoldingProblem
from fpga_opt.passes.analysis.partitions import (
    PARTITION_ATTR,
    SCHEDULE_ATTR,
    PartFigures,
    Schedule,
    body_ops,
    choose_batch,
    cut_points,
    partition_attr,
    schedule_attr,
    split,
)
from fpga_opt.passes.analysis.placement_search import PlacementOptions, PlacementSearch


@dataclass(frozen=True)
class PartitionPass(ModulePass):
    """Split the network into partitions run one after another with reconfiguration, and choose the batch."""

    name = "partition"

    board: str = ""
    """Target board (name or quoted .toml path); default: the module's dataflow.board, else kv260."""

    board_file: str = ""
    """A TOML board file (overrides board)."""

    clock_mhz: int | float = 0
    """Clock in MHz; 0: the module's dataflow.clock_mhz, else the board's."""

    max_util: int | float = 0.85
    """Largest fraction of each board resource a partition may use, in (0, 1]."""

    batch: int = 0
    """Frames per run of each partition; 0: the smallest reaching 90% of the asymptotic frame rate."""

    max_batch: int = 256
    """Upper bound of the chosen batch (the batch's latency grows with it)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        what = self.name
        if not 0 < self.max_util <= 1:
            raise FpgaOptError(f"{what}: max-util must be in (0, 1], got {self.max_util}")
        if self.batch < 0 or self.max_batch < 1:
            raise FpgaOptError(f"{what}: batch must be >= 0 and max-batch >= 1, got {self.batch} and {self.max_batch}")
        board, spec = resolve_target(op, self.board, self.board_file, float(self.clock_mhz), what)
        funcs = [f for f in op.body.block.ops if isinstance(f, FuncOp) and not f.is_declaration]
        if len(funcs) != 1 or PARTITION_ATTR in funcs[0].attributes:
            raise FpgaOptError(f"{what}: expected one func.func (the network, not yet partitioned), found {len(funcs)}")
        func = funcs[0]
        ends = self.fewest_partitions(func, board)
        parts = split(func, ends)
        reconfig = reconfiguration_cycles(board) if len(parts) > 1 else 0
        figures = []
        with progress(f"{what}: folding partitions", total=len(parts), unit=" partitions") as bar:
            for part in parts:
                op.body.block.insert_op_before(part, func)
                options = PlacementOptions(dram=False, max_util=float(self.max_util))
                outcome = PlacementSearch(part, board, options, f"{what}: @{part.sym_name.data}").run()
                cost = outcome.cost
                assert cost is not None
                figures.append(PartFigures(part.sym_name.data, cost.interval, cost.latency, cost.binding))
                bar.update(1)
        func.detach()
        func.erase()
        if len(parts) == 1:  # one configuration streams frames without stopping: no batch to amortise
            batch = self.batch or 1
        else:
            batch = self.batch or choose_batch(figures, reconfig, board.clock_hz, self.max_batch)
        for index, (part, fig) in enumerate(zip(parts, figures, strict=True)):
            part.attributes[PARTITION_ATTR] = partition_attr(
                index, len(parts), batch, reconfig, fig.interval, fig.latency
            )
        op.attributes[SCHEDULE_ATTR] = schedule_attr(Schedule(figures, batch, reconfig, board.clock_hz))
        write_target(op, board, spec)

    def fewest_partitions(self, func: FuncOp, board: Board) -> list[int]:
        """The cut points (op indices) of the fewest partitions that each fit at their smallest folding."""
        ops = body_ops(func)
        candidates = [*cut_points(func), len(ops) - 1]
        ctx = CostContext.for_board(board)
        costs: dict = {}
        ends: list[int] = []
        start = -1
        while start < len(ops) - 1:
            best, error = None, ""
            for end in (c for c in candidates if c > start):
                message = self._misfit(func, start, end, board, ctx, costs)
                if message:
                    error = error or message
                    break
                best = end
            if best is None:
                names = _names(ops[start + 1 : next(c for c in candidates if c > start) + 1])
                verb = "does" if names.startswith("layer '") else "do"
                raise FpgaOptError(f"{self.name}: {names} {verb} not fit {board.name} even alone: {error}")
            if best < len(ops) - 1:
                ends.append(best)
            start = best
        return ends

    def _misfit(self, func: FuncOp, start: int, end: int, board: Board, ctx: CostContext, costs: dict) -> str:
        """'' when ops start+1..end fit `board` at their smallest folding, else why not."""
        cuts = [c for c in (start, end) if 0 <= c < len(body_ops(func)) - 1]
        parts = split(func, cuts)
        part = parts[1] if start >= 0 else parts[0]
        problem = FoldingProblem(part, ctx, board, float(self.max_util), shared_costs=costs)
        try:
            problem.smallest_design("")
        except FpgaOptError as err:
            return str(err).removeprefix(": ").strip()
        return ""


def _names(ops) -> str:
    layers = [getattr(op, "layer_name", "") or op.name for op in ops]
    return f"layer '{layers[0]}'" if len(layers) == 1 else f"layers '{layers[0]}'..'{layers[-1]}'"
