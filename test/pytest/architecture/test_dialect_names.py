"""Our dialects' names collide with none of xDSL's, so plain `xdsl-opt` reads every IR fpga-opt writes."""

from xdsl.dialects import get_all_dialects

from fpga_opt.dialects import SHADOWS_XDSL, all_dialects, universe_dialects


def test_no_dialect_name_is_taken_by_xdsl():
    taken = set(all_dialects()) & set(get_all_dialects())
    assert taken == set(SHADOWS_XDSL) == set(), (
        f"xDSL defines {sorted(taken)} too: rename ours (see dialects/__init__.py)"
    )


def test_plain_xdsl_opt_is_offered_every_dialect():
    assert set(universe_dialects()) == set(all_dialects()) == {"dataflow", "vhls"}
