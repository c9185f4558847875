"""Long work shows a tqdm bar on stderr: on a terminal only, never with --quiet, never for quick work."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from fpga_opt.dialects import progress as progress_module
from fpga_opt.tools import fpga_sim

REPO = Path(__file__).resolve().parents[3]
TWO_CONVS = REPO / "test/tools/fpga-report/Inputs/two_convs.mlir"


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch):
    """Call it in the test (pytest re-installs its own sys.stderr after fixtures): stderr becomes a
    terminal, bars are drawn at once (no 2-second delay), --quiet not given."""
    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)
    monkeypatch.delenv("FPGA_OPT_QUIET", raising=False)
    monkeypatch.setattr(progress_module, "_quiet", False)

    def become() -> Terminal:
        stderr = Terminal()
        monkeypatch.setattr(sys, "stderr", stderr)
        return stderr

    return become


def test_fpga_sim_shows_frames_on_a_terminal(terminal, capsys):
    stderr = terminal()
    fpga_sim.main([str(TWO_CONVS), "--frames", "12"])
    assert "timing simulation" in stderr.getvalue() and "/12 [" in stderr.getvalue()
    assert "timing simulation" not in capsys.readouterr().out  # the table on stdout stays clean


def test_quiet_and_pipes_show_nothing(terminal, monkeypatch):
    stderr = terminal()
    fpga_sim.main([str(TWO_CONVS), "--frames", "12", "--quiet"])
    assert stderr.getvalue() == ""
    monkeypatch.setattr(progress_module, "_quiet", False)
    monkeypatch.setattr(Terminal, "isatty", lambda self: False)
    fpga_sim.main([str(TWO_CONVS), "--frames", "12"])
    assert stderr.getvalue() == ""


def test_select_folding_and_size_fifos_show_their_work(terminal, tmp_path):
    from fpga_opt.tools import fpga_opt

    stderr = terminal()
    pipeline = "builtin.module(select-folding{board=pynqz2},size-fifos)"
    fpga_opt.main([str(TWO_CONVS), "--pass-pipeline", pipeline, "-o", str(tmp_path / "out.mlir")])
    shown = stderr.getvalue()
    assert "select-folding: greedy" in shown  # (the interval it reached shows once a step is drawn)
    assert "size-fifos: simulations" in shown, shown


def test_short_work_stays_silent_through_the_delay():
    """A real run, stderr a pipe: no bar (and the default delay keeps quick runs silent on a terminal too)."""
    done = subprocess.run(
        [sys.executable, "-m", "fpga_opt.tools.fpga_sim", str(TWO_CONVS), "--frames", "4"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert progress_module.DELAY_S >= 1.0
