"""`estimate-resources`: annotate every op and the module with its estimated cost.

Asks each op's cost model (backend/costs/) for its cycles per
frame, pipeline depth and resources under the folding written on it, and
writes them as the discardable attribute

    dataflow.cost = {cycles, depth, dsp, bram18, uram, lut, ff}

on the op.  The module gets `dataflow.estimate`: board, clock, interval (the
slowest op's cycles), latency (the longest path of depths), fps,
bottleneck, resource totals (FIFOs included) and utilisation per resource.
On an early-exit network the interval is exit-aware: each op's
cycles count per network sample, scaled by the fraction of samples that
reach it (`dataflow.exit_probabilities`; without them the pass warns and
reports the worst case).  The pass changes no folding; run it after `select-folding` to see what was
chosen, or alone to cost a hand-written design.  `fpga-report` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from fpga_opt.backend.costs import CostContext, analyse_network
from fpga_opt.backend.costs.exit_rates import missing_rates_message, warn
from fpga_opt.backend.target.boards import resolve_target
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.annotations import annotate


@dataclass(frozen=True)
class EstimateResourcesPass(ModulePass):
    """Annotate every op with dataflow.cost and the module with dataflow.estimate (interval, fps, resources)."""

    name = "estimate-resources"

    board: str = ""
    """Target board: a built-in name (kv260, ultra96v2, zcu102, zc706, pynqz2, u250) or a quoted .toml path; default: the module's dataflow.board, else kv260."""

    clock_mhz: int | float = 0
    """Clock in MHz; 0: the module's dataflow.clock_mhz, else the board's default clock."""

    board_file: str = ""
    """A TOML board file (overrides board)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        board, _spec = resolve_target(op, self.board, self.board_file, float(self.clock_mhz), self.name)
        try:
            net = analyse_network(op, CostContext.for_board(board))
        except ValueError as error:
            raise FpgaOptError(f"{self.name}: {error}") from None
        for name in annotate(op, net, board):
            warn(self.name, missing_rates_message(f"@{name}"))
