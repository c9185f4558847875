"""`lutnet-expand`: turn XNOR layers into LUTNet layers that compute exactly the pruned XNOR network.

LUTNet (Wang et al., FCCM 2019) starts from a binarised network, prunes it,
and replaces each remaining XNOR by a K-input LUT that sees its own input and
K-1 others; training then learns the truth tables.  This pass builds that
starting point in the IR: for each `dataflow.xnor_linear`,

* keeps `round((1 - prune) * N)` of each output's N connections (a seeded
  random choice: the IR's weights are bits, with no magnitudes to rank; the
  trainer, examples/lutnet/train.py, prunes by the latent weights' magnitude),
* makes each kept connection `(i, w)` a K-LUT over inputs `[i, r_1..r_{K-1}]`
  (the `r` drawn at random among the other inputs, as LUTNet does) whose
  truth table is `XNOR(x_i, w)` whatever the others are,
* moves each threshold so the layer computes what the XNOR layer computes
  with the pruned weights set to 0: `2p' - M >= 2t - N`, i.e.
  `p' >= ceil(t - (N - M) / 2)`; a layer without thresholds emits the pruned
  dot product `2p' - M`.

With `prune=0` the LUT layer is bit-exact with the XNOR layer (a tested
property).  The new tables and indices go into the module's
`dataflow.inline_weights` (the XNOR weights are read from the sidecar, found
relative to `weights-dir`); `fpga-sim`, the HLS and Verilog backends read
them like any tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, DictionaryAttr, IntegerType, ModuleOp, TensorType
from xdsl.passes import ModulePass

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.weights import INLINE_WEIGHTS_ATTR, WeightStore


def xnor_tables(k: int, weights: np.ndarray) -> np.ndarray:
    """Truth tables of K-LUTs computing XNOR(input 0, w) for each weight bit w: `[..., 2^K]`."""
    first_input = np.arange(2**k) & 1
    return (first_input == weights[..., None]).astype(np.uint8)


def expand(
    weights: np.ndarray, thresholds: np.ndarray | None, k: int, prune: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(indices [C_out, M, K], tables [C_out, M, 2^K], thresholds) of the LUT layer equal to the pruned XNOR layer."""
    c_out, n = weights.shape
    keep = max(1, round((1 - prune) * n))
    indices = np.empty((c_out, keep, k), dtype=np.int64)
    tables = np.empty((c_out, keep, 2**k), dtype=np.uint8)
    for o in range(c_out):
        kept = np.sort(rng.choice(n, size=keep, replace=False))
        indices[o, :, 0] = kept
        for m, i in enumerate(kept):
            others = rng.choice(n - 1, size=k - 1, replace=False)
            indices[o, m, 1:] = others + (others >= i)  # skip input i itself
        tables[o] = xnor_tables(k, weights[o, kept])
    new_thresholds = None
    if thresholds is not None:
        shifted = np.array([math.ceil(t - (n - keep) / 2) for t in thresholds.tolist()], dtype=np.int64)
        new_thresholds = np.clip(shifted, 0, keep + 1)
    return indices, tables, new_thresholds


def _dense(array: np.ndarray, bits: int) -> DenseIntOrFPElementsAttr:
    return DenseIntOrFPElementsAttr.from_list(TensorType(IntegerType(bits), array.shape), array.reshape(-1).tolist())


@dataclass(frozen=True)
class LutnetExpandPass(ModulePass):
    """Replace XNOR layers by LUTNet layers initialised to compute exactly the pruned XNOR network.

    See the module docstring for the construction; docs/lutnet.md for the flow.
    """

    name = "lutnet-expand"

    k: int = 4
    """Inputs of each LUT operator (1-6)."""

    prune: float = 0.0
    """Fraction of each output's connections to remove before expanding (0 keeps all: bit-exact)."""

    seed: int = 0
    """Seed of the random choices (kept connections, the LUTs' other inputs)."""

    layers: str = ""
    """Names of the layers to expand, separated by ':' (empty: every dataflow.xnor_linear)."""

    weights_dir: str = "."
    """Folder the module's dataflow.weights path is relative to (the IR file's folder)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not 1 <= self.k <= df.binary.MAX_LUT_INPUTS:
            raise FpgaOptError(f"{self.name}: k must be in [1, {df.binary.MAX_LUT_INPUTS}], got {self.k}")
        if not 0 <= self.prune < 1:
            raise FpgaOptError(f"{self.name}: prune must be in [0, 1), got {self.prune}")
        wanted = {name for name in self.layers.split(":") if name}
        targets = [o for o in op.walk() if isinstance(o, df.XnorLinearOp) and (not wanted or o.layer_name in wanted)]
        missing = wanted - {o.layer_name for o in targets}
        if missing:
            raise FpgaOptError(f"{self.name}: no dataflow.xnor_linear layer named {', '.join(sorted(missing))}")
        if not targets:
            return
        store = WeightStore.for_module(op, self.weights_dir)
        rng = np.random.default_rng(self.seed)
        inline = dict(op.attributes[INLINE_WEIGHTS_ATTR].data) if INLINE_WEIGHTS_ATTR in op.attributes else {}
        for xnor in targets:
            if self.k > xnor.fan_in:
                raise FpgaOptError(f"{self.name}: k = {self.k} exceeds the {xnor.fan_in} inputs of '{xnor.layer_name}'")
            tensors = df.load_binary_tensors(xnor, store)
            indices, tables, thresholds = expand(tensors.weights, tensors.thresholds, self.k, self.prune, rng)
            base = f"{xnor.layer_name}.lut"
            inline[f"{base}.idx"] = _dense(indices, 32)
            inline[f"{base}.tab"] = _dense(tables, 8)
            if thresholds is not None:
                inline[f"{base}.t"] = _dense(thresholds, 32)
            out = xnor.output.type
            assert isinstance(out, df.StreamType)
            lut = df.LutLinearOp(
                xnor.input,
                out,
                k=self.k,
                luts=indices.shape[1],
                indices=f"{base}.idx",
                tables=f"{base}.tab",
                thresholds=f"{base}.t" if thresholds is not None else None,
                layer=xnor.layer_name,
            )
            block = xnor.parent_block()
            assert block is not None
            block.insert_op_before(lut, xnor)
            xnor.output.replace_all_uses_with(lut.output)
            xnor.detach()
            xnor.erase()
        op.attributes[INLINE_WEIGHTS_ATTR] = DictionaryAttr(inline)
