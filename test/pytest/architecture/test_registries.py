"""Every op of the `dataflow` dialect has an entry in every per-op registry, or a stated exemption.

Adding an op means: its class (dialects/dataflow/<family>.py) and one module
per concern (docs/how_to_add_an_op.md).  This test is what makes a forgotten
concern fail loudly instead of being mishandled at run time.
"""

from __future__ import annotations

import pytest

from fpga_opt.backend.costs import COST_MODELS
from fpga_opt.backend.sim.kernels import KERNELS
from fpga_opt.backend.sim.processes import PROCESSES
from fpga_opt.backend.verilog import VERILOG_EMITTERS
from fpga_opt.dialects.dataflow import Dataflow
from fpga_opt.dialects.registry import OpRegistry
from fpga_opt.frontend.handlers import IMPORTED
from fpga_opt.passes.lower_dataflow_to_hls.lowering import LOWERINGS

REGISTRIES: list[OpRegistry] = [IMPORTED, COST_MODELS, KERNELS, PROCESSES, LOWERINGS, VERILOG_EMITTERS]
OPS = list(Dataflow.operations)


def test_the_dialect_has_ops():
    assert len(OPS) >= 14


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.concern)
def test_every_op_has_an_entry_or_a_reason(registry: OpRegistry):
    assert not registry.missing(OPS), (
        f"ops with no {registry.concern} (add one in {registry.home}/, or exempt the op with a reason): "
        + ", ".join(registry.missing(OPS))
    )
    for op_type, reason in registry.exemptions.items():
        assert reason.strip(), f"{op_type.name}: an exemption from the {registry.concern} needs a reason"


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.concern)
def test_removing_an_entry_is_caught(registry: OpRegistry):
    """The check above is not vacuous: take one op's entry away and it reports that op."""
    op_type = next(t for t in OPS if t in registry.entries)
    entry = registry.entries.pop(op_type)
    try:
        assert op_type.name in registry.missing(OPS)
    finally:
        registry.entries[op_type] = entry
