"""One registry per concern: how an op's cost model, simulator kernel, HLS lowering... are found.

Every concern that handles ops one by one (cost models, fpga-sim's semantics
and timing processes, the HLS lowering, the frontend, later Verilog) keeps an
`OpRegistry`, filled by decorators in one module per op family:

    COST_MODELS = OpRegistry("cost model", "backend/costs")

    @COST_MODELS.register(ConvOp)
    def conv_cost(op, ctx): ...

`lookup(op)` finds the entry of the op's class or its nearest base class.  An
op that deliberately has no entry says why with `exempt(OpClass, reason)`, and
`missing(ops)` lists the ops with neither: the test in
test/pytest/architecture/test_registries.py fails on any, so a new op cannot
be forgotten in a concern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from xdsl.ir import Operation

from fpga_opt.dialects.errors import FpgaOptError

Entry = TypeVar("Entry")


class OpRegistry(Generic[Entry]):
    """Op class -> this concern's entry for it (a function, usually), plus the stated exemptions."""

    def __init__(self, concern: str, home: str):
        self.concern = concern
        """What the entries are ("cost model", "HLS lowering", ...), for messages."""
        self.home = home
        """The folder that holds the entries, one module per op family (for messages)."""
        self.entries: dict[type[Operation], Entry] = {}
        self.exemptions: dict[type[Operation], str] = {}

    def register(self, *op_types: type[Operation]) -> Callable[[Entry], Entry]:
        """Decorator: `@REGISTRY.register(ConvOp, PoolOp)` makes the function the entry of those ops."""

        def attach(entry: Entry) -> Entry:
            for op_type in op_types:
                if op_type in self.entries:
                    raise ValueError(f"{op_type.__name__} already has a {self.concern}")
                self.entries[op_type] = entry
            return entry

        return attach

    def exempt(self, op_type: type[Operation], reason: str) -> None:
        """Record that `op_type` deliberately has no entry here, and why."""
        self.exemptions[op_type] = reason

    def lookup(self, op: Operation) -> Entry | None:
        """The entry of `op`'s class or of its nearest base class that has one (None if none)."""
        for cls in type(op).__mro__:
            entry = self.entries.get(cls)  # type: ignore[arg-type]
            if entry is not None:
                return entry
        return None

    def get(self, op: Operation) -> Entry:
        """The entry of `op`; an op without one is a one-line error naming it and the concern."""
        entry = self.lookup(op)
        if entry is None:
            layer = op.properties.get("layer")
            name = f' "{layer.data}"' if layer is not None and hasattr(layer, "data") else ""
            reason = self.exemptions.get(type(op))
            why = f": {reason}" if reason else f"; add one in {self.home}/"
            raise FpgaOptError(f"'{op.name}' op{name}: no {self.concern}{why}")
        return entry

    def covers(self, op_type: type[Operation]) -> bool:
        """Whether `op_type` has an entry (its own or a base class's) or a stated exemption."""
        if op_type in self.exemptions:
            return True
        return any(cls in self.entries for cls in op_type.__mro__)

    def missing(self, op_types: Iterable[type[Operation]]) -> list[str]:
        """Names of the ops in `op_types` with neither an entry nor an exemption."""
        return sorted(t.name for t in op_types if not self.covers(t))  # type: ignore[attr-defined]
