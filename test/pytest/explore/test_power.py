"""The power model (backend/costs/power.py): static + dynamic per resource and clock, energy = P / fps."""

from __future__ import annotations

import math

import pytest

from fpga_opt.backend.costs import power
from fpga_opt.backend.costs.power import PROCESSES, PowerModel, estimate_power
from fpga_opt.backend.target.boards import get_board, known_boards
from fpga_opt.backend.target.resources import Resources

DESIGN = Resources(dsp=100, bram18=40, uram=2, lut=20_000, ff=30_000)


def test_every_builtin_board_has_a_process():
    for name in known_boards():
        assert get_board(name).family in PROCESSES


def test_static_power_is_the_whole_device_leaking_and_does_not_depend_on_the_design():
    kv260 = get_board("kv260")
    empty = estimate_power(Resources(), kv260)
    assert empty.dynamic_total_w == 0
    assert empty.static_w == pytest.approx(power.LEAK_PER_LUT_SITE_W * 117_120)
    assert estimate_power(DESIGN, kv260).static_w == empty.static_w


def test_dynamic_power_is_linear_in_clock_and_in_each_resource():
    board = get_board("zcu102")
    at_100 = estimate_power(DESIGN, board, 100).dynamic_total_w
    at_200 = estimate_power(DESIGN, board, 200).dynamic_total_w
    assert at_200 == pytest.approx(2 * at_100)
    for name in ("dsp", "bram18", "uram", "lut", "ff"):
        one = estimate_power(Resources(**{name: 1}), board, 100).dynamic_w[name]
        many = estimate_power(Resources(**{name: 37}), board, 100).dynamic_w[name]
        assert one > 0 and many == pytest.approx(37 * one)


def test_dynamic_power_from_the_cited_capacitances():
    """One LUT at 16 nm, 0.85 V, 12.5% toggle, 100 MHz: 0.97 pF x 16/180 x 0.125 x 0.85^2 x 1e8."""
    lut = estimate_power(Resources(lut=1), get_board("kv260"), 100).dynamic_w["lut"]
    assert lut == pytest.approx(0.97e-12 * 16 / 180 * 0.125 * 0.85**2 * 100e6)
    # One RAMB18 at 28 nm, 1.0 V: 65 pF x 28/65 (DS512's Virtex-5 figure scaled) x 0.125 x 1e8.
    bram = estimate_power(Resources(bram18=1), get_board("pynqz2"), 100).dynamic_w["bram18"]
    assert bram == pytest.approx(65e-12 * 28 / 65 * 0.125 * 100e6)


def test_older_nodes_burn_more_per_resource():
    per_node = {b: estimate_power(DESIGN, get_board(b), 100).dynamic_total_w for b in ("kv260", "pynqz2")}
    assert per_node["pynqz2"] > per_node["kv260"]  # 28 nm / 1.0 V against 16 nm / 0.85 V


def test_energy_is_power_over_throughput():
    est = estimate_power(DESIGN, get_board("kv260"))
    assert est.energy_per_inference_j(1000.0) == pytest.approx(est.total_w / 1000.0)
    assert math.isinf(est.energy_per_inference_j(0.0))
    data = est.as_dict(500.0)
    assert data["energy_per_inference_j"] == pytest.approx(est.total_w / 500.0)
    assert data["total_w"] == pytest.approx(data["static_w"] + data["dynamic_w"], abs=1e-5)


def test_coefficients_can_be_overridden():
    board = get_board("kv260")
    base = estimate_power(DESIGN, board)
    quiet = PowerModel(logic_toggle=0.0625, leak_per_lut_site_w=0.0).estimate(DESIGN, board)
    assert quiet.static_w == 0
    assert quiet.dynamic_w["lut"] == pytest.approx(base.dynamic_w["lut"] / 2)
    assert quiet.dynamic_w["dsp"] == pytest.approx(base.dynamic_w["dsp"])


def test_bad_clock_is_rejected():
    with pytest.raises(ValueError, match="clock"):
        estimate_power(DESIGN, get_board("kv260"), -5)
