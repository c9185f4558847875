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


def test_place_weights_and_partition_show_their_searches(terminal, tmp_path):
    from fpga_opt.tools import fpga_opt

    stderr = terminal()
    model = str(REPO / "examples/models/lenet5_int8.onnx")
    fpga_opt.main([model, "-p", "place-weights{board=kv260}", "-o", str(tmp_path / "placed.mlir")])
    assert "place-weights: search" in stderr.getvalue() and "moves" in stderr.getvalue()
    fpga_opt.main([model, "-p", "partition{board=kv260}", "-o", str(tmp_path / "parts.mlir")])
    assert "partition: folding partitions" in stderr.getvalue() and "1/1" in stderr.getvalue()
    before = stderr.getvalue()
    fpga_opt.main([model, "-p", "partition{board=kv260}", "-o", str(tmp_path / "again.mlir"), "--quiet"])
    assert stderr.getvalue() == before


def test_fpga_explore_counts_its_evaluations(terminal, tmp_path):
    from fpga_opt.tools.fpga_explore import main

    stderr = terminal()
    small = ["--bits", "8", "--budgets", "0.5", "--clocks", "200", "--population", "4", "--budget", "4"]
    main([str(REPO / "examples/models/lenet5.onnx"), "--board", "kv260", "-o", str(tmp_path / "f.json"), *small])
    assert "fpga-explore" in stderr.getvalue() and "/4 [" in stderr.getvalue() and "evals" in stderr.getvalue()


def test_functional_runs_and_fpga_trace_count_layers(terminal, tmp_path):
    import numpy as np

    from fpga_opt.tools import fpga_trace

    stderr = terminal()
    lenet = str(REPO / "examples/models/lenet5_int8.onnx")
    np.save(tmp_path / "x.npy", np.zeros((3, 1, 28, 28), np.float32))
    fpga_sim.main([lenet, "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npz"), "--frames", "2"])
    assert "functional simulation of 3 sample(s)" in stderr.getvalue() and "layers" in stderr.getvalue()
    fpga_trace.main([lenet, "--samples", "2"])
    assert "trace: layers" in stderr.getvalue()
    before = stderr.getvalue()
    fpga_trace.main([lenet, "--samples", "2", "--quiet"])
    assert stderr.getvalue() == before
