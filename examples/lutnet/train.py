#!/usr/bin/env python3
"""Train binarised networks and LUTNet networks on scikit-learn's digits, and export them as QONNX.

Needs the optional extra `[lutnet]` (torch, scikit-learn); its outputs are
committed, so nothing else in the repository needs torch:

* `<net>_xnor.onnx`: the plain binarised network (the XNOR baseline);
* `<net>_lut_k<K>_p<P>.onnx`: LUTNet with K-input LUTs, a fraction P of each
  LUTified layer's connections pruned;
* `digits_test.npz`: the held-out split (`x` float32 Nx1x8x8 in [0, 1], `y`);
* `models.json`: each model's settings and its accuracy in torch.

Networks (`NETWORKS`), after FINN's LFC and CNV scaled to 8x8 digits; the
input pixels are quantised to 5 bits (scale 1/16) and binarised at 5/16
(`Quant` + `MultiThreshold`):

    lfc:  64 -> 128 -> 128 -> 10                  (dense layer 2, the largest, LUTified)
    cnv:  conv3x3 8, conv3x3 16, maxpool 2 (64) -> 64 -> 10   (dense layer 1 LUTified)

Training (LUTNet, Wang et al. FCCM 2019): (1) the binarised network
(latent float weights, sign with straight-through estimation, batch norm,
Adam); (2) magnitude pruning of the layers to LUTify to a fixed fan-in
`M = (1 - P) * N` per output, retrained; (3) each kept connection becomes a
K-LUT over its input and K-1 inputs drawn at random; its truth table is
relaxed to the multilinear polynomial `f(x) = sum_a c_a prod_k (1 + s_ak x_k) / 2`
over its 2^K entries `c_a` (`s_ak` = bit k of a as +-1), initialised to the
kept XNOR (`c_a = w * s_a0`: the pruned network, exactly), and trained with
`sign(c_a)` in the forward pass and straight-through gradients.

The ONNX graphs use QONNX's ops as Brevitas exports them (BipolarQuant on
float weights and on activations, BatchNormalization in between), so the
binarised baselines run in QONNX's own executor; a LUT layer is the node
`lutnet.LutDense(x, indices, tables)` -> `sum_m (2 * tables[o, m, addr] - 1)`.

Usage::

    pip install torch==2.13.0 scikit-learn     # the CPU wheel
    python examples/lutnet/train.py            # everything (a few minutes on one core)
    python examples/lutnet/train.py --nets lfc --quick
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
SEED = 0
TEST_FRACTION = 0.3
INPUT_SCALE = 1.0 / 16
INPUT_BITS = 5
INPUT_THRESHOLD = 5 / 16
"""Pixels (0..16) of at least 5 binarise to +1."""
QONNX = "qonnx.custom_op.general"
LUTNET = "lutnet"

NETWORKS = {
    # lfc LUTifies its largest layer (128 x 128): pruning the first layer (64 binarised pixels) to a
    # fan-in of 16 or less cost 6 points before any LUT was trained (87.2% against 93.2%).
    "lfc": {"kind": "mlp", "hidden": [128, 128], "lutify": [1]},
    "cnv": {"kind": "cnn", "convs": [8, 16], "dense": [64], "lutify": [0]},
}
TABLE_INIT_SCALE = 0.1
"""Table entries start at 0.1 x the kept latent weight (same signs: the pruned network exactly).  At the
weight's own magnitude (~1 after magnitude pruning) no entry changed sign in 40 epochs: the K=2, 4 and 6
models came out bit-identical, pruned XNOR networks with unused LUT inputs."""
# (K, fraction pruned) of the LUTNet models; the XNOR baseline is trained once per network.
SWEEP = [(4, 0.75), (4, 0.875), (4, 0.9375), (2, 0.875), (6, 0.875)]


def load_digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # N x 1 x 8 x 8 in [0, 1]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=TEST_FRACTION, stratify=y, random_state=SEED)


# --------------------------------------------------------------------------
# torch modules
# --------------------------------------------------------------------------


def build(torch):
    nn = torch.nn

    class SignSTE(torch.autograd.Function):
        """+1 where x >= 0 (BipolarQuant), -1 elsewhere; gradient passed where |x| <= 1."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.where(x >= 0, 1.0, -1.0)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (x.abs() <= 1).to(grad.dtype)

    sign = SignSTE.apply

    class BinaryLinear(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(torch.empty(n_out, n_in).uniform_(-1, 1))
            self.register_buffer("mask", torch.ones(n_out, n_in))

        def forward(self, x):
            return x @ (sign(self.weight) * self.mask).t()

    class BinaryConv(nn.Module):
        def __init__(self, c_in, c_out):
            super().__init__()
            self.weight = nn.Parameter(torch.empty(c_out, c_in, 3, 3).uniform_(-1, 1))

        def forward(self, x):
            return torch.nn.functional.conv2d(x, sign(self.weight))

    class LutCorner(torch.autograd.Function):
        """The multilinear K-LUT at its +-1 corners: forward and the polynomial's exact gradient there.

        A LUT layer's inputs are always +-1 (sign outputs), where the relaxation
        f(x) = sum_a c_a prod_k (1 + s_ak x_k) / 2 selects one entry: the forward
        is a table look-up, df/dc_a is 1 at the selected entry (straight-through
        where |c_a| <= 1, as `SignSTE`), and df/dx_k = (entry with bit k set -
        entry with bit k clear) / 2.  Same figures as expanding the polynomial,
        without its B x C x M x 2^K products.
        """

        @staticmethod
        def forward(ctx, xg, tables):  # xg: B x C x M x K, tables: C x M x 2^K
            k = xg.shape[-1]
            weights = 2 ** torch.arange(k)
            addr = ((xg > 0).long() * weights).sum(-1)  # B x C x M
            table = torch.where(tables >= 0, 1.0, -1.0).expand(xg.shape[0], *tables.shape)
            ctx.save_for_backward(addr, table, tables)
            return table.gather(-1, addr.unsqueeze(-1)).squeeze(-1).sum(-1)

        @staticmethod
        def backward(ctx, grad):  # grad: B x C
            addr, table, tables = ctx.saved_tensors
            g = grad[:, :, None]
            onehot = torch.nn.functional.one_hot(addr, tables.shape[-1]).to(grad.dtype)
            grad_tables = (g[..., None] * onehot).sum(0) * (tables.abs() <= 1).to(grad.dtype)
            slopes = []
            for k in range(tables.shape[-1].bit_length() - 1):
                high = table.gather(-1, (addr | (1 << k)).unsqueeze(-1)).squeeze(-1)
                low = table.gather(-1, (addr & ~(1 << k)).unsqueeze(-1)).squeeze(-1)
                slopes.append(g * (high - low) / 2)
            return torch.stack(slopes, dim=-1), grad_tables

    class LutLinear(nn.Module):
        """K-LUT operators as multilinear polynomials of their 2^K (binarised) entries."""

        def __init__(self, indices, init):
            super().__init__()
            self.register_buffer("indices", torch.as_tensor(indices))
            self.tables = nn.Parameter(torch.as_tensor(init, dtype=torch.float32))

        def forward(self, x):
            xg = x[:, self.indices]  # B x C x M x K
            return LutCorner.apply(xg, self.tables)

    class Net(nn.Module):
        def __init__(self, spec):
            super().__init__()
            self.spec = spec
            self.convs = nn.ModuleList()
            self.conv_bns = nn.ModuleList()
            n, c = 64, 1
            if spec["kind"] == "cnn":
                size = 8
                for width in spec["convs"]:
                    self.convs.append(BinaryConv(c, width))
                    self.conv_bns.append(nn.BatchNorm2d(width))
                    c, size = width, size - 2
                n = c * (size // 2) ** 2
                widths = spec["dense"]
            else:
                widths = spec["hidden"]
            self.dense = nn.ModuleList()
            self.bns = nn.ModuleList()
            for width in widths:
                self.dense.append(BinaryLinear(n, width))
                self.bns.append(nn.BatchNorm1d(width))
                n = width
            self.head = BinaryLinear(n, 10)
            self.alpha = nn.Parameter(torch.tensor(1.0 / np.sqrt(n)))

        def forward(self, x):
            h = torch.where(torch.round(x * 16) >= INPUT_THRESHOLD * 16, 1.0, -1.0)
            for conv, bn in zip(self.convs, self.conv_bns, strict=True):
                h = sign(bn(conv(h)))
            if self.convs:
                h = torch.nn.functional.max_pool2d(h, 2)
            h = h.flatten(1)
            for layer, bn in zip(self.dense, self.bns, strict=True):
                h = sign(bn(layer(h)))
            return self.head(h) * self.alpha.abs()

    return Net, BinaryLinear, LutLinear


def fit(torch, net, x, y, epochs, lr, seed):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for batch in torch.randperm(len(xt), generator=gen).split(64):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xt[batch]), yt[batch])
            loss.backward()
            opt.step()
            with torch.no_grad():
                for p in net.parameters():
                    if p.dim() > 1:
                        p.clamp_(-1, 1)
        sched.step()


def accuracy(torch, net, x, y) -> float:
    net.eval()
    with torch.no_grad():
        return float((net(torch.as_tensor(x)).argmax(1).numpy() == y).mean())


def prune_and_lutify(torch, net, LutLinear, BinaryLinear, layers, k, prune, rng, xtr, ytr, epochs):
    """Magnitude-prune the layers to LUTify, retrain, then make each kept connection a K-LUT."""
    for i in layers:
        layer = net.dense[i]
        w = layer.weight.detach()
        keep = max(1, round((1 - prune) * w.shape[1]))
        order = w.abs().argsort(dim=1, descending=True)[:, :keep]
        mask = torch.zeros_like(w)
        mask.scatter_(1, order, 1.0)
        layer.mask.copy_(mask)
    fit(torch, net, xtr, ytr, epochs, 3e-3, SEED + 1)  # the pruned XNOR network, retrained
    for i in layers:
        layer = net.dense[i]
        w = layer.weight.detach().numpy()
        mask = layer.mask.numpy().astype(bool)
        c_out, n = w.shape
        kept = [np.flatnonzero(mask[o]) for o in range(c_out)]
        m = len(kept[0])
        indices = np.empty((c_out, m, k), dtype=np.int64)
        init = np.empty((c_out, m, 2**k), dtype=np.float32)
        s0 = (np.arange(2**k) & 1) * 2 - 1  # input 0 of each entry, as +-1
        for o in range(c_out):
            for j, idx in enumerate(kept[o]):
                others = rng.choice(n - 1, size=k - 1, replace=False)
                indices[o, j] = [idx, *(others + (others >= idx))]
                wv = w[o, idx] if w[o, idx] != 0 else 1e-3
                init[o, j] = TABLE_INIT_SCALE * wv * s0  # XNOR(x_idx, sign w): the pruned network exactly
        net.dense[i] = LutLinear(indices, init)
    fit(torch, net, xtr, ytr, epochs, 3e-3, SEED + 2)


# --------------------------------------------------------------------------
# ONNX export (QONNX ops, as Brevitas writes them)
# --------------------------------------------------------------------------


class Graph:
    def __init__(self):
        self.nodes, self.inits = [], []
        self.n = 0

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, domain="", **attrs):
        self.n += 1
        out = f"{op.lower()}_{self.n}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{op}_{self.n}", domain=domain, **attrs))
        return out


def export(net, torch, path: Path) -> None:
    g = Graph()
    one = g.const("one", np.array(1.0, dtype=np.float32))
    zero = g.const("zero", np.array(0.0, dtype=np.float32))
    q = g.node(
        "Quant",
        ["input", g.const("in_scale", np.array(INPUT_SCALE, dtype=np.float32)), zero,
         g.const("in_bits", np.array(float(INPUT_BITS), dtype=np.float32))],
        domain=QONNX, signed=0, narrow=0, rounding_mode="ROUND",
    )  # fmt: skip
    h = g.node(
        "MultiThreshold",
        [q, g.const("in_thresholds", np.array([[INPUT_THRESHOLD]], dtype=np.float32))],
        domain=QONNX, out_scale=2.0, out_bias=-1.0,
    )  # fmt: skip

    def bn(x, module, i):
        p = {k: v.detach().numpy().astype(np.float32) for k, v in module.state_dict().items() if v.dim() == 1}
        names = [g.const(f"bn{i}.{k}", p[k]) for k in ("weight", "bias", "running_mean", "running_var")]
        return g.node("BatchNormalization", [x, *names], epsilon=float(module.eps))

    def binary_weight(name, w):
        return g.node("BipolarQuant", [g.const(name, w.detach().numpy().astype(np.float32)), one], domain=QONNX)

    for i, (conv, norm) in enumerate(zip(net.convs, net.conv_bns, strict=True)):
        h = g.node("Conv", [h, binary_weight(f"conv{i}.weight", conv.weight)], kernel_shape=[3, 3])
        h = g.node("BipolarQuant", [bn(h, norm, f"c{i}"), one], domain=QONNX)
    if net.convs:
        h = g.node("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = g.node("Flatten", [h], axis=1)
    for i, (layer, norm) in enumerate(zip(net.dense, net.bns, strict=True)):
        if hasattr(layer, "tables"):
            indices = g.const(f"lut{i}.indices", layer.indices.numpy().astype(np.int64))
            tables = g.const(f"lut{i}.tables", (layer.tables.detach().numpy() >= 0).astype(np.uint8))
            h = g.node("LutDense", [h, indices, tables], domain=LUTNET)
        else:
            w = layer.weight
            h = g.node("MatMul", [h, g.node("Transpose", [binary_weight(f"dense{i}.weight", w)], perm=[1, 0])])
        h = g.node("BipolarQuant", [bn(h, norm, f"d{i}"), one], domain=QONNX)
    h = g.node("MatMul", [h, g.node("Transpose", [binary_weight("head.weight", net.head.weight)], perm=[1, 0])])
    alpha = g.const("alpha", np.array(float(net.alpha.detach().abs()), dtype=np.float32))
    g.nodes.append(helper.make_node("Mul", [h, alpha], ["logits"], name="scale"))
    graph = helper.make_graph(
        g.nodes,
        path.stem,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        g.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QONNX, 1), helper.make_opsetid(LUTNET, 1)],
        producer_name="fpga-opt examples/lutnet/train.py",
    )
    model.ir_version = 8
    onnx.save(model, path)


# --------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE / "models")
    parser.add_argument("--nets", default="lfc,cnv")
    parser.add_argument(
        "--epochs", type=int, default=40, help="epochs of each training phase (the committed models: 40)"
    )
    parser.add_argument("--quick", action="store_true", help="one LUTNet configuration (K=4, P=0.875), fewer epochs")
    parser.add_argument("--sweep", default="", help="LUTNet configurations K:P,... (default: the whole SWEEP)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("train.py: error: needs torch (pip install torch==2.13.0, the CPU wheel)", file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    Net, BinaryLinear, LutLinear = build(torch)
    xtr, xte, ytr, yte = load_digits_split()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(args.out_dir / "digits_test.npz", x=xte, y=yte)
    epochs = 20 if args.quick else args.epochs
    sweep = [(4, 0.875)] if args.quick else SWEEP
    if args.sweep:
        try:
            sweep = [(int(k), float(p)) for k, p in (item.split(":") for item in args.sweep.split(","))]
        except ValueError:
            print(f"train.py: error: --sweep {args.sweep!r}: expected K:P,... (e.g. 4:0.875,2:0.875)", file=sys.stderr)
            return 1
    results = {}
    for name in args.nets.split(","):
        spec = NETWORKS[name]
        start = time.perf_counter()
        torch.manual_seed(SEED)
        base = Net(spec)
        fit(torch, base, xtr, ytr, epochs, 1e-2, SEED)
        acc = accuracy(torch, base, xte, yte)
        export(base, torch, args.out_dir / f"{name}_xnor.onnx")
        results[f"{name}_xnor"] = {"network": name, "k": None, "prune": 0.0, "torch_accuracy": acc}
        record(args.out_dir, results, epochs, torch)
        print(f"{name} XNOR baseline: {acc:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
        state = {k: v.clone() for k, v in base.state_dict().items()}
        for k, prune in sweep:
            start = time.perf_counter()
            torch.manual_seed(SEED)
            net = Net(spec)
            net.load_state_dict(state)
            rng = np.random.default_rng(SEED + k)
            prune_and_lutify(torch, net, LutLinear, BinaryLinear, spec["lutify"], k, prune, rng, xtr, ytr, epochs)
            acc = accuracy(torch, net, xte, yte)
            stem = f"{name}_lut_k{k}_p{int(round(prune * 10000)):04d}"
            export(net, torch, args.out_dir / f"{stem}.onnx")
            results[stem] = {
                "network": name,
                "k": k,
                "prune": prune,
                "torch_accuracy": acc,
                "table_init_scale": TABLE_INIT_SCALE,
            }
            print(f"{stem}: {acc:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
            record(args.out_dir, results, epochs, torch)
        record(args.out_dir, results, epochs, torch)
    return 0


def record(out_dir: Path, results: dict, epochs: int, torch) -> None:
    """models.json after every model (a long sweep that is stopped keeps what it finished), others' entries kept."""
    path = out_dir / "models.json"
    models = json.loads(path.read_text())["models"] if path.exists() else {}
    for stem, entry in results.items():
        models[stem] = {**entry, "epochs": epochs}
    settings = {"seed": SEED, "torch": torch.__version__, "input_threshold": INPUT_THRESHOLD}
    path.write_text(json.dumps({"settings": settings, "models": models}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
