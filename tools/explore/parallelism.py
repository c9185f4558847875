"""Per-layer parallelism genes: which layers get one, and the speed-ups each may choose.

HALF chooses every layer's parallelism together with its precision; select-folding alone
sizes every layer for one throughput.  A parallelism gene pins one layer's folding (its
`layer-parallelism` value in select-folding: the cheapest folding at least k times as fast as
the layer's smallest) or leaves it to the search (0), which then sizes the other layers around
the pinned ones.  The genes go to the layers with weights (Conv, Gemm/MatMul: where the
multipliers are); pools and other channel-wise ops stay with the search.  The choices are 0
and the powers of two up to the first that reaches the layer's fastest folding, so no two
choices of a layer build the same hardware only because they exceed what it can do.

The layers and their order are select-folding's (program order of the ops with folding
factors), found once on the reference design's model (the float model re-quantised to 8 bits:
re-quantising may drop a float-only op such as a final Softmax); the bit widths change element
types, not ops, so the order holds for every candidate (a mismatch would be select-folding's
one-line count error, an infeasible candidate).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Op kinds that get a gene: where a layer's multipliers (its DSPs) are.
WEIGHT_OPS = ("dataflow.conv", "dataflow.linear")


@dataclass(frozen=True)
class FoldedLayer:
    name: str
    """select-folding's layer name (program order position is the index in the list)."""
    gene: bool
    """True for a layer with weights (it gets a parallelism gene)."""
    max_speedup: int
    """Its fastest folding's speed-up over its smallest (cycles ratio, rounded up)."""

    def choices(self) -> tuple[int, ...]:
        """0 (the search chooses), then 1, 2, 4, ... up to the first power of two reaching max_speedup."""
        out = [0, 1]
        while out[-1] < self.max_speedup:
            out.append(out[-1] * 2)
        return tuple(out)


def folded_layers(model_path: str, board: str) -> list[FoldedLayer]:
    """The layers with folding factors in select-folding's order, for the model as imported."""
    from fpga_opt.backend.costs import CostContext
    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.dialects import make_context
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes.analysis.folding_search import FoldingProblem
    from fpga_opt.tools.fpga_compile import _apply

    module = import_onnx(model_path).module
    _apply(make_context(), module, "dataflow-canonicalize")
    target = resolve_board(board)
    problem = FoldingProblem(module, CostContext.for_board(target), target, 1.0)
    out = []
    for i, choice in enumerate(problem.choices):
        cycles, _ = problem.table(i)
        slowest = int(cycles[problem.minimum_pick(choice)])
        fastest = int(cycles.min())
        out.append(FoldedLayer(choice.name, choice.op.name in WEIGHT_OPS, max(1, -(-slowest // max(fastest, 1)))))
    return out
