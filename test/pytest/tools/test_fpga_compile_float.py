"""fpga-compile on float models: a stated tolerance instead of bit equality, and a named culprit pass.

Passes that reassociate float sums (merge-loops folds the residual adds of the float ResNet-20) move float
outputs by a few ULPs; integer outputs must stay bit-exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.tools import fpga_compile
from fpga_opt.tools.fpga_compile import FLOAT_TOLERANCE, build_parser, compare_outputs, run

RESNET20 = Path(__file__).resolve().parents[3] / "examples" / "models" / "resnet20.onnx"
ARGS = ["-o", "{out}", "--frames", "2", "--no-csim", "--board", "u250"]  # u250: merge-loops merges the downsamples


def test_float_outputs_pass_within_the_tolerance_and_report_the_error():
    ref = np.array([[1.0, -2.0, 4.0]], np.float32)
    close = ref + np.float32(4.0 * FLOAT_TOLERANCE / 2)
    result = compare_outputs([close], [ref])
    assert result["passed"] and not result["exact"] and result["float"]
    assert result["max_rel_error"] == pytest.approx(FLOAT_TOLERANCE / 2, rel=1e-2)
    far = ref + np.float32(4.0 * FLOAT_TOLERANCE * 3)
    assert not compare_outputs([far], [ref])["passed"]


def test_integer_outputs_must_be_bit_exact():
    ref = np.array([[1, -2, 100]], np.int8)
    assert compare_outputs([ref.copy()], [ref]) == {"float": False, "exact": True, "max_rel_error": 0.0, "passed": True}
    off_by_one = ref + np.int8(1)
    assert not compare_outputs([off_by_one], [ref])["passed"]


@pytest.mark.slow
def test_float_resnet_compiles_and_reports_its_error(tmp_path, capsys):
    code = run(build_parser().parse_args([str(RESNET20), *(a.format(out=tmp_path) for a in ARGS)]))
    assert code == 0
    simulate = json.loads((tmp_path / "report.json").read_text())["design"]["simulate"]
    assert simulate["float"] and simulate["passed"] and simulate["tolerance"] == FLOAT_TOLERANCE
    # merge-loops reassociates the residual adds: not bit-exact, but far inside the tolerance
    assert 0 < simulate["max_rel_error"] <= FLOAT_TOLERANCE
    assert f"max relative error {simulate['max_rel_error']:.2g}" in capsys.readouterr().out


def test_an_inexact_pass_is_named_with_the_size_of_the_difference(tmp_path, monkeypatch):
    monkeypatch.setattr(fpga_compile, "FLOAT_TOLERANCE", 1e-12)
    with pytest.raises(
        FpgaOptError, match=r"pass 'merge-loops' is not exact: .* differ .* by up to [0-9.e-]+ relative > 1e-12"
    ):
        run(build_parser().parse_args([str(RESNET20), *(a.format(out=tmp_path) for a in ARGS)]))
