"""The design space: genes, their choices, and how a gene vector becomes a candidate's settings.

Every gene is an integer index into a list of choices (pymoo's integer variables), so the
space is a box and a candidate is a tuple of ints, hashable and cheap to ship to a worker.

Genes, in order:

* for each layer (Conv/Gemm/MatMul of a float model): weight bits, activation bits (2-8);
  with a model builder, one weight and one activation bit width for every layer instead
  (the number of layers changes with the topology);
* the board (when several are given), the clock (MHz), and the resource budget `max-util`
  of select-folding, which runs as the inner step and chooses the folding for the
  highest throughput within that budget;
* for each layer with weights, when per-layer parallelism is on (`parallelism.py`): its
  parallelism, a speed-up over its smallest folding that select-folding pins it to, or 0 to let
  select-folding choose (every layer 0 is the reference design: select-folding alone);
* the builder's topology knobs (width multiplier, depth, kernel size, ...);
* for an early-exit network (one graph output per exit), the confidence threshold of each early
  exit (a sample leaves at the first exit whose top softmax probability reaches it).

A quantised input model has no bit-width genes (it cannot be re-quantised without its float
weights); its bit widths are what it was quantised to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fpga_opt.dialects.errors import FpgaOptError

BIT_CHOICES = (2, 3, 4, 5, 6, 7, 8)
#: Fractions of the board a design may use (select-folding's max-util): from a sliver to the
#: default 85% (docs/passes/folding.md).
BUDGET_CHOICES = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85)
#: Clock choices as fractions of the board's default clock (HLS designs close timing at or
#: below the board's target clock; slower clocks trade throughput for power).
CLOCK_FRACTIONS = (0.4, 0.6, 0.8, 1.0)
#: Exit thresholds: fpga-compile's own choices when it picks them (tools/compile_exits.py, DEFAULT_SETTINGS).
THRESHOLD_CHOICES = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999)


@dataclass(frozen=True)
class Gene:
    name: str
    choices: tuple

    def decode(self, index: int):
        return self.choices[int(index)]


@dataclass(frozen=True)
class Space:
    """The genes of one exploration."""

    genes: tuple[Gene, ...]
    layers: tuple[str, ...] = ()
    uniform_bits: bool = False
    fixed: Mapping[str, object] = field(default_factory=dict)
    folded: tuple[str, ...] = ()
    """select-folding's layers in its order (per-layer parallelism genes `par.<layer>` for some of them)."""
    tied: tuple[str, ...] = ()
    """Layers sharing the first one's activation bits (an early-exit network's last layers: one merged
    output stream, one element type); only the first has an activation gene."""

    @property
    def size(self) -> int:
        return len(self.genes)

    def bounds(self) -> tuple[list[int], list[int]]:
        return [0] * self.size, [len(g.choices) - 1 for g in self.genes]

    def reference(self) -> tuple[int, ...]:
        """The baseline design every search starts from: the widest bits, the highest clock and
        budget, the first board and the builder's default knobs (the design select-folding alone
        would make); for early exits, the highest threshold (the fewest samples leave early)."""
        genes = []
        for g in self.genes:
            if g.name.startswith(("bits.", "threshold.")) or g.name in ("clock_mhz", "clock_fraction", "max_util"):
                genes.append(max(range(len(g.choices)), key=lambda i: g.choices[i]))
            else:
                genes.append(0)
        return tuple(genes)

    def cardinality(self) -> int:
        n = 1
        for g in self.genes:
            n *= len(g.choices)
        return n

    def _activation_of(self, layer: str) -> str:
        return self.tied[0] if layer in self.tied else layer

    def decode(self, x: Sequence[int]) -> dict:
        """Settings of a gene vector: board, clock_mhz or clock_fraction, max_util, bits {layer: [w, a]}, knobs {}."""
        values = {g.name: g.decode(i) for g, i in zip(self.genes, x, strict=True)}
        settings: dict = {"board": values.get("board", self.fixed.get("board"))}
        for key in ("clock_mhz", "clock_fraction"):
            if key in values or key in self.fixed:
                settings[key] = values.get(key, self.fixed.get(key))
        settings["max_util"] = values.get("max_util", self.fixed.get("max_util"))
        if self.uniform_bits and "bits.w" in values:
            settings["bits"] = {"*": [values["bits.w"], values["bits.a"]]}
        elif self.layers:
            settings["bits"] = {
                layer: [values[f"bits.{layer}.w"], values[f"bits.{self._activation_of(layer)}.a"]]
                for layer in self.layers
            }
        if self.folded:
            settings["parallelism"] = [int(values.get(f"par.{layer}", 0)) for layer in self.folded]
        thresholds = [values[g.name] for g in self.genes if g.name.startswith("threshold.")]
        if thresholds:
            settings["thresholds"] = thresholds
        knobs = {g.name.removeprefix("knob."): values[g.name] for g in self.genes if g.name.startswith("knob.")}
        if knobs:
            settings["knobs"] = knobs
        return settings


def clock_choices(
    given: Sequence[float] | None, fractions: Sequence[float] = CLOCK_FRACTIONS
) -> tuple[str, tuple[float, ...]]:
    """("clock_mhz", the clocks given) or ("clock_fraction", fractions of each board's default clock)."""
    if given:
        if any(c <= 0 for c in given):
            raise FpgaOptError(f"--clocks: every clock must be positive, got {list(given)}")
        return "clock_mhz", tuple(sorted({float(c) for c in given}))
    return "clock_fraction", tuple(fractions)


def build_space(
    *,
    boards: Sequence[str],
    clocks: Sequence[float] | None,
    layers: Sequence[str],
    bit_choices: Sequence[int] = BIT_CHOICES,
    budgets: Sequence[float] = BUDGET_CHOICES,
    knobs: Mapping[str, Sequence] | None = None,
    early_exits: int = 0,
    thresholds: Sequence[float] = THRESHOLD_CHOICES,
    clock_fractions: Sequence[float] = CLOCK_FRACTIONS,
    tied: Sequence[str] = (),
    folded: Sequence = (),
) -> Space:
    """The genes for these boards, layers (empty: no bit-width genes), builder knobs, early exits and
    folded layers (`parallelism.FoldedLayer`s; empty: select-folding chooses every layer's folding)."""
    bad = [b for b in bit_choices if not 2 <= b <= 8]
    if bad:
        raise FpgaOptError(f"--bits: bit widths must be in [2, 8], got {bad}")
    genes: list[Gene] = []
    bits = tuple(sorted(set(bit_choices)))
    uniform = knobs is not None and bool(knobs)
    if uniform:
        genes += [Gene("bits.w", bits), Gene("bits.a", bits)]
    else:
        for layer in layers:
            genes.append(Gene(f"bits.{layer}.w", bits))
            if layer not in tied[1:]:
                genes.append(Gene(f"bits.{layer}.a", bits))
    fixed: dict = {}
    if len(boards) > 1:
        genes.append(Gene("board", tuple(boards)))
    else:
        fixed["board"] = boards[0]
    clock_name, clock_set = clock_choices(clocks, clock_fractions)
    if len(clock_set) > 1:
        genes.append(Gene(clock_name, clock_set))
    else:
        fixed[clock_name] = clock_set[0]
    genes.append(Gene("max_util", tuple(budgets)))
    for layer in folded:
        if layer.gene:
            genes.append(Gene(f"par.{layer.name}", layer.choices()))
    for name, values in (knobs or {}).items():
        genes.append(Gene(f"knob.{name}", tuple(values)))
    bad = [t for t in thresholds if not 0 < t < 1]
    if bad:
        raise FpgaOptError(f"--thresholds: exit thresholds must be in (0, 1), got {bad}")
    for k in range(early_exits):
        genes.append(Gene(f"threshold.{k}", tuple(sorted(set(thresholds)))))
    return Space(tuple(genes), tuple(layers), uniform, fixed, tuple(layer.name for layer in folded), tuple(tied))
