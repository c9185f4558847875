"""size-fifos on every corpus network: the sized design runs at the model's interval in fpga-sim.

For every corpus network (examples/models/*.onnx, imported by the ONNX frontend):

* at the imported (default) folding, after minimize-residual-buffers (which residual networks need to
  run at all) and size-fifos;
* at select-folding's folding for every built-in board, through the default pipeline
  (select-folding, merge-loops, minimize-residual-buffers, size-fifos{refold=true});

fpga-sim (default 2-word streams everywhere the pass put no depth, inputs ready at once) must not
deadlock and must give cycles per frame within 5% of the analytical interval (the cost models), and the
design must fit the board within max-util (or be refused with one clear line).

Speed: the sizing does not depend on the board, so it runs once per distinct folded design (many
boards give the same folding) and only the budget check and, where the FIFOs do not fit, the refold
are per board.  Imports and searches are cached for the module (select-folding's search is shared
with test_corpus_folding.py when both run in one session).
"""

from __future__ import annotations

from functools import cache

import pytest
from folding_helpers import CORPUS, context, corpus_text, have, parse, print_ir

from fpga_opt.backend.costs import CostContext, analyse_network
from fpga_opt.backend.target.boards import get_board, known_boards
from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.errors import FpgaOptError

pytestmark = [
    pytest.mark.skipif(not have("fpga_opt.frontend.onnx_import"), reason="the ONNX frontend is not available"),
    pytest.mark.skipif(not have("fpga_opt.backend.sim"), reason="fpga-sim (backend/sim) is not available"),
]

MAX_UTIL = 0.85
FRAMES = 4
TOLERANCE = 0.05
BOARD_ATTRS = ("dataflow.board", "dataflow.board_file", "dataflow.clock_mhz")


def _apply(text: str, *passes) -> str:
    module = parse(text)
    for p in passes:
        p.apply(context(), module)
    module.verify()
    return print_ir(module)


def _without_target(text: str) -> tuple[str, dict]:
    """The IR without the board attributes (so designs equal across boards share one sizing)."""
    module = parse(text)
    kept = {k: module.attributes.pop(k) for k in BOARD_ATTRS if k in module.attributes}
    return print_ir(module), kept


@cache
def _sized(text: str) -> str:
    """size-fifos on `text` with no board (no budget check): the result only depends on the IR."""
    from fpga_opt.passes.size_fifos import SizeFifosPass

    return _apply(text, SizeFifosPass(frames=FRAMES))


@cache
def _selected(model: str, board: str) -> tuple[str | None, str | None]:
    """select-folding's IR for (model, board), or its refusal."""
    from test_corpus_folding import MAX_UTIL as THEIRS  # shares the search with those tests
    from test_corpus_folding import folded

    if THEIRS == MAX_UTIL:
        return folded(model, board)
    from fpga_opt.passes.select_folding import SelectFoldingPass

    try:
        return _apply(corpus_text(model), SelectFoldingPass(board=board, max_util=MAX_UTIL)), None
    except FpgaOptError as error:
        return None, str(error)


@cache
def _pipeline(model: str, board: str) -> tuple[str | None, str | None]:
    """The default pipeline's design for (model, board), or the one-line refusal."""
    from fpga_opt.passes.merge_loops import MergeLoopsPass
    from fpga_opt.passes.minimize_residual_buffers import MinimizeResidualBuffersPass
    from fpga_opt.passes.size_fifos import SizeFifosPass

    text, refusal = _selected(model, board)
    if refusal is not None:
        return None, refusal
    assert text is not None
    text = _apply(text, MergeLoopsPass(), MinimizeResidualBuffersPass())
    plain, target = _without_target(text)
    sized = parse(_sized(plain))
    sized.attributes.update(target)
    if _fits(sized, board):
        return print_ir(sized), None
    try:  # the FIFOs push it over budget: what the pipeline does then
        return _apply(text, SizeFifosPass(frames=FRAMES, refold=True, max_util=MAX_UTIL)), None
    except FpgaOptError as error:
        return None, str(error)


def _fits(module, board: str) -> bool:
    b = get_board(board)
    net = analyse_network(module, CostContext.for_board(b))
    return all(getattr(net.resources, n) <= int(MAX_UTIL * getattr(b, n) + 1e-9) for n in RESOURCE_NAMES)


def _check_runs_at_the_interval(text: str) -> None:
    from fpga_opt.backend.sim import elaborate, simulate_timing

    module = parse(text)
    predicted = analyse_network(module).interval
    timing = simulate_timing(elaborate(module), frames=FRAMES)
    assert timing.deadlock is None, timing.deadlock.message()
    assert timing.cycles_per_frame == pytest.approx(predicted, rel=TOLERANCE), (
        f"simulated {timing.cycles_per_frame:.0f} cycles per frame, model {predicted}"
    )


@pytest.mark.parametrize("model", CORPUS)
def test_default_folding_sized_runs_at_the_model_interval(model):
    from fpga_opt.passes.minimize_residual_buffers import MinimizeResidualBuffersPass

    text = _apply(corpus_text(model), MinimizeResidualBuffersPass())
    _check_runs_at_the_interval(_sized(text))


@pytest.mark.parametrize("board", known_boards())
@pytest.mark.parametrize("model", CORPUS)
def test_selected_folding_sized_fits_and_runs_at_the_model_interval(model, board):
    text, refusal = _pipeline(model, board)
    if refusal is not None:
        assert "\n" not in refusal
        assert refusal.startswith(("select-folding: design does not fit", "size-fifos: ")), refusal
        assert f"({MAX_UTIL:.0%} of " in refusal
        return
    assert text is not None
    assert _fits(parse(text), board)
    _check_runs_at_the_interval(text)


def test_sizing_is_deterministic():
    """Two runs on the same design write the same IR."""
    from fpga_opt.passes.size_fifos import SizeFifosPass

    text, _ = _selected("resnet8_int8", "kv260")
    assert text is not None
    plain, _ = _without_target(text)
    assert _apply(plain, SizeFifosPass(frames=FRAMES)) == _apply(plain, SizeFifosPass(frames=FRAMES))


def test_without_sizing_the_default_streams_are_slower():
    """The gap size-fifos closes: ResNet-8 int8 (KV260) with 2-word streams runs well below the model."""
    from fpga_opt.backend.sim import elaborate, simulate_timing
    from fpga_opt.passes.merge_loops import MergeLoopsPass
    from fpga_opt.passes.minimize_residual_buffers import MinimizeResidualBuffersPass

    text, _ = _selected("resnet8_int8", "kv260")
    assert text is not None
    module = parse(_apply(text, MergeLoopsPass(), MinimizeResidualBuffersPass()))
    timing = simulate_timing(elaborate(module), frames=FRAMES)
    assert timing.cycles_per_frame > 1.2 * analyse_network(module).interval
