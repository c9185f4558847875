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
   schedule's asymptotic frame rate, at most `max-batch`;
5. with `streaming=true`, the alternatives, all under the same DRAM bandwidth
   (streamed weights and the partitions' feature maps share it): partitions
   that may stream weights (a run fits when it fits with every weight large
   enough to stream streamed; place-weights' search then places each part),
   and one configuration with weights streamed (place-weights' search; not
   with `single=false`).  The pass keeps the one with the most frames per
   second (a tie keeps the fewer reconfigurations) and records every
   alternative in `dataflow.offchip_choice`.  When the single configuration
   wins, the network is left as one placed function, not partitioned.

The IR: one function per partition, `@<net>_p<i>`, in run order, each with
`dataflow.partition`, and `dataflow.schedule` on the module (FPS, batch,
cycles per batch, what binds).  passes/analysis/partitions.py has the
schedule model; docs/passes/offchip.md section 7.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass

from fpga_opt.backend.costs import CostContext
from fpga_opt.backend.target.boards import Board, resolve_target, write_target
from fpga_opt.backend.target.offchip import reconfiguration_cycles
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.progress import progress
from fpga_opt.passes.analysis.folding_search import FoldingProblem
from fpga_opt.passes.analysis.partitions import (
    OFFCHIP_CHOICE_ATTR,
    PARTITION_ATTR,
    SCHEDULE_ATTR,
    PartFigures,
    Schedule,
    body_ops,
    choose_batch,
    cut_points,
    offchip_choice_attr,
    partition_attr,
    schedule_attr,
    split,
)
from fpga_opt.passes.analysis.placement import first_frame_latency, set_placement, share_dram
from fpga_opt.passes.analysis.placement_search import PlacementOptions, PlacementSearch, streamable_layers


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

    streaming: bool = False
    """Weigh partitions that stream weights from DRAM, and one streamed configuration, against partitions with
    weights on chip; keep the fastest (dataflow.offchip_choice says all three)."""

    single: bool = True
    """With streaming: weigh the one streamed configuration too (false: partitions only, with and without streams)."""

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
        if not self.streaming:
            parts, schedule = self.partitioned_design(op, func, board, stream=False)
            self._finish(op, func, schedule, board, spec)
            return
        # the alternatives, each under the same DRAM bandwidth: one streamed configuration, partitions with
        # their weights on chip, partitions that may stream weights; the fastest is kept
        streamed = self.streamed_design(op, func, board) if self.single else "not weighed (single=false)"
        plans: dict[str, tuple[list[FuncOp], Schedule] | str] = {}
        for key, stream in (("partitions", False), ("streamed_partitions", True)):
            try:
                plans[key] = self.partitioned_design(op, func, board, stream=stream)
            except FpgaOptError as error:
                plans[key] = str(error)
        fps = {key: plan[1].fps for key, plan in plans.items() if isinstance(plan, tuple)}
        if isinstance(streamed, tuple):
            fps["streaming"] = board.clock_hz / streamed[1].interval
        if not fps:
            also = f" (and as one configuration: {streamed})" if self.single else ""
            raise FpgaOptError(f"{plans['streamed_partitions']}{also}")
        # the fastest; a tie keeps the fewer reconfigurations (streaming, then partitions without streams)
        chosen = max(("streaming", "partitions", "streamed_partitions"), key=lambda k: fps.get(k, -1.0))
        op.attributes[OFFCHIP_CHOICE_ATTR] = offchip_choice_attr(chosen, streamed, plans, board.clock_hz)
        for key, plan in plans.items():
            if isinstance(plan, tuple) and key != chosen:
                for part in plan[0]:
                    part.detach()
                    part.erase()
        if isinstance(streamed, tuple) and chosen != "streaming":
            streamed[0].detach()
            streamed[0].erase()
        if chosen == "streaming":  # one placed function, not partitioned
            assert isinstance(streamed, tuple)
            streamed[0].sym_name = func.sym_name
            func.detach()
            func.erase()
            write_target(op, board, spec)
            return
        plan = plans[chosen]
        assert isinstance(plan, tuple)
        self._finish(op, func, plan[1], board, spec)

    def _finish(self, op: ModuleOp, func: FuncOp, schedule: Schedule, board: Board, spec) -> None:
        func.detach()
        func.erase()
        op.attributes[SCHEDULE_ATTR] = schedule_attr(schedule)
        write_target(op, board, spec)

    def streamed_design(self, module: ModuleOp, func: FuncOp, board: Board):
        """One configuration with weights streamed from DRAM as place-weights would choose it: (the placed
        copy of `func`, inserted in `module`, its cost), or why there is none."""
        placed = func.clone()
        placed.sym_name = StringAttr(f"{func.sym_name.data}_streamed")
        module.body.block.insert_op_before(placed, func)
        options = PlacementOptions(dram=True, max_util=float(self.max_util))
        try:
            outcome = PlacementSearch(placed, board, options, "").run()
        except FpgaOptError as error:
            placed.detach()
            placed.erase()
            return str(error).removeprefix(": ")
        assert outcome.cost is not None
        return placed, outcome.cost

    def partitioned_design(
        self, module: ModuleOp, func: FuncOp, board: Board, stream: bool
    ) -> tuple[list[FuncOp], Schedule]:
        """The fewest partitions, each folded with its weights on chip (or, with `stream`, placed by
        place-weights' search, which may stream them), inserted before `func`; their schedule."""
        what = self.name
        ends = self.fewest_partitions(func, board, stream)
        parts = split(func, ends)
        reconfig = reconfiguration_cycles(board) if len(parts) > 1 else 0
        figures = []
        for part in parts:
            module.body.block.insert_op_before(part, func)
        try:
            with progress(f"{what}: folding partitions", total=len(parts), unit=" partitions") as bar:
                for part in parts:
                    options = PlacementOptions(dram=stream, max_util=float(self.max_util))
                    outcome = PlacementSearch(part, board, options, f"{what}: @{part.sym_name.data}").run()
                    cost = outcome.cost
                    assert cost is not None
                    latency = first_frame_latency(part, cost.interval)
                    figures.append(PartFigures(part.sym_name.data, cost.interval, latency, cost.binding))
                    bar.update(1)
        except FpgaOptError:
            for part in parts:
                part.detach()
                part.erase()
            raise
        if len(parts) == 1:  # one configuration streams frames without stopping: no batch to amortise
            batch = self.batch or 1
        else:
            batch = self.batch or choose_batch(figures, reconfig, board.clock_hz, self.max_batch)
        for index, (part, fig) in enumerate(zip(parts, figures, strict=True)):
            part.attributes[PARTITION_ATTR] = partition_attr(
                index, len(parts), batch, reconfig, fig.interval, fig.latency
            )
        return parts, Schedule(figures, batch, reconfig, board.clock_hz)

    def fewest_partitions(self, func: FuncOp, board: Board, stream: bool = False) -> list[int]:
        """The cut points (op indices) of the fewest partitions that each fit at their smallest folding (with
        `stream`: with every weight large enough to stream streamed from DRAM)."""
        ops = body_ops(func)
        candidates = [*cut_points(func), len(ops) - 1]
        ctx = CostContext.for_board(board)
        costs: dict = {}
        ends: list[int] = []
        start = -1
        while start < len(ops) - 1:
            best, error = None, ""
            for end in (c for c in candidates if c > start):
                message = self._misfit(func, start, end, board, ctx, costs, stream)
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

    def _misfit(
        self, func: FuncOp, start: int, end: int, board: Board, ctx: CostContext, costs: dict, stream: bool
    ) -> str:
        """'' when ops start+1..end fit `board` at their smallest folding, else why not."""
        cuts = [c for c in (start, end) if 0 <= c < len(body_ops(func)) - 1]
        parts = split(func, cuts)
        part = parts[1] if start >= 0 else parts[0]
        if stream:
            for layer in streamable_layers(part):
                set_placement(layer, "dram")
            share_dram(part, board)
        problem = FoldingProblem(part, ctx, board, float(self.max_util), shared_costs=costs)
        try:
            problem.smallest_design("")
        except FpgaOptError as err:
            return str(err).removeprefix(": ").strip()
        return ""


def _names(ops) -> str:
    layers = [getattr(op, "layer_name", "") or op.name for op in ops]
    return f"layer '{layers[0]}'" if len(layers) == 1 else f"layers '{layers[0]}'..'{layers[-1]}'"
