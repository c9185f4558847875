"""The IR form of a partitioned design: one `func.func` per partition, in run order (the `partition` pass).

Each partition function carries `dataflow.partition = {index, count, batch,
reconfig_cycles, interval, latency}`; the module carries `dataflow.schedule`
(passes/analysis/partitions.py has the model, docs/passes/offchip.md section 7).
Here: the names and accessors every layer reads (fpga-sim, the HLS emitter).
"""

from __future__ import annotations

from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp
from xdsl.dialects.func import FuncOp

PARTITION_ATTR = "dataflow.partition"
SCHEDULE_ATTR = "dataflow.schedule"


def partition_funcs(module: ModuleOp) -> list[FuncOp]:
    """The partitions of a partitioned module in run order (empty: not partitioned)."""
    funcs = [f for f in module.body.block.ops if isinstance(f, FuncOp) and PARTITION_ATTR in f.attributes]
    return sorted(funcs, key=lambda f: partition_info(f)["index"])


def partition_info(func: FuncOp) -> dict[str, int]:
    """The integer fields of a partition function's `dataflow.partition`."""
    attr = func.attributes[PARTITION_ATTR]
    assert isinstance(attr, DictionaryAttr)
    return {k: v.value.data for k, v in attr.data.items() if isinstance(v, IntegerAttr)}
