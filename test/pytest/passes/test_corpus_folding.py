"""Every corpus network on every built-in board: select-folding fits within max-util (or refuses with the
clear message), and fpga-sim measures the interval the model predicts (within 5%).

Needs the ONNX frontend (skipped without it) and, for the agreement test, fpga-sim (backend/sim).
The simulation uses unbounded FIFOs between ops: the fully decoupled design the analytical interval
describes (sizing the FIFOs of a real design is minimize-residual-buffers' job, not the model's).
"""

from functools import cache

import pytest
from folding_helpers import CORPUS, context, corpus_text, have, parse

from fpga_opt.backend.costs import CostContext, analyse_network
from fpga_opt.backend.target.boards import get_board, known_boards
from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.select_folding import SelectFoldingPass

pytestmark = pytest.mark.skipif(not have("fpga_opt.frontend.onnx_import"), reason="the ONNX frontend is not available")

MAX_UTIL = 0.85
CASES = [(model, board) for model in CORPUS for board in known_boards()]


@cache
def folded(model: str, board: str) -> tuple[str | None, str | None]:
    """(the folded IR, None) or (None, the refusal) for one corpus network on one board."""
    module = parse(corpus_text(model))
    try:
        SelectFoldingPass(board=board, max_util=MAX_UTIL).apply(context(), module)
    except FpgaOptError as error:
        return None, str(error)
    from folding_helpers import print_ir

    return print_ir(module), None


@pytest.mark.parametrize(("model", "board"), CASES)
def test_selected_design_fits_or_is_refused_clearly(model, board):
    text, refusal = folded(model, board)
    b = get_board(board)
    if refusal is not None:
        assert "\n" not in refusal
        assert refusal.startswith(f"select-folding: design does not fit {b.name} even at minimum folding: ")
        assert f"({MAX_UTIL:.0%} of " in refusal
        return
    net = analyse_network(parse(text), CostContext.for_board(b))
    for name in RESOURCE_NAMES:
        budget = int(MAX_UTIL * getattr(b, name) + 1e-9)
        assert getattr(net.resources, name) <= budget, f"{name}: {getattr(net.resources, name)} > {budget}"


@pytest.mark.skipif(not have("fpga_opt.backend.sim"), reason="fpga-sim (backend/sim) is not available")
@pytest.mark.parametrize(("model", "board"), CASES)
def test_simulated_interval_agrees_with_the_model(model, board):
    from fpga_opt.backend.sim import simulate

    text, refusal = folded(model, board)
    if refusal is not None:
        pytest.skip(refusal)
    module = parse(text)
    predicted = analyse_network(module, CostContext.for_board(get_board(board))).interval
    timing = simulate(module, frames=4, fifo_depth=None).timing
    assert timing.deadlock is None, timing.deadlock
    assert timing.cycles_per_frame == pytest.approx(predicted, rel=0.05)


@pytest.mark.parametrize("model", CORPUS)
@pytest.mark.parametrize("board", ["kv260", "pynqz2"])
def test_incremental_search_costs_equal_a_full_analysis(model, board):
    """The search shares cost caches between ops of the same shape and updates totals incrementally;
    what it believes it built must be what estimate-resources then measures."""
    from fpga_opt.passes.analysis.folding_search import FoldingProblem

    b = get_board(board)
    module = parse(corpus_text(model))
    problem = FoldingProblem(module, CostContext.for_board(b), b, MAX_UTIL)
    try:
        found = problem.greedy(problem.smallest_design("select-folding"))
    except FpgaOptError:
        pytest.skip("does not fit")
    problem.write(found)
    net = analyse_network(module, CostContext.for_board(b))
    assert tuple(net.resources.as_dict().values()) == found.total
    assert net.interval == problem.interval(found)
