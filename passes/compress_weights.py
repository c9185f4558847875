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
(benchmarks/offchip.py does, per ratio).  With `data=samples.npz` the pass
measures it itself and chooses each layer's ratio among `ratios` under an
accuracy `budget` (passes/analysis/ovsf_budget.py): top-1 accuracy against the
labels (`labels-key`), or agreement with the uncompressed network when the
file has none; the module records `dataflow.ovsf_budget`.
docs/passes/offchip.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.placement import set_placement, weight_layers
from fpga_opt.passes.analysis.placement_search import default_block

BUDGET_ATTR = "dataflow.ovsf_budget"
"""On the module, from compress-weights with data: the metric, the budget, its value before and after."""


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

    data: str = ""
    """Samples (.npz) to choose each layer's ratio on, under `budget`; empty: `ratio` for every layer."""

    budget: int | float = 0.01
    """With data: the largest drop of top-1 accuracy (or agreement) allowed, as a fraction in [0, 1]."""

    ratios: str = "0.125,0.25,0.5,0.75,1"
    """With data: the candidate ratios, comma-separated."""

    inputs_key: str = "x"
    """With data: the array of samples (NCHW float, or the network's integer input layout)."""

    labels_key: str = "y"
    """With data: the array of labels; a file without it measures agreement with the uncompressed network."""

    weights_dir: str = "."
    """With data: the folder the module's weights sidecar is relative to (the IR file's folder)."""

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
        wanted = [n.strip() for n in self.layers.split(",") if n.strip()]
        budgeted = self._budget_choice(op, wanted) if self.data else None
        for func in [f for f in op.body.block.ops if isinstance(f, FuncOp) and not f.is_declaration]:
            chosen = self._chosen_layers(func, wanted)
            if budgeted is not None:
                chosen = {name: budgeted.ratios[name] for name in chosen if name in budgeted.ratios}
            self._compress(op, func, chosen)
        if budgeted is not None:
            op.attributes[BUDGET_ATTR] = DictionaryAttr(
                {
                    "metric": StringAttr(budgeted.metric),
                    "budget": FloatAttr(float(self.budget), f64),
                    "baseline": FloatAttr(round(budgeted.baseline, 6), f64),
                    "achieved": FloatAttr(round(budgeted.achieved, 6), f64),
                    "samples": IntegerAttr(budgeted.samples, i64),
                    "trials": IntegerAttr(budgeted.trials, i64),
                }
            )

    def _chosen_layers(self, func: FuncOp, wanted: list[str]) -> dict[str, float]:
        """The layers to compress (name -> `ratio`): `layers`, or every one with `min-weights` weights."""
        from fpga_opt.dialects.dataflow.weights import weight_count

        by_name = {layer.layer_name: layer for layer in weight_layers(func)}  # type: ignore[attr-defined]
        if wanted:
            unknown = [n for n in wanted if n not in by_name]
            if unknown:
                raise FpgaOptError(
                    f"{self.name}: no conv or linear layer named '{unknown[0]}' in @{func.sym_name.data}"
                )
            return {n: float(self.ratio) for n in wanted}
        return {n: float(self.ratio) for n, layer in by_name.items() if weight_count(layer) >= self.min_weights}

    def _compress(self, op: ModuleOp, func: FuncOp, ratios: dict[str, float]) -> None:
        """Put a generator before each named layer, at its ratio."""
        from fpga_opt.dialects.dataflow.weights import weight_shape

        by_name = {layer.layer_name: layer for layer in weight_layers(func)}  # type: ignore[attr-defined]
        for name, ratio in ratios.items():
            layer = by_name[name]
            block = self.block or default_block(layer)
            cin = weight_shape(layer)[1]
            if cin % block:
                raise FpgaOptError(
                    f"{self.name}: layer '{name}': block = {block} does not divide its {cin} input channels per filter"
                )
            set_placement(
                layer, "generated", ratio=ratio, block=block, coef_bits=self.coef_bits, coefficients=self.coefficients
            )
        if self.coefficients == "dram" and ratios:
            from fpga_opt.backend.target.boards import resolve_target
            from fpga_opt.passes.analysis.placement import share_dram

            board, _ = resolve_target(op, "", "", 0.0, self.name)
            share_dram(func, board)

    def _compressed_bits(self, layer, ratio: float) -> int:
        """Bits of a layer's OVSF form: per block row, K coefficients and K code indices."""
        from fpga_opt.dialects import ovsf
        from fpga_opt.dialects.dataflow.weights import weight_shape

        shape = weight_shape(layer)
        positions = shape[2] * shape[3] if len(shape) == 4 else 1
        block = self.block or default_block(layer)
        length = ovsf.padded_length(block * positions)
        rows = shape[0] * shape[1] // block
        return rows * ovsf.kept_codes(ratio, block * positions) * (self.coef_bits + length.bit_length() - 1)

    @staticmethod
    def _weight_bits(layer) -> int:
        from fpga_opt.dialects.dataflow import element_bitwidth
        from fpga_opt.dialects.dataflow.weights import weight_count

        return weight_count(layer) * element_bitwidth(layer.weight_type)

    def _budget_choice(self, op: ModuleOp, wanted: list[str]):
        """Each layer's ratio under `budget`, measured on `data` with fpga-sim's functional model."""
        import numpy as np

        from fpga_opt.dialects.files import load_arrays
        from fpga_opt.dialects.progress import progress, step_reporter
        from fpga_opt.dialects.weights import WeightStore
        from fpga_opt.passes.analysis.ovsf_budget import choose_ratios

        what = self.name
        if not 0 <= self.budget <= 1:
            raise FpgaOptError(f"{what}: budget must be in [0, 1], got {self.budget}")
        try:
            candidates = [float(r) for r in self.ratios.split(",") if r.strip()]
        except ValueError:
            raise FpgaOptError(f"{what}: ratios must be comma-separated numbers, got '{self.ratios}'") from None
        if not candidates or not all(0 < r <= 1 for r in candidates):
            raise FpgaOptError(f"{what}: ratios must be in (0, 1], got '{self.ratios}'")
        arrays = load_arrays(self.data, "data")
        if not isinstance(arrays, dict) or self.inputs_key not in arrays:
            raise FpgaOptError(f"{self.data}: data needs an .npz with the samples under '{self.inputs_key}'")
        x = np.asarray(arrays[self.inputs_key])
        labels = arrays.get(self.labels_key)
        funcs = [f for f in op.body.block.ops if isinstance(f, FuncOp) and not f.is_declaration]
        if len(funcs) != 1:
            raise FpgaOptError(f"{what}: data needs one network function, found {len(funcs)}")
        layers = list(self._chosen_layers(funcs[0], wanted))
        weights = WeightStore.for_module(op, self.weights_dir)

        def compress(module: ModuleOp, ratios: dict[str, float]) -> None:
            func = next(f for f in module.body.block.ops if isinstance(f, FuncOp))
            self._compress(module, func, ratios)

        by_name = {layer.layer_name: layer for layer in weight_layers(funcs[0])}  # type: ignore[attr-defined]

        def saves(name: str, ratio: float) -> bool:
            return self._compressed_bits(by_name[name], ratio) < self._weight_bits(by_name[name])

        try:
            with progress(f"{what}: ratios under the budget", unit=" layers") as bar:  # a terminal, after 2 s
                return choose_ratios(
                    op, weights, x, labels, candidates, float(self.budget), layers, compress, saves, step_reporter(bar)
                )
        except FpgaOptError as error:
            raise FpgaOptError(f"{what}: {self.data}: {error}") from None
