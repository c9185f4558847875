"""The dialects of fpga-opt: `dataflow` (streaming CNN layers) and `vhls` (the Vitis HLS program).

The HLS dialect's IR name is `vhls`, not `hls`: xDSL ships an experimental
dialect called `hls` (loop pragmas for its own HLS flow), and xDSL's
multiverse refuses two dialects of one name, so plain `xdsl-opt` (which sees
ours through the `xdsl.universe` entry point) could not read our IR under that
name.  The Python module stays `dialects/hls.py` (a module name collides with
nothing).  `SHADOWS_XDSL` lists any of our names that a later xDSL takes, which
`universe_dialects()` then leaves out (none today; a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.context import Context
from xdsl.ir import Dialect

#: Our dialects whose names xDSL's own universe also uses (offered to plain xdsl-opt only if not).
SHADOWS_XDSL: tuple[str, ...] = ()


def _dataflow() -> Dialect:
    from fpga_opt.dialects.dataflow import Dataflow

    return Dataflow


def _hls() -> Dialect:
    from fpga_opt.dialects.hls import Hls

    return Hls


def all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Dialect name to a lazy factory, as xDSL's Context expects."""
    return {"dataflow": _dataflow, "vhls": _hls}


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
