"""Each layer's OVSF ratio chosen under an accuracy budget measured on data (unzipFPGA's per-layer ratio).

unzipFPGA compresses each layer as hard as its accuracy allows.  Here the
accuracy is measured, not predicted: fpga-sim's functional model (bit-exact
with the hardware, generated weights included) runs the network on the
samples, and the metric is top-1 accuracy against the labels, or, without
labels, top-1 agreement with the uncompressed network.

The search is greedy and cumulative: layers with the most weights first
(they save the most memory or DRAM traffic), for each the smallest candidate
ratio whose network, with every ratio chosen so far, stays within `budget` of
the uncompressed metric, among the ratios whose compressed form is smaller
than the layer's weights (a 3x3 block at ratio 0.5 keeps 8 codes of 8 + 4
bits, 96 bits for 72 bits of weights: never chosen); a layer no ratio keeps
within the budget stays as it is.  The metric reads the network's last output
(an early-exit network's final exit).  Every accepted step is measured with all earlier choices in place, so
the final network is within the budget on these samples.  Cost: at most
layers x ratios runs of the functional model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.sim import run_functional
from fpga_opt.dialects.dataflow.weights import weight_count
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.placement import weight_layers


@dataclass(frozen=True)
class BudgetChoice:
    """The ratios chosen (layer name -> ratio; absent: not compressed) and the metric before and after."""

    ratios: dict[str, float]
    metric: str  # "accuracy" (against labels) or "agreement" (with the uncompressed network)
    baseline: float
    achieved: float
    samples: int
    trials: int


def top1(module: ModuleOp, weights: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Top-1 class of each sample: the argmax of the network's last output."""
    out = run_functional(module, weights, x)[-1]
    return np.asarray(out).reshape(len(x), -1).argmax(axis=1)


def choose_ratios(
    module: ModuleOp,
    weights: Mapping[str, np.ndarray],
    x: np.ndarray,
    labels: np.ndarray | None,
    candidates: Sequence[float],
    budget: float,
    layers: Sequence[str],
    compress: Callable[[ModuleOp, dict[str, float]], None],
    saves: Callable[[str, float], bool] = lambda name, ratio: True,
    progress: Callable[[str], None] = lambda text: None,
) -> BudgetChoice:
    """Per-layer ratios for `layers` of `module` (not modified) within `budget` of the metric on (x, labels).

    `compress(module, {layer: ratio})` compresses a copy's layers (the pass's own rewrite); `saves(layer,
    ratio)`: whether that ratio's compressed form is smaller than the weights (others are not tried)."""
    if labels is not None and len(labels) != len(x):
        raise FpgaOptError(f"{len(labels)} labels for {len(x)} samples")
    reference = top1(module, weights, x)
    truth = reference if labels is None else np.asarray(labels).reshape(-1)
    baseline = float(np.mean(reference == truth))
    func = next(op for op in module.body.block.ops if isinstance(op, FuncOp))
    sizes = {op.layer_name: weight_count(op) for op in weight_layers(func)}  # type: ignore[attr-defined]
    order = sorted(layers, key=lambda name: (-sizes[name], name))
    chosen: dict[str, float] = {}
    achieved, trials = baseline, 0
    for name in order:
        for ratio in [r for r in sorted(set(candidates)) if saves(name, r)]:
            trial = module.clone()
            compress(trial, {**chosen, name: ratio})
            trials += 1
            score = float(np.mean(top1(trial, weights, x) == truth))
            if score >= baseline - budget:
                chosen[name], achieved = ratio, score
                progress(f"{name}: ratio {ratio:g} ({score:.4f})")
                break
        else:
            progress(f"{name}: kept (no ratio within the budget)")
    return BudgetChoice(chosen, "agreement" if labels is None else "accuracy", baseline, achieved, len(x), trials)
