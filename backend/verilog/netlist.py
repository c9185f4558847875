"""The unrolled design being built: a signal per dataflow value, a register stage per layer.

Every value of the network is one flat Verilog vector: element `e` (the
stream's raster order, HWC) occupies bits `[e*W +: W]`.  Each op's emitter
(`VERILOG_EMITTERS`, one module per op family) computes its results from its
operands' signals as continuous logic and hands them to `register`, which
puts a register stage after the layer: the design takes a frame per clock,
with one cycle of latency per layer (LUTNet's unrolled architecture).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType, Signedness
from xdsl.ir import Operation, SSAValue

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects.errors import FpgaOptError


@dataclass(frozen=True)
class Signal:
    """A value of the network as a Verilog vector of `count` elements of `width` bits."""

    name: str
    width: int
    signed: bool
    count: int

    def elem(self, index: int) -> str:
        """The Verilog expression of element `index`."""
        if self.width == 1:
            return f"{self.name}[{index}]"
        return f"{self.name}[{index * self.width} +: {self.width}]"

    @property
    def bits(self) -> int:
        return self.width * self.count


def element_format(t: df.StreamType, where: str) -> tuple[int, bool]:
    """(bits, signed) of a stream's elements; the unrolled backend has no floats."""
    e = t.element_type
    if not isinstance(e, IntegerType):
        raise FpgaOptError(f"{where}: the unrolled Verilog backend needs integer streams, got {e}")
    return e.width.data, e.signedness.data != Signedness.UNSIGNED


@dataclass
class Netlist:
    """The Verilog of one network under construction."""

    func_op: func.FuncOp
    weights: object
    """The module's `WeightStore` (or any name -> array mapping)."""
    body: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    """Sub-modules (one per output element of a binarised layer), before the top module."""
    signals: dict[SSAValue, Signal] = field(default_factory=dict)
    used_names: set[str] = field(default_factory=set)
    stages: int = 0
    """Register stages on the longest path so far (the design's latency in clocks)."""
    depth: dict[SSAValue, int] = field(default_factory=dict)

    def fresh(self, text: str) -> str:
        base = "".join(ch if ch.isalnum() else "_" for ch in text).strip("_") or "v"
        if base[0].isdigit():
            base = "l" + base
        name, n = base, 1
        while name in self.used_names:
            n += 1
            name = f"{base}_{n}"
        self.used_names.add(name)
        return name

    def signal(self, value: SSAValue) -> Signal:
        return self.signals[value]

    def alias(self, value: SSAValue, signal: Signal, depth: int) -> None:
        """`value` is carried by an existing signal (a fork, a FIFO: plain wires)."""
        self.signals[value] = signal
        self.depth[value] = depth

    def register(self, op: Operation, result: SSAValue, exprs: Sequence[str], where: str) -> None:
        """The layer's result, one expression per element, behind a register stage."""
        t = result.type
        assert isinstance(t, df.StreamType)
        width, signed = element_format(t, where)
        if len(exprs) != t.numel:  # pragma: no cover - an emitter bug
            raise AssertionError(f"{where}: {len(exprs)} expressions for {t.numel} elements")
        name = self.fresh(getattr(op, "layer_name", op.name))
        sig = Signal(name, width, signed, t.numel)
        self.body.append(f"  reg {'signed ' if signed else ''}[{sig.bits - 1}:0] {name};")
        self.body.append("  always @(posedge clk) begin")
        for e, expr in enumerate(exprs):
            self.body.append(f"    {sig.elem(e)} <= {expr};")
        self.body.append("  end")
        depth = 1 + max((self.depth.get(v, 0) for v in op.operands), default=0)
        self.signals[result] = sig
        self.depth[result] = depth
        self.stages = max(self.stages, depth)

    def wire(self, name_hint: str, width: int, expr: str, signed: bool = False) -> str:
        """A named continuous assignment (for sharing a sub-expression); returns its name."""
        name = self.fresh(name_hint)
        self.body.append(f"  wire {'signed ' if signed else ''}[{width - 1}:0] {name} = {expr};")
        return name


@dataclass
class Unit:
    """One output element's logic as its own module (synthesis maps each separately, as a designer's
    hierarchy would keep it): it reads the whole input vector `x` and drives `y`."""

    name: str
    x: Signal
    """The input vector as seen inside the module (named `x`)."""
    lines: list[str] = field(default_factory=list)
    counter: int = 0

    def wire(self, hint: str, width: int, expr: str, signed: bool = False) -> str:
        self.counter += 1
        name = f"{hint}{self.counter}"
        self.lines.append(f"  wire {'signed ' if signed else ''}[{width - 1}:0] {name} = {expr};")
        return name


def open_unit(net: Netlist, hint: str, x: Signal) -> Unit:
    return Unit(net.fresh(hint), Signal("x", x.width, x.signed, x.count))


def close_unit(net: Netlist, unit: Unit, x: Signal, result: str, width: int, signed: bool) -> str:
    """Write the unit's module; instantiate it in the top; the wire carrying its result."""
    net.modules.append(
        "\n".join(
            [
                f"module {unit.name} (input [{x.bits - 1}:0] x, output {'signed ' if signed else ''}[{width - 1}:0] y);",
                *unit.lines,
                f"  assign y = {result};",
                "endmodule",
                "",
            ]
        )
    )
    out = net.fresh(f"{unit.name}_y")
    net.body.append(f"  wire {'signed ' if signed else ''}[{width - 1}:0] {out};")
    net.body.append(f"  {unit.name} {unit.name}_i (.x({x.name}), .y({out}));")
    return out


def popcount_width(n: int) -> int:
    """Bits of a count of up to `n` ones."""
    return max(1, n.bit_length())


def popcount(unit: Unit, terms: Sequence[str]) -> tuple[str, int]:
    """A wire counting the 1-bit `terms` (an adder tree, left to synthesis); (name, width)."""
    width = popcount_width(len(terms))
    if not terms:
        return f"{width}'d0", width
    return unit.wire("count", width, " + ".join(terms)), width


def binary_result(count: str, width: int, n: int, threshold: int | None, out_width: int) -> str:
    """A binarised layer's output from its popcount: the bit `count >= t`, or the dot product `2*count - n`."""
    if threshold is not None:
        if threshold <= 0:
            return "1'b1"
        if threshold > n:
            return "1'b0"
        return f"({count} >= {width}'d{threshold})"
    # 2*count - n in width + 2 bits, sign-extended: the upper bits are copies of one bit
    return f"($signed({{1'b0, {count}, 1'b0}}) - {width + 2}'sd{n})"
