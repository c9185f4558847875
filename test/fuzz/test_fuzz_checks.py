"""The fuzzer's promise checks on hand-made outcomes: what counts as a broken promise, what does not."""

from __future__ import annotations

import signal
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_cli  # noqa: E402
from fuzz_runner import Case, Outcome, _check  # noqa: E402

SHIM_TRACEBACK = """Traceback (most recent call last):
  File "/work/.venv/bin/fpga-opt", line 3, in <module>
    from fpga_opt.tools.launch import fpga_opt
  File "<frozen importlib._bootstrap>", line 1176, in _find_and_load
KeyboardInterrupt
"""
"""What Python printed for a SIGINT during its start-up, before the console scripts were shell launchers."""


def _signal_case() -> Case:
    return Case("signals", "fpga-opt", ["m.mlir", "-o", "o.mlir"], signal=int(signal.SIGINT), may_write=["o.mlir"])


def _checked(outcome: Outcome, tmp: Path) -> list[str]:
    tmp.mkdir(exist_ok=True)
    _check(outcome, {"m.mlir": "hash"}, {"m.mlir": "hash"}, tmp)
    return outcome.problems


def test_a_keyboardinterrupt_traceback_at_start_up_is_a_traceback(tmp_path):
    """No exemption for the interpreter's start-up any more: the launchers make it impossible."""
    outcome = Outcome(_signal_case(), 130, "", SHIM_TRACEBACK, 0.1)
    assert "traceback" in _checked(outcome, tmp_path / "tmp")


def test_a_silent_death_by_the_signal_sent_is_no_broken_promise(tmp_path):
    outcome = Outcome(_signal_case(), 130, "", "", 0.1, killed_silently=True)
    assert _checked(outcome, tmp_path / "tmp") == []


def test_the_interruption_line_is_no_broken_promise_but_silence_after_a_handled_signal_is(tmp_path):
    said = Outcome(_signal_case(), 130, "", "fpga-opt: error: interrupted by SIGINT\n", 0.1)
    assert _checked(said, tmp_path / "a") == []
    mute = Outcome(_signal_case(), 130, "", "", 0.1)  # exit 130 without the line: not the kernel's doing
    assert _checked(mute, tmp_path / "b") == ["multi-line"]


def test_another_signal_than_the_one_sent_is_a_bad_exit(tmp_path):
    outcome = Outcome(_signal_case(), 128 + signal.SIGSEGV, "", "", 0.1, killed_silently=True)
    assert _checked(outcome, tmp_path / "tmp") == ["exit-code"]


def test_fuzz_cli_without_json_prints_its_table(monkeypatch, capsys):
    """The last line of a run without --json wrote to Path(None) (a TypeError after the whole run)."""
    case = Case("ir", "fpga-opt", ["m.mlir"])
    monkeypatch.setitem(sys.modules, "fuzz_families", types.SimpleNamespace(FAMILIES={"ir": None}))  # no corpus
    monkeypatch.setattr(fuzz_cli, "run_all", lambda *args: [Outcome(case, 1, "", "fpga-opt: error: x\n", 0.1)])
    assert fuzz_cli.main(["--runs", "1", "--families", "ir", "--quiet"]) == 0
    assert "| ir " in capsys.readouterr().out
