"""Which cost model an op has, and the context it is asked in.

`COST_MODELS` maps each `dataflow` op class to a function `(op, ctx) ->
LayerCost`, registered by the op family's module (`conv.py`, `pool.py`,
...); subclasses inherit their base's model.  Everyone asks through
`op_cost` / `op_rate`: `select-folding` searches with them, `estimate-resources`
and `fpga-report` print them, and `fpga-sim` runs at their rates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xdsl.ir import Operation

from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.target.boards import DSP48E2, Board
from fpga_opt.dialects.dataflow import DataflowOp
from fpga_opt.dialects.registry import OpRegistry


@dataclass
class CostContext:
    """What the models need besides the op: the board's DSP slice, int8 packing, URAM, and its
    LUTs per RAMB18 (`lut_per_bram18`, the rate at which a table trades block RAM for LUTs).

    `overrides` maps an op to a folding (`{"coarse_in": 4, ...}`) to cost
    instead of the factors written on the op; missing factors keep the op's
    own.  The search sets it, costs, and never touches the IR until the end.
    """

    dsp_type: str = DSP48E2
    packing: bool = True
    allow_uram: bool = False
    lut_per_bram18: float = 0.0
    overrides: dict[Operation, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def for_board(cls, board: Board) -> CostContext:
        """DSP48E2 boards pack two int8 multiplies per DSP; URAM is used where the board has it."""
        return cls(
            dsp_type=board.dsp_type,
            packing=board.int8_packing,
            allow_uram=board.uram > 0,
            lut_per_bram18=board.lut / board.bram18 if board.bram18 else 0.0,
        )

    #: When a dict, models may keep what does not depend on the folding here, per op
    #: (`static_facts`); only a caller that changes nothing but `overrides` while it asks
    #: (the folding search) turns it on.
    static: dict | None = None

    def folding(self, op: Operation) -> Mapping[str, int]:
        """The op's folding factors, with this context's override applied."""
        if not isinstance(op, DataflowOp):
            return {}
        return op.factors(self.overrides.get(op))

    def static_facts(self, key: Any, compute: Callable[[Any], Any]) -> Any:
        """`compute(key)` (an op or a stream), remembered per key when `static` is on: facts that
        no folding changes (shapes, bit widths, which op drives a stream)."""
        if self.static is None:
            return compute(key)
        facts = self.static.get(key)
        if facts is None:
            facts = self.static[key] = compute(key)
        return facts


#: Rates and depths do not depend on the board; this context stands for "any board".
REFERENCE_CONTEXT = CostContext()

CostFn = Callable[[Operation, CostContext], LayerCost]
COST_MODELS: OpRegistry[CostFn] = OpRegistry("cost model", "backend/costs")

#: `@register_cost_model(MyOp)` attaches a cost model to an op class from outside this package.
register_cost_model = COST_MODELS.register


def has_cost_model(op: Operation) -> bool:
    """Whether `op`'s class (or a base class) has a cost model: fpga-sim falls back to its own rate without."""
    return COST_MODELS.lookup(op) is not None


def op_cost(op: Operation, ctx: CostContext = REFERENCE_CONTEXT) -> LayerCost:
    """Cycles per frame, pipeline depth and resources of one op under `ctx`."""
    return COST_MODELS.get(op)(op, ctx)


def op_rate(op: Operation) -> tuple[int, int]:
    """(cycles per frame, pipeline depth) of `op` with the factors written on it.

    Independent of the board: DSP type, packing and URAM change resources
    only.  This is the rate model `fpga-sim` shares with the cost model.
    """
    cost = op_cost(op, REFERENCE_CONTEXT)
    return cost.cycles, cost.pipeline_depth


def layer_name(op: Operation) -> str:
    """The op's `layer` name, or its op name without the dialect."""
    if isinstance(op, DataflowOp):
        return op.layer_name
    return op.name
