"""The joint search of weight placement and folding: the engine behind `place-weights`.

The folding search (`folding_search.FoldingProblem`, select-folding's engine)
is the inner step: for a placement it finds the fastest folding within the
budget, and the DRAM time (`placement.share_dram`) bounds the interval from
below, since every DRAM port's cost is T_dram.  The outer search moves layers:

1. **fit**: all weights on chip; while even the smallest folding does not
   fit, move the next layer to DRAM, in the order of the fewest DRAM bytes
   added per on-chip weight bit freed (a linear reads its weights once per
   frame, a conv once per output pixel), larger tensors first;
2. **improve**: while the design is bandwidth-bound, try, for the off-chip
   layers with the most traffic first, generating their weights on chip
   (`generate`) and bringing them back on chip; keep a move when it fits
   and lowers max(slowest op, T_dram).

It never writes a design that does not fit; a design that fits in no way is
refused in one line naming what binds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation

from fpga_opt.backend.costs import CostContext
from fpga_opt.backend.target.boards import Board
from fpga_opt.backend.target.offchip import dram_gbps
from fpga_opt.dialects.dataflow import element_bitwidth, weight_placement
from fpga_opt.dialects.dataflow.weights import weight_count, weight_reads_per_frame
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.folding_search import Design, FoldingProblem
from fpga_opt.passes.analysis.placement import PlacedCost, placed_cost, set_placement, share_dram, weight_layers


@dataclass
class PlacementOptions:
    """What the search may do (the options of `place-weights`)."""

    dram: bool = True
    generate: bool = False
    ratio: float = 0.25
    block: int = 0  # 0: `default_block`
    coef_bits: int = 8
    coefficients: str = "auto"  # generation: "onchip", "dram" or "auto" (both tried)
    max_util: float = 0.85
    target_cycles: int = 0
    fixed: dict[str, str] = field(default_factory=dict)  # layer name -> placement given by the user


@dataclass
class Outcome:
    """A placement with its folding and figures."""

    placement: dict[Operation, str | None]
    design: Design | None
    cost: PlacedCost | None
    note: str = ""


#: A DRAM stream's burst buffer (256 beats of 128 bits, backend/costs/weights.py): smaller tensors stay on chip.
MIN_STREAMED_BITS = 256 * 128


def default_block(layer: Operation) -> int:
    """OVSF block (input channels): 1 for a kernel of >= 4 positions (a 3x3 slice pads 9 -> 16), else the
    largest power of two <= 16 dividing the channels per filter (a 1x1 conv or a linear: 16 values)."""
    from fpga_opt.dialects.dataflow.weights import weight_shape

    shape = weight_shape(layer)
    positions = shape[2] * shape[3] if len(shape) == 4 else 1
    if positions >= 4:
        return 1
    block = 16
    while shape[1] % block:
        block //= 2
    return block


def _bytes_per_bit(layer: Operation) -> float:
    return weight_reads_per_frame(layer) / 8.0


class PlacementSearch:
    """Search placements of `func`'s layer weights (and their folding) on `board`."""

    def __init__(self, func: FuncOp, board: Board, options: PlacementOptions, what: str, progress=None):
        self.func = func
        self.board = board
        self.options = options
        self.what = what
        self.ctx = CostContext.for_board(board)
        self.costs: dict = {}  # folding costs by op signature, shared by every evaluation
        self.layers = weight_layers(func)
        self.progress: Callable[[str], None] = progress or (lambda text: None)
        names = {getattr(op, "layer_name", ""): op for op in self.layers}
        unknown = sorted(set(options.fixed) - set(names))
        if unknown:
            raise FpgaOptError(f"{what}: no conv or linear layer named '{unknown[0]}'")
        self.fixed = {names[n]: (None if p == "onchip" else p) for n, p in options.fixed.items()}

    # ------------------------------------------------------------------ evaluation

    def apply(self, placement: dict[Operation, str | None]) -> None:
        """Write `placement` ("generated-dram": generated, coefficients in DRAM) and share the DRAM."""
        o = self.options
        for layer in self.layers:
            want = placement.get(layer)
            if weight_placement(layer) == want and want not in ("generated", "generated-dram"):
                continue
            block = o.block or default_block(layer)
            coefficients = "dram" if want == "generated-dram" else "onchip"
            kind = "generated" if want == "generated-dram" else want
            set_placement(layer, kind, ratio=o.ratio, block=block, coef_bits=o.coef_bits, coefficients=coefficients)
        share_dram(self.func, self.board)

    def evaluate(self, placement: dict[Operation, str | None]) -> Outcome:
        """Fold the design for `placement`; `design` None when even the smallest folding does not fit."""
        self.apply(placement)
        problem = FoldingProblem(self.func, self.ctx, self.board, self.options.max_util, shared_costs=self.costs)
        try:
            start = problem.smallest_design(self.what)
        except FpgaOptError as error:
            return Outcome(dict(placement), None, None, str(error))
        design = problem.greedy(start, self.options.target_cycles)
        problem.write(design)
        return Outcome(dict(placement), design, placed_cost(self.func, self.board, self.ctx))

    # ------------------------------------------------------------------ the search

    def run(self) -> Outcome:
        placement: dict[Operation, str | None] = {layer: None for layer in self.layers}
        placement.update(self.fixed)
        # a tensor smaller than a stream's burst buffer frees less memory than streaming it costs
        movable = [
            layer
            for layer in self.layers
            if layer not in self.fixed and weight_count(layer) * element_bitwidth(layer.weight_type) > MIN_STREAMED_BITS
        ]
        # fewest DRAM bytes per weight bit first, then the largest tensors
        order = sorted(
            movable, key=lambda op: (_bytes_per_bit(op), -weight_count(op) * element_bitwidth(op.weight_type))
        )
        best = self.evaluate(placement)
        moved = 0
        while best.design is None:
            if not self.options.dram or moved == len(order):
                self._refuse(best, placement)
            placement[order[moved]] = "dram"
            moved += 1
            if moved % self.stride(order) == 0 or moved == len(order):
                self.progress(f"fit: {moved} layer(s) streamed from DRAM")
                best = self.evaluate(placement)
            else:
                self.apply(placement)
                best = Outcome(dict(placement), None, None, "not yet evaluated")
        # bring layers back on chip, the latest moved first, while the design still fits at no slower interval
        # (the fit loop moves several layers per step on large networks)
        for layer in reversed(order[:moved]):
            trial = dict(best.placement)
            trial[layer] = None
            outcome = self.evaluate(trial)
            if outcome.design is not None and outcome.cost.interval <= best.cost.interval:  # type: ignore[union-attr]
                best = outcome
        best = self._improve(best)
        final = self.evaluate(best.placement)
        if final.design is None:  # pragma: no cover - evaluate is deterministic
            raise FpgaOptError(f"{self.what}: internal error: the chosen placement no longer fits")
        self._check_target(final)
        return final

    def generation_choices(self) -> list[str]:
        """Generation with the coefficients on chip, and/or read from DRAM (unzipFPGA's engine)."""
        source = self.options.coefficients
        return {"onchip": ["generated"], "dram": ["generated-dram"]}.get(source, ["generated", "generated-dram"])

    @staticmethod
    def stride(order: list[Operation]) -> int:
        """Layers moved between two foldings in the fit loop: 1 on small networks, more on large ones."""
        return max(1, len(order) // 8)

    def _improve(self, best: Outcome) -> Outcome:
        """While bandwidth binds: generate on chip (if allowed), or bring a layer back on chip."""
        for _ in range(len(self.layers)):
            cost = best.cost
            assert cost is not None
            if cost.dram_cycles <= cost.compute_interval:
                return best
            streamed = [op for op, p in best.placement.items() if p == "dram" and op not in self.fixed]
            streamed.sort(key=lambda op: -weight_reads_per_frame(op) * weight_count(op))
            improved = False
            for layer in streamed:
                options = (self.generation_choices() if self.options.generate else []) + [None]
                for choice in options:
                    trial = dict(best.placement)
                    trial[layer] = choice
                    outcome = self.evaluate(trial)
                    if outcome.design is not None and outcome.cost.interval < cost.interval:  # type: ignore[union-attr]
                        self.progress(f"improve: {getattr(layer, 'layer_name', '?')} -> {choice or 'on chip'}")
                        best, improved = outcome, True
                        break
                if improved:
                    break
            if not improved:
                return best
        return best

    # ------------------------------------------------------------------ refusals

    def _refuse(self, outcome: Outcome, placement: dict[Operation, str | None]) -> None:
        off = sum(1 for p in placement.values() if p in ("dram", "generated"))
        detail = outcome.note.split(": ", 1)[-1] if outcome.note else "does not fit"
        where = "with every conv and linear weight off chip" if off == len(self.layers) else "with weights on chip"
        raise FpgaOptError(f"{self.what}: {detail} ({where}; nothing else can be moved off chip)")

    def _check_target(self, outcome: Outcome) -> None:
        target = self.options.target_cycles
        cost = outcome.cost
        if not target or cost is None or cost.interval <= target:
            return
        if cost.dram_cycles > target:
            from fpga_opt.passes.analysis.placement import dram_traffic

            traffic = dram_traffic(self.func, self.board)
            need = traffic.total * self.board.clock_hz / target / 1e9
            raise FpgaOptError(
                f"{self.what}: bandwidth: {need:.1f} GB/s needed for the target frame rate at the smallest traffic "
                f"this search found, board gives {dram_gbps(self.board):.1f} "
                f"({self.board.bandwidth_gbps:g} GB/s peak derated)"
            )
        raise FpgaOptError(
            f"{self.what}: the target frame rate needs {target} cycles per frame; the best design takes "
            f"{cost.interval} ({cost.binding})"
        )


def fps(board: Board, cycles: int) -> float:
    return board.clock_hz / cycles if cycles else math.inf
