"""The dialects of fpga-opt: `dataflow` (streaming CNN layers) and `hls` (kernel instances).

xDSL ships an experimental dialect that is also called `hls` (loop pragmas for
its own HLS flow).  Ours replaces it in fpga-opt's own tools, which register
`all_dialects()` over xDSL's; the `xdsl.universe` entry point (seen by plain
`xdsl-opt`) offers only `universe_dialects()`, the names xDSL does not define,
because the multiverse refuses duplicate names.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect

#: Our dialects whose names xDSL's own universe already uses.
SHADOWS_XDSL = ("hls",)


def _dataflow() -> Dialect:
    from fpga_opt.dialects.dataflow import Dataflow

    return Dataflow


def _hls() -> Dialect:
    from fpga_opt.dialects.hls import Hls

    return Hls


def all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Dialect name to a lazy factory, as xDSL's Context expects."""
    return {"dataflow": _dataflow, "hls": _hls}


def universe_dialects() -> dict[str, Callable[[], Dialect]]:
    """The dialects offered to xDSL's multiverse: those whose names xDSL does not define."""
    return {name: factory for name, factory in all_dialects().items() if name not in SHADOWS_XDSL}
