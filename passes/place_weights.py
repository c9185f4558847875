"""`place-weights`: decide where each layer's weights live, and fold the design for it.

Per conv and linear: on chip (the cost model's BRAM/URAM/LUTRAM mapping),
streamed from DRAM (`weight_placement = "dram"` and a `dataflow.weight_stream`
that bursts the words the layer reads), or generated on chip from their OVSF
form (`"generated"` and a `dataflow.weights_generator`, with `generate=true`).
The search (passes/analysis/placement_search.py) runs select-folding's engine
as its inner step under the board's resources AND its DRAM bandwidth: the
network input and output and every streamed layer share `bandwidth_gbps`
derated by the board's DRAM efficiency (backend/target/offchip.py), so the
interval is max(slowest op, T_dram).  It writes the placement, the providers,
each stream's bandwidth share, the folding, `dataflow.dram` on the function,
and the board on the module.  When everything fits on chip it places nothing
and folds as select-folding does.

`layers="fc:dram,conv1:generated,conv2:onchip"` fixes some layers' placement.
A design that fits in no way, or cannot reach `target-fps` because of the
DRAM, is refused in one line naming what binds.  docs/passes/offchip.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass

from fpga_opt.backend.target.boards import resolve_target, write_target
from fpga_opt.dialects.dataflow import PLACEMENTS
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.progress import progress, step_reporter
from fpga_opt.passes.analysis.placement_search import PlacementOptions, PlacementSearch


def parse_layer_placements(text: str, what: str) -> dict[str, str]:
    """`"a:dram,b:onchip"` -> {"a": "dram", "b": "onchip"}."""
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, placement = item.rpartition(":")
        if not sep or not name:
            raise FpgaOptError(f"{what}: layers entry '{item}' is not NAME:PLACEMENT")
        if placement not in (*PLACEMENTS, "onchip"):
            raise FpgaOptError(f"{what}: layers entry '{item}': placement must be onchip, {', '.join(PLACEMENTS)}")
        result[name] = placement
    return result


@dataclass(frozen=True)
class PlaceWeightsPass(ModulePass):
    """Choose each layer's weight placement (on chip, DRAM, generated) and the folding, under resources and bandwidth."""

    name = "place-weights"

    board: str = ""
    """Target board (name or quoted .toml path); default: the module's dataflow.board, else kv260."""

    board_file: str = ""
    """A TOML board file (overrides board)."""

    clock_mhz: int | float = 0
    """Clock in MHz; 0: the module's dataflow.clock_mhz, else the board's."""

    max_util: int | float = 0.85
    """Largest fraction of each board resource the design may use, in (0, 1]."""

    dram: bool = True
    """Allow streaming weights from DRAM."""

    generate: bool = False
    """Allow generating weights on chip from their OVSF form (unzipFPGA) when bandwidth binds."""

    ratio: int | float = 0.25
    """OVSF: fraction of the codes kept per block, in (0, 1] (1 is exact)."""

    block: int = 0
    """OVSF: input channels per block; 0: 1 for kernels of 4+ positions, else up to 16."""

    coef_bits: int = 8
    """OVSF: bits of a quantised coefficient."""

    coefficients: str = "auto"
    """OVSF: where a generator's coefficients live: onchip, dram (read at a share of the bandwidth, as unzipFPGA's engine does), or auto (both tried)."""

    target_fps: int | float = 0
    """Refuse designs below this frame rate (0: none), naming what binds."""

    layers: str = ""
    """Fixed placements, e.g. "fc:dram,conv1:generated,conv2:onchip"."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        what = self.name
        if not 0 < self.max_util <= 1:
            raise FpgaOptError(f"{what}: max-util must be in (0, 1], got {self.max_util}")
        if not 0 < self.ratio <= 1:
            raise FpgaOptError(f"{what}: ratio must be in (0, 1], got {self.ratio}")
        if self.block < 0 or not 2 <= self.coef_bits <= 32:
            raise FpgaOptError(f"{what}: block must be >= 0 and coef-bits in 2..32")
        if self.coefficients not in ("auto", "onchip", "dram"):
            raise FpgaOptError(f"{what}: coefficients must be auto, onchip or dram, got '{self.coefficients}'")
        if self.target_fps < 0 or not math.isfinite(self.target_fps):
            raise FpgaOptError(f"{what}: target-fps must be >= 0, got {self.target_fps}")
        board, spec = resolve_target(op, self.board, self.board_file, float(self.clock_mhz), what)
        funcs = [f for f in op.body.block.ops if isinstance(f, FuncOp) and not f.is_declaration]
        if len(funcs) != 1:
            raise FpgaOptError(f"{what}: expected one func.func (the network), found {len(funcs)}")
        options = PlacementOptions(
            dram=self.dram,
            generate=self.generate,
            ratio=float(self.ratio),
            block=self.block,
            coef_bits=self.coef_bits,
            coefficients=self.coefficients,
            max_util=float(self.max_util),
            target_cycles=max(1, math.floor(board.clock_hz / self.target_fps)) if self.target_fps else 0,
            fixed=parse_layer_placements(self.layers, what),
        )
        with progress(f"{what}: search", unit=" moves") as bar:  # on a terminal, after 2 s; off with --quiet
            PlacementSearch(funcs[0], board, options, what, step_reporter(bar)).run()
        write_target(op, board, spec)
