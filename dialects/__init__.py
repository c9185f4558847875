"""The dialects of fpga-opt: `dataflow` (streaming CNN layers) and `hls` (kernel instances).

xDSL ships an experimental dialect that is also called `hls` (loop pragmas for
its own HLS flow).  Ours replaces it in fpga-opt's own tools, which register
`all_dialects()` over xDSL's; the `xdsl.universe` entry point (seen by plain
`xdsl-opt`) offers only `universe_dialects()`, the names xDSL does not define,
because the multiverse refuses duplicate names.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.context import Context
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


def make_context() -> Context:
    """A context that parses fpga-opt IR: builtin, func and our dialects (loaded lazily)."""
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func

    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    for name, factory in all_dialects().items():
        ctx.register_dialect(name, factory)
    return ctx


def universe_dialects() -> dict[str, Callable[[], Dialect]]:
    """The dialects offered to xDSL's multiverse: those whose names xDSL does not define."""
    return {name: factory for name, factory in all_dialects().items() if name not in SHADOWS_XDSL}
