"""`compress-weights`: generate layers' weights on chip from their OVSF form (unzipFPGA).

For each chosen conv/linear, the pass sets `weight_placement = "generated"`,
renames the layer's weights to the generated tensor (`conv1.w` ->
`conv1.w.ovsf`) and puts a `dataflow.weights_generator` before it: per block
of `block` input channels x Kh x Kw values (padded to L = 2^m), the
round(ratio * L) orthogonal +-1 (Walsh-Hadamard / OVSF) codes with the
largest coefficients |<W, c_j>| are kept (the least-squares best with that
many codes), their coefficients quantised to `coef-bits`, and the weights
rebuilt with adders and a rounding shift (dialects/ovsf.py).  The sidecar is
not touched: the generated weights are a function of the original tensor
and the generator's properties, so fpga-sim computes exactly what the
hardware generates.  No retraining.

The pass changes the network's outputs (that is its purpose) unless
ratio = 1 with enough `coef-bits`; measure the cost with fpga-sim on data
(benchmarks/offchip.py does, per ratio).  docs/passes/offchip.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.placement import set_placement, weight_layers
from fpga_opt.passes.analysis.placement_search import default_block


@dataclass(frozen=True)
class CompressWeightsPass(ModulePass):
    """Replace layers' stored weights by an on-chip OVSF weights generator (unzipFPGA), keeping a ratio of the codes."""

    name = "compress-weights"

    method: str = "ovsf"
    """Compression method: ovsf (orthogonal +-1 codes, Walsh-Hadamard order)."""

    ratio: int | float = 0.25
    """Fraction of the L codes kept per block, in (0, 1]; 1 keeps all (exact with enough coef-bits)."""

    block: int = 0
    """Input channels per block; 0: 1 for kernels of 4+ positions, else up to 16 (a 16-value block)."""

    coef_bits: int = 8
    """Bits of a quantised coefficient (2..32)."""

    coefficients: str = "onchip"
    """Where the coefficients live: onchip (a coefficient memory) or dram (read per use, unzipFPGA's engine; run place-weights or give it a share)."""

    layers: str = ""
    """Comma-separated layer names to compress; empty: every conv and linear."""

    min_weights: int = 0
    """Compress only layers with at least this many weights (with layers empty)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        what = self.name
        if self.method != "ovsf":
            raise FpgaOptError(f"{what}: method must be ovsf, got '{self.method}'")
        if not 0 < self.ratio <= 1:
            raise FpgaOptError(f"{what}: ratio must be in (0, 1], got {self.ratio}")
        if self.block < 0:
            raise FpgaOptError(f"{what}: block must be >= 0 channels, got {self.block}")
        if not 2 <= self.coef_bits <= 32:
            raise FpgaOptError(f"{what}: coef-bits must be 2..32, got {self.coef_bits}")
        if self.coefficients not in ("onchip", "dram"):
            raise FpgaOptError(f"{what}: coefficients must be onchip or dram, got '{self.coefficients}'")
        from fpga_opt.dialects.dataflow.weights import weight_count, weight_shape

        wanted = [n.strip() for n in self.layers.split(",") if n.strip()]
        for func in [f for f in op.body.block.ops if isinstance(f, FuncOp) and not f.is_declaration]:
            layers = weight_layers(func)
            by_name = {layer.layer_name: layer for layer in layers}  # type: ignore[attr-defined]
            if wanted:
                unknown = [n for n in wanted if n not in by_name]
                if unknown:
                    raise FpgaOptError(f"{what}: no conv or linear layer named '{unknown[0]}' in @{func.sym_name.data}")
                chosen = [by_name[n] for n in wanted]
            else:
                chosen = [layer for layer in layers if weight_count(layer) >= self.min_weights]
            for layer in chosen:
                block = self.block or default_block(layer)
                cin = weight_shape(layer)[1]
                if cin % block:
                    raise FpgaOptError(
                        f"{what}: layer '{layer.layer_name}': block = {block} does not divide its {cin} input "  # type: ignore[attr-defined]
                        "channels per filter"
                    )
                set_placement(
                    layer,
                    "generated",
                    ratio=float(self.ratio),
                    block=block,
                    coef_bits=self.coef_bits,
                    coefficients=self.coefficients,
                )
            if self.coefficients == "dram":
                from fpga_opt.backend.target.boards import resolve_target
                from fpga_opt.passes.analysis.placement import share_dram

                board, _ = resolve_target(op, "", "", 0.0, what)
                share_dram(func, board)
