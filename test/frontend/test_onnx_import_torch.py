"""Optional: models exported by torch (legacy and dynamo exporters) and by Brevitas (QCDQ and QONNX).

Runs only when torch and brevitas are importable (not part of the default
`make test`); the dynamo exporter additionally needs onnxscript, Brevitas'
export needs onnxoptimizer.  Each model must import, and compute what the
exporter's framework (torch) or onnxruntime computes.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import onnx
import pytest
from onnx_builders import ort_run, to_onnx_layout
from reference_eval import run_nchw

from fpga_opt.frontend.onnx_import import import_onnx, module_text

_missing = [name for name in ("torch", "brevitas") if importlib.util.find_spec(name) is None]
if _missing:
    pytest.skip(
        f"optional torch/Brevitas export tests: {' and '.join(_missing)} not installed", allow_module_level=True
    )
torch = pytest.importorskip("torch")
nn = torch.nn


class SmallNet(nn.Module):
    """Conv-BN-ReLU, grouped conv-BN-ReLU6, residual add, max pool, `view(x.size(0), -1)`, Linear, Softmax."""

    def __init__(self):
        super().__init__()
        self.c1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.c2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, groups=4), nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        y = torch.relu(self.bn1(self.c1(x)))
        z = nn.functional.relu6(self.bn2(self.c2(y)))
        y = self.pool(y + z)
        y = y.view(y.size(0), -1)
        return torch.softmax(self.fc(y), dim=1)


def _small_net():
    torch.manual_seed(0)
    net = SmallNet().eval()
    for bn in (net.bn1, net.bn2):
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
    return net


def _check_against_torch(net, path, n=3):
    imported = import_onnx(path)
    torch.manual_seed(1)
    for _ in range(n):
        x = torch.randn(1, 3, 8, 8)
        with torch.no_grad():
            expected = net(x).numpy()
        (got,) = run_nchw(imported.module, imported.weights, [x.numpy()])
        np.testing.assert_allclose(to_onnx_layout(got, expected), expected, rtol=1e-4, atol=1e-6)
    return imported


def test_torch_legacy_exporter(tmp_path):
    net = _small_net()
    path = tmp_path / "legacy.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, torch.randn(1, 3, 8, 8), str(path), dynamo=False, opset_version=13,
            input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        )  # fmt: skip
    imported = _check_against_torch(net, path)
    names = [op.name for op in imported.func.body.block.ops]
    assert names.count("dataflow.conv") == 2 and "dataflow.softmax" in names


def test_torch_dynamo_exporter(tmp_path):
    pytest.importorskip("onnxscript", reason="optional: the dynamo exporter needs onnxscript")
    net = _small_net()
    path = tmp_path / "dynamo.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, (torch.randn(1, 3, 8, 8),), str(path), dynamo=True, input_names=["x"], output_names=["y"]
        )
    _check_against_torch(net, path)


def _brevitas_net():
    import brevitas.nn as qnn
    from brevitas.quant import (
        Int8ActPerTensorFixedPoint,
        Int8WeightPerTensorFixedPoint,
        Int32Bias,
        Uint8ActPerTensorFixedPoint,
    )

    class QNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, return_quant_tensor=True)
            self.c1 = qnn.QuantConv2d(
                3, 8, 3, padding=1, weight_quant=Int8WeightPerTensorFixedPoint, bias_quant=Int32Bias,
                return_quant_tensor=True,
            )  # fmt: skip
            self.r1 = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, return_quant_tensor=True)
            self.pool = nn.MaxPool2d(2)
            self.fc = qnn.QuantLinear(
                8 * 4 * 4, 10, weight_quant=Int8WeightPerTensorFixedPoint, bias_quant=Int32Bias,
                return_quant_tensor=False,
            )  # fmt: skip

        def forward(self, x):
            x = self.pool(self.r1(self.c1(self.inp(x))))
            return self.fc(x.flatten(1))

    torch.manual_seed(0)
    net = QNet()
    net.train()
    for _ in range(4):  # calibrate the activation scales a little
        net(torch.randn(4, 3, 8, 8))
    return net.eval()


def test_brevitas_qcdq_and_qonnx(tmp_path):
    pytest.importorskip("onnxoptimizer", reason="optional: Brevitas' ONNX export needs onnxoptimizer")
    from brevitas.export import export_onnx_qcdq, export_qonnx

    net = _brevitas_net()
    x = torch.randn(1, 3, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_onnx_qcdq(net, args=x, export_path=str(tmp_path / "qcdq.onnx"), opset_version=13, dynamo=False)
        export_qonnx(net, args=x, export_path=str(tmp_path / "qonnx.onnx"), dynamo=False)
    qcdq = import_onnx(tmp_path / "qcdq.onnx")
    qonnx = import_onnx(tmp_path / "qonnx.onnx")
    text = module_text(qonnx.module)
    assert "weight_type = i8" in text and "xui8>" in text  # unsigned activations after the QuantReLU
    model = onnx.load(tmp_path / "qcdq.onnx")
    input_name = model.graph.input[0].name
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
        (ref,) = ort_run(model, {input_name: x})
        (a,) = run_nchw(qcdq.module, qcdq.weights, [x])
        (b,) = run_nchw(qonnx.module, qonnx.weights, [x])
        np.testing.assert_array_equal(to_onnx_layout(a, ref), ref.astype(np.float64))
        np.testing.assert_array_equal(a, b)


def _brevitas_float_scale_resnet():
    """A residual block with Brevitas' float-scale quantisers (real, non power-of-two scales)."""
    import brevitas.nn as qnn
    from brevitas.quant import Int8ActPerTensorFloat, Int8WeightPerTensorFloat, Int32Bias, Uint8ActPerTensorFloat

    def conv(cin, cout, **kw):
        return qnn.QuantConv2d(
            cin, cout, 3, padding=1, weight_quant=Int8WeightPerTensorFloat, bias_quant=Int32Bias,
            return_quant_tensor=True, **kw,
        )  # fmt: skip

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFloat, return_quant_tensor=True)
            self.stem, self.r0 = conv(3, 16), qnn.QuantReLU(act_quant=Uint8ActPerTensorFloat, return_quant_tensor=True)
            self.c1, self.r1 = conv(16, 16), qnn.QuantReLU(act_quant=Uint8ActPerTensorFloat, return_quant_tensor=True)
            self.c2 = conv(16, 16, output_quant=Int8ActPerTensorFloat)
            self.add_q = qnn.QuantIdentity(act_quant=Int8ActPerTensorFloat, return_quant_tensor=True)
            self.r2 = qnn.QuantReLU(act_quant=Uint8ActPerTensorFloat, return_quant_tensor=True)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = qnn.QuantLinear(
                16, 10, weight_quant=Int8WeightPerTensorFloat, bias_quant=Int32Bias, return_quant_tensor=False
            )

        def forward(self, x):
            a = self.r0(self.stem(self.inp(x)))
            y = self.c2(self.r1(self.c1(a)))
            s = self.r2(self.add_q(y.value + a.value))  # Brevitas adds the dequantised values
            return self.fc(self.pool(s).flatten(1))

    torch.manual_seed(0)
    net = Net()
    net.train()
    with torch.no_grad():
        for _ in range(8):  # calibrate the activation scales
            net(torch.randn(8, 3, 16, 16))
    return net.eval()


def test_brevitas_float_scales_pass_the_trace(tmp_path):
    """Done-when of issue 13: a Brevitas model with float scales passes fpga-trace's thresholds."""
    pytest.importorskip("onnxoptimizer", reason="optional: Brevitas' ONNX export needs onnxoptimizer")
    from brevitas.export import export_onnx_qcdq

    from fpga_opt.tools.fpga_trace import check, trace_model

    net = _brevitas_float_scale_resnet()
    path = tmp_path / "brevitas_float.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_onnx_qcdq(net, args=torch.randn(1, 3, 16, 16), export_path=str(path), opset_version=13, dynamo=False)
    scales = [
        float(onnx.numpy_helper.to_array(t)) for t in onnx.load(path).graph.initializer if t.name.endswith("scale") or "Constant" in t.name
        if onnx.numpy_helper.to_array(t).size == 1 and onnx.numpy_helper.to_array(t).dtype == np.float32
    ]  # fmt: skip
    assert any(s > 0 and not float(np.log2(s)).is_integer() for s in scales)  # real float scales
    x = np.random.default_rng(1).standard_normal((64, 3, 16, 16)).astype(np.float32)
    summary = trace_model(path, {onnx.load(path).graph.input[0].name: x})
    assert len(summary["layers"]) >= 5
    assert check(summary) == [], check(summary)
