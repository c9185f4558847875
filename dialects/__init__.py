"""The dialects of fpga-opt: `dataflow` (streaming CNN layers) and `hls` (kernel instances)."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect


def _dataflow() -> Dialect:
    from fpga_opt.dialects.dataflow import Dataflow

    return Dataflow


def all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Dialect name to a lazy factory, as xDSL's Context expects."""
    return {"dataflow": _dataflow}
