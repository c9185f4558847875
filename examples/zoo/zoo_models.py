"""The classic CNN topologies of the zoo, written in plain torch (random init, no downloads).

torchvision's definitions would do, but its wheel is tied to one torch build;
these are the same topologies (layer for layer where it matters to a compiler:
kernels, strides, paddings, ceil-mode pools, concats, residual adds, ReLU6) in
one small file.  Each builder takes `size`: "imagenet" (224x224, 1000
classes, the published widths) or "cifar" (32x32, 10 classes: the usual CIFAR
adaptation, a 3x3 stem without the early down-sampling, and channel widths
scaled by `width`, so that a whole network fits on a KV260).
"""

from __future__ import annotations

import torch
from torch import nn

IMAGENET = {"hw": 224, "classes": 1000}
CIFAR = {"hw": 32, "classes": 10}


def _c(channels: int, width: float) -> int:
    return max(4, int(round(channels * width / 4)) * 4)


def conv_bn(cin: int, cout: int, k: int, s: int = 1, p: int | None = None, groups: int = 1, act: str | None = "relu"):
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, s, k // 2 if p is None else p, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act == "relu":
        layers.append(nn.ReLU(inplace=True))
    elif act == "relu6":
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


# ResNet ---------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = conv_bn(cin, planes, 3, stride)
        self.conv2 = conv_bn(planes, planes, 3, 1, act=None)
        self.down = conv_bn(cin, planes, 1, stride, 0, act=None) if stride != 1 or cin != planes else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        skip = x if self.down is None else self.down(x)
        return self.relu(self.conv2(self.conv1(x)) + skip)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        out = planes * 4
        self.conv1 = conv_bn(cin, planes, 1, 1, 0)
        self.conv2 = conv_bn(planes, planes, 3, stride)
        self.conv3 = conv_bn(planes, out, 1, 1, 0, act=None)
        self.down = conv_bn(cin, out, 1, stride, 0, act=None) if stride != 1 or cin != out else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        skip = x if self.down is None else self.down(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + skip)


class ResNet(nn.Module):
    def __init__(self, block, counts, size: dict, width: float):
        super().__init__()
        base = _c(64, width)
        if size is IMAGENET:
            self.stem = nn.Sequential(conv_bn(3, base, 7, 2, 3), nn.MaxPool2d(3, 2, 1))
        else:
            self.stem = conv_bn(3, base, 3, 1, 1)
        layers, cin = [], base
        for stage, n in enumerate(counts):
            planes = _c(64 * 2**stage, width)
            for i in range(n):
                layers.append(block(cin, planes, 2 if stage > 0 and i == 0 else 1))
                cin = planes * block.expansion
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, size["classes"])

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


# VGG ------------------------------------------------------------------------------------

VGG_CFG = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, cfg, size: dict, width: float):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, _c(v, width), 3, 1, 1), nn.ReLU(inplace=True)]
                cin = _c(v, width)
        self.features = nn.Sequential(*layers)
        if size is IMAGENET:
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(cin * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, size["classes"]),
            )  # fmt: skip
        else:
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(cin, size["classes"]))

    def forward(self, x):
        return self.classifier(self.features(x))


# SqueezeNet -----------------------------------------------------------------------------


class Fire(nn.Module):
    def __init__(self, cin: int, squeeze: int, e1: int, e3: int):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True))
        self.e1 = nn.Sequential(nn.Conv2d(squeeze, e1, 1), nn.ReLU(inplace=True))
        self.e3 = nn.Sequential(nn.Conv2d(squeeze, e3, 3, padding=1), nn.ReLU(inplace=True))

    def forward(self, x):
        s = self.squeeze(x)
        return torch.cat([self.e1(s), self.e3(s)], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet 1.0 / 1.1 (MaxPool with ceil_mode, as the reference Caffe model has)."""

    def __init__(self, version: str, size: dict, width: float):
        super().__init__()
        c = lambda n: _c(n, width)  # noqa: E731

        def fire(cin, s, e):
            return Fire(c(cin), c(s), c(e), c(e))

        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        imagenet = size is IMAGENET
        if version == "1_0":
            stem = [nn.Conv2d(3, c(96), 7, 2 if imagenet else 1, 0 if imagenet else 3), nn.ReLU(True), pool()]
            body = [fire(96, 16, 64), fire(128, 16, 64), fire(128, 32, 128), pool(), fire(256, 32, 128),
                    fire(256, 48, 192), fire(384, 48, 192), fire(384, 64, 256), pool(), fire(512, 64, 256)]  # fmt: skip
        else:
            stem = [nn.Conv2d(3, c(64), 3, 2 if imagenet else 1, 0 if imagenet else 1), nn.ReLU(True), pool()]
            body = [fire(64, 16, 64), fire(128, 16, 64), pool(), fire(128, 32, 128), fire(256, 32, 128), pool(),
                    fire(256, 48, 192), fire(384, 48, 192), fire(384, 64, 256), fire(512, 64, 256)]  # fmt: skip
        self.features = nn.Sequential(*stem, *body)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Conv2d(c(512), size["classes"], 1), nn.ReLU(True), nn.AdaptiveAvgPool2d(1)
        )

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


# MobileNet ------------------------------------------------------------------------------


class MobileNetV1(nn.Module):
    CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

    def __init__(self, size: dict, width: float):
        super().__init__()
        cin = _c(32, width)
        layers = [conv_bn(3, cin, 3, 2 if size is IMAGENET else 1, act="relu6")]
        for i, (cout, stride) in enumerate(self.CFG):
            s = stride if size is IMAGENET or i > 2 else 1
            cout = _c(cout, width)
            layers += [conv_bn(cin, cin, 3, s, groups=cin, act="relu6"), conv_bn(cin, cout, 1, 1, 0, act="relu6")]
            cin = cout
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(cin, size["classes"])

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [conv_bn(cin, hidden, 1, 1, 0, act="relu6")]
        layers += [
            conv_bn(hidden, hidden, 3, stride, groups=hidden, act="relu6"),
            conv_bn(hidden, cout, 1, 1, 0, act=None),
        ]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    CFG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, size: dict, width: float):
        super().__init__()
        cin = _c(32, width)
        layers: list[nn.Module] = [conv_bn(3, cin, 3, 2 if size is IMAGENET else 1, act="relu6")]
        for stage, (t, c, n, s) in enumerate(self.CFG):
            for i in range(n):
                stride = s if i == 0 and (size is IMAGENET or stage > 2) else 1
                layers.append(InvertedResidual(cin, _c(c, width), stride, t))
                cin = _c(c, width)
        last = _c(1280, width)
        layers += [conv_bn(cin, last, 1, 1, 0, act="relu6"), nn.AdaptiveAvgPool2d(1)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, size["classes"]))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# GoogLeNet ------------------------------------------------------------------------------


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pp):
        super().__init__()
        self.b1 = conv_bn(cin, c1, 1, 1, 0)
        self.b2 = nn.Sequential(conv_bn(cin, c3r, 1, 1, 0), conv_bn(c3r, c3, 3))
        self.b3 = nn.Sequential(conv_bn(cin, c5r, 1, 1, 0), conv_bn(c5r, c5, 3))  # torchvision: 3x3 here too
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), conv_bn(cin, pp, 1, 1, 0))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNet(nn.Module):
    CFG = {
        "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
        "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
        "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
        "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
        "5b": (832, 384, 192, 384, 48, 128, 128),
    }  # fmt: skip

    def __init__(self, size: dict, width: float):
        super().__init__()
        c = lambda n: _c(n, width)  # noqa: E731
        inc, cin = {}, c(192)
        for k, cfg in self.CFG.items():  # the input width is the previous block's (scaled) output
            inc[k] = Inception(cin, *(c(v) for v in cfg[1:]))
            cin = c(cfg[1]) + c(cfg[3]) + c(cfg[5]) + c(cfg[6])
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        if size is IMAGENET:
            stem = [
                conv_bn(3, c(64), 7, 2, 3),
                pool(),
                conv_bn(c(64), c(64), 1, 1, 0),
                conv_bn(c(64), c(192), 3),
                pool(),
            ]
        else:
            stem = [conv_bn(3, c(192), 3)]
        self.features = nn.Sequential(
            *stem, inc["3a"], inc["3b"], pool(), inc["4a"], inc["4b"], inc["4c"], inc["4d"], inc["4e"],
            nn.MaxPool2d(2, 2, ceil_mode=True), inc["5a"], inc["5b"], nn.AdaptiveAvgPool2d(1),
        )  # fmt: skip
        self.fc = nn.Sequential(nn.Dropout(0.2), nn.Linear(cin, size["classes"]))

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


# AlexNet --------------------------------------------------------------------------------


class AlexNet(nn.Module):
    """torchvision's AlexNet (no LRN); `lrn=True` puts back the original's LocalResponseNorm."""

    def __init__(self, size: dict, width: float, lrn: bool = False):
        super().__init__()
        c = lambda n: _c(n, width)  # noqa: E731
        norm = (lambda: [nn.LocalResponseNorm(5)]) if lrn else (lambda: [])
        imagenet = size is IMAGENET
        self.features = nn.Sequential(
            nn.Conv2d(3, c(64), 11 if imagenet else 3, 4 if imagenet else 1, 2 if imagenet else 1), nn.ReLU(True),
            *norm(), nn.MaxPool2d(3, 2),
            nn.Conv2d(c(64), c(192), 5, padding=2), nn.ReLU(True), *norm(), nn.MaxPool2d(3, 2),
            nn.Conv2d(c(192), c(384), 3, padding=1), nn.ReLU(True),
            nn.Conv2d(c(384), c(256), 3, padding=1), nn.ReLU(True),
            nn.Conv2d(c(256), c(256), 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2),
        )  # fmt: skip
        spatial = 6 if imagenet else 3
        hidden = 4096 if imagenet else c(512)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(), nn.Linear(c(256) * spatial * spatial, hidden), nn.ReLU(True),
            nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(True), nn.Linear(hidden, size["classes"]),
        )  # fmt: skip

    def forward(self, x):
        return self.classifier(self.features(x))


# The zoo --------------------------------------------------------------------------------

CIFAR_WIDTH = {
    "resnet18": 0.25, "resnet34": 0.25, "resnet50": 0.125, "vgg11": 0.25, "vgg16": 0.25, "squeezenet1_0": 0.25,
    "squeezenet1_1": 0.25, "mobilenet_v1": 0.25, "mobilenet_v2": 0.25, "googlenet": 0.125, "alexnet": 0.25,
}  # fmt: skip
"""Channel width multipliers of the CIFAR-size networks (1.0 at ImageNet size)."""


def build(name: str, size: str) -> nn.Module:
    """The network `name` at `size` ("imagenet" or "cifar"), in eval mode, with seeded random weights."""
    dims = IMAGENET if size == "imagenet" else CIFAR
    width = 1.0 if size == "imagenet" else CIFAR_WIDTH[name]
    torch.manual_seed(0)
    builders = {
        "resnet18": lambda: ResNet(BasicBlock, [2, 2, 2, 2], dims, width),
        "resnet34": lambda: ResNet(BasicBlock, [3, 4, 6, 3], dims, width),
        "resnet50": lambda: ResNet(Bottleneck, [3, 4, 6, 3], dims, width),
        "vgg11": lambda: VGG(VGG_CFG["vgg11"], dims, width),
        "vgg16": lambda: VGG(VGG_CFG["vgg16"], dims, width),
        "squeezenet1_0": lambda: SqueezeNet("1_0", dims, width),
        "squeezenet1_1": lambda: SqueezeNet("1_1", dims, width),
        "mobilenet_v1": lambda: MobileNetV1(dims, width),
        "mobilenet_v2": lambda: MobileNetV2(dims, width),
        "googlenet": lambda: GoogLeNet(dims, width),
        "alexnet": lambda: AlexNet(dims, width),
        "alexnet_lrn": lambda: AlexNet(dims, width, lrn=True),
    }
    model = builders[name]()
    _randomise_batchnorm(model)
    return model.eval()


def _randomise_batchnorm(model: nn.Module) -> None:
    """Non-trivial BN statistics, so that folding them is tested (fresh BN layers are the identity)."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


NAMES = [n for n in CIFAR_WIDTH]
CIFAR_WIDTH["alexnet_lrn"] = 0.25
