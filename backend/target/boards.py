"""FPGA boards: the resource budget, clock and memory bandwidth a design is sized for.

A `Board` is plain data.  The folding search asks it how many DSPs, RAMB18s,
URAMs, LUTs and FFs there are, at which clock the HLS design is targeted, how
much off-chip bandwidth is available, and which DSP slice the family has
(DSP48E2 on UltraScale/UltraScale+, which can pack two int8 multiplies sharing
an operand into one slice; DSP48E1 on 7-series, which cannot).

Built-in boards are keyed by a short name (`kv260`, `ultra96v2`, `zcu102`,
`zc706`, `pynqz2`, `u250`); `get_board` also accepts common aliases.  Other
boards are described in a small TOML file read by `load_board_file` (see
`examples/boards/my_board.toml`).  Numbers and their sources are in
`docs/cost_model.md`.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xdsl.dialects.builtin import FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64
from xdsl.ir import Attribute

from fpga_opt.backend.target.resources import Resources
from fpga_opt.dialects.errors import FpgaOptError

DSP48E1 = "DSP48E1"
DSP48E2 = "DSP48E2"


@dataclass(frozen=True)
class FamilyInfo:
    """What a device family implies for the cost model."""

    name: str
    dsp_type: str
    has_uram: bool


# Canonical family name -> its DSP slice and whether it can have UltraRAM.
FAMILIES: Mapping[str, FamilyInfo] = MappingProxyType(
    {
        f.name: f
        for f in (
            FamilyInfo("zynq-7000", DSP48E1, False),
            FamilyInfo("spartan-7", DSP48E1, False),
            FamilyInfo("artix-7", DSP48E1, False),
            FamilyInfo("kintex-7", DSP48E1, False),
            FamilyInfo("virtex-7", DSP48E1, False),
            FamilyInfo("kintex-ultrascale", DSP48E2, False),
            FamilyInfo("virtex-ultrascale", DSP48E2, False),
            FamilyInfo("zynq-ultrascale+", DSP48E2, True),
            FamilyInfo("artix-ultrascale+", DSP48E2, True),
            FamilyInfo("kintex-ultrascale+", DSP48E2, True),
            FamilyInfo("virtex-ultrascale+", DSP48E2, True),
        )
    }
)

_FAMILY_ALIASES = {
    "zynq7000": "zynq-7000",
    "zynq-7": "zynq-7000",
    "zynq7": "zynq-7000",
    "zynqmp": "zynq-ultrascale+",
    "mpsoc": "zynq-ultrascale+",
    "zynq-mpsoc": "zynq-ultrascale+",
    "zynq-ultrascale": "zynq-ultrascale+",  # there is no Zynq UltraScale without the +
    "alveo": "virtex-ultrascale+",
}


def canonical_family(family: str) -> str | None:
    """The canonical family name for a spelling such as "Zynq UltraScale+" or "zynqmp"."""
    key = re.sub(r"[\s_]+", "-", family.strip().lower()).replace("-plus", "+").replace("plus", "+")
    key = _FAMILY_ALIASES.get(key, key)
    return key if key in FAMILIES else None


@dataclass(frozen=True)
class Board:
    """One FPGA board: resource totals, target clock and off-chip bandwidth.

    `bram18` counts 18 Kb block RAMs (a RAMB36 is two), `uram` 288 Kb
    UltraRAMs, `lut` 6-input LUTs and `ff` flip-flops.  `clock_mhz` is the
    clock the HLS design is targeted at (not the device maximum) and
    `bandwidth_gbps` the peak off-chip DRAM bandwidth in GB/s (10^9 bytes/s).
    `dsp_type` is "DSP48E1" or "DSP48E2"; it follows from `family`.
    """

    name: str
    part: str
    family: str
    dsp: int
    bram18: int
    uram: int
    lut: int
    ff: int
    clock_mhz: float
    bandwidth_gbps: float
    dsp_type: str = ""
    bitstream_bits: int = 0
    """Full bitstream length in bits (0: the part's figure, backend/target/offchip.py)."""
    config_gbps: float = 0.0
    """Configuration port bandwidth in Gb/s (0: the part's figure)."""
    dram_efficiency: float = 0.0
    """Sustained fraction of bandwidth_gbps (0: offchip.DRAM_EFFICIENCY)."""

    def __post_init__(self) -> None:
        family = canonical_family(self.family)
        if family is None:
            raise ValueError(f"unknown device family '{self.family}'")
        object.__setattr__(self, "family", family)
        if not self.dsp_type:
            object.__setattr__(self, "dsp_type", FAMILIES[family].dsp_type)
        if self.dsp_type not in (DSP48E1, DSP48E2):
            raise ValueError(f"unknown DSP type '{self.dsp_type}'")

    @property
    def int8_packing(self) -> bool:
        """Whether one DSP can compute two int8 products sharing an operand (WP486)."""
        return self.dsp_type == DSP48E2

    @property
    def multiplier_width(self) -> tuple[int, int]:
        """Signed operand widths of one DSP multiplier: 27x18 (DSP48E2) or 25x18 (DSP48E1)."""
        return (27, 18) if self.dsp_type == DSP48E2 else (25, 18)

    @property
    def resources(self) -> Resources:
        """The board's totals as a `Resources`."""
        return Resources(dsp=self.dsp, bram18=self.bram18, uram=self.uram, lut=self.lut, ff=self.ff)

    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6


# --------------------------------------------------------------------------------------
# Built-in boards.  Resource counts from the device data sheets (DS891 Zynq UltraScale+,
# DS987 K26 SOM, DS190 Zynq-7000, DS962 Alveo U250); bandwidth is the peak of the DRAM
# attached to the processing system (or the card), see docs/cost_model.md.
# --------------------------------------------------------------------------------------

_BUILTIN = (
    Board(
        name="kv260",
        part="xck26-sfvc784-2LV-c",
        family="zynq-ultrascale+",
        dsp=1248,
        bram18=288,
        uram=64,
        lut=117_120,
        ff=234_240,
        clock_mhz=250.0,
        bandwidth_gbps=19.2,  # 64-bit DDR4-2400 on the K26 SOM
    ),
    Board(
        name="ultra96v2",
        part="xczu3eg-sbva484-1-e",
        family="zynq-ultrascale+",
        dsp=360,
        bram18=432,
        uram=0,
        lut=70_560,
        ff=141_120,
        clock_mhz=200.0,
        bandwidth_gbps=8.5,  # 32-bit LPDDR4 at 2133 MT/s (estimate, see docs)
    ),
    Board(
        name="zcu102",
        part="xczu9eg-ffvb1156-2-e",
        family="zynq-ultrascale+",
        dsp=2520,
        bram18=1824,
        uram=0,
        lut=274_080,
        ff=548_160,
        clock_mhz=250.0,
        bandwidth_gbps=19.2,  # PS 64-bit DDR4 SODIMM at 2400 MT/s
    ),
    Board(
        name="zc706",
        part="xc7z045ffg900-2",
        family="zynq-7000",
        dsp=900,
        bram18=1090,
        uram=0,
        lut=218_600,
        ff=437_200,
        clock_mhz=150.0,
        bandwidth_gbps=4.26,  # PS 32-bit DDR3-1066
    ),
    Board(
        name="pynqz2",
        part="xc7z020clg400-1",
        family="zynq-7000",
        dsp=220,
        bram18=280,
        uram=0,
        lut=53_200,
        ff=106_400,
        clock_mhz=100.0,
        bandwidth_gbps=2.1,  # 16-bit DDR3 at 1050 MT/s
    ),
    Board(
        name="u250",
        part="xcu250-figd2104-2L-e",
        family="virtex-ultrascale+",
        dsp=12_288,
        bram18=5376,
        uram=1280,
        lut=1_728_000,
        ff=3_456_000,
        clock_mhz=300.0,
        bandwidth_gbps=77.0,  # 4 x 64-bit DDR4-2400 channels
    ),
)

BOARDS: Mapping[str, Board] = MappingProxyType({b.name: b for b in _BUILTIN})

# Aliases after normalisation (lower case, without '-', '_', ' ' and '.').
_ALIASES = {
    "k26": "kv260",
    "xck26": "kv260",
    "kria": "kv260",
    "kriakv260": "kv260",
    "ultra96": "ultra96v2",
    "u96": "ultra96v2",
    "u96v2": "ultra96v2",
    "xczu3eg": "ultra96v2",
    "xczu9eg": "zcu102",
    "xc7z045": "zc706",
    "pynq": "pynqz2",
    "xc7z020": "pynqz2",
    "alveou250": "u250",
    "xcu250": "u250",
}


def _normalise(name: str) -> str:
    return re.sub(r"[\s_.\-]+", "", name.strip().lower())


def known_boards() -> list[str]:
    """The short names of the built-in boards, sorted."""
    return sorted(BOARDS)


def get_board(name: str) -> Board:
    """The built-in board called `name` (case-insensitive; aliases such as "k26", "pynq-z2")."""
    key = _normalise(name)
    key = _ALIASES.get(key, key)
    board = BOARDS.get(key)
    if board is None:
        raise FpgaOptError(
            f"unknown board '{name}': known boards are {', '.join(known_boards())} "
            "(or give the path of a .toml board file)"
        )
    return board


def resolve_board(spec: str) -> Board:
    """A board from a pass option: a built-in name, or the path of a `.toml` board file."""
    if spec.lower().endswith(".toml") or "/" in spec or Path(spec).is_file():
        return load_board_file(spec)
    return get_board(spec)


# --------------------------------------------------------------------------------------
# Board files
# --------------------------------------------------------------------------------------

_STR_KEYS = ("name", "part", "family")
_INT_KEYS = ("dsp", "bram18", "uram", "lut", "ff")
_FLOAT_KEYS = ("clock_mhz", "bandwidth_gbps")

# The board-file schema's sane ranges, with units.  They are generous: about ten times the largest
# built-in board (U250: 12,288 DSP, 5,376 BRAM18, 1,280 URAM, 1.73 M LUT, 3.46 M FF, 77 GB/s) and
# the clocks HLS designs run at; they catch unit mistakes (Hz for MHz, bits for GB/s) and typos,
# not real devices.  docs/reliability.md lists them.
BOARD_RANGES: Mapping[str, tuple[float, float, str]] = MappingProxyType(
    {
        "dsp": (0, 200_000, "DSP slices"),
        "bram18": (0, 100_000, "18 Kb block RAMs"),
        "uram": (0, 20_000, "288 Kb UltraRAMs"),
        "lut": (1, 20_000_000, "6-input LUTs"),
        "ff": (1, 40_000_000, "flip-flops"),
        "clock_mhz": (1.0, 2000.0, "MHz"),
        "bandwidth_gbps": (0.01, 10_000.0, "GB/s"),
    }
)
_OPTIONAL_KEYS = ("base", "dsp_type")
#: Optional figures for designs larger than the chip (backend/target/offchip.py); 0 means the part's default.
_OFFCHIP_KEYS = {"bitstream_bits": int, "config_gbps": float, "dram_efficiency": float}
_ALL_KEYS = _STR_KEYS + _INT_KEYS + _FLOAT_KEYS + _OPTIONAL_KEYS + tuple(_OFFCHIP_KEYS)


def load_board_file(path: str | Path) -> Board:
    """Read a board from a TOML file; every problem is an `FpgaOptError` naming file and key.

    Keys: name, part, family (strings); dsp, bram18, uram, lut, ff (integers);
    clock_mhz, bandwidth_gbps (numbers); each number within `BOARD_RANGES`.  Optional: `base = "<built-in board>"`
    to start from a built-in board and override only the keys given, and
    `dsp_type` ("DSP48E1"/"DSP48E2") to override what the family implies.
    """
    where = f"board file '{path}'"
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise FpgaOptError(f"{where}: not valid TOML: {e}") from None
    except OSError as e:
        raise FpgaOptError(f"{where}: cannot read it: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise FpgaOptError(f"{where}: not valid TOML: not UTF-8 text ({e.reason})") from None

    unknown = sorted(set(data) - set(_ALL_KEYS))
    if unknown:
        raise FpgaOptError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(_ALL_KEYS)})")

    values: dict[str, Any] = {}
    if "base" in data:
        base = data["base"]
        if not isinstance(base, str):
            raise FpgaOptError(f"{where}: key 'base': expected a board name (string), got {_describe(base)}")
        try:
            base_board = get_board(base)
        except FpgaOptError as e:
            raise FpgaOptError(f"{where}: key 'base': {e}") from None
        values = {f.name: getattr(base_board, f.name) for f in fields(Board)}
        if "family" in data and "dsp_type" not in data:
            values["dsp_type"] = ""  # re-derive from the new family

    for key in _STR_KEYS + ("dsp_type",):
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip():
                raise FpgaOptError(f"{where}: key '{key}': expected a non-empty string, got {_describe(value)}")
            values[key] = value.strip()
    for key in _INT_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise FpgaOptError(f"{where}: key '{key}': expected an integer, got {_describe(value)}")
            _check_board_range(where, key, value)
            values[key] = value
    for key in _FLOAT_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise FpgaOptError(f"{where}: key '{key}': expected a number, got {_describe(value)}")
            _check_board_range(where, key, value)
            values[key] = float(value)

    for key, kind in _OFFCHIP_KEYS.items():
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
                raise FpgaOptError(f"{where}: key '{key}': expected {'an integer' if kind is int else 'a number'}, got {_describe(value)}")
            if not math.isfinite(value) or value <= 0 or (key == "dram_efficiency" and value > 1):
                bound = "a number in (0, 1]" if key == "dram_efficiency" else "a positive number"
                raise FpgaOptError(f"{where}: key '{key}': must be {bound}, got {value}")
            values[key] = kind(value)
        else:
            values.setdefault(key, kind(0))

    for key in _STR_KEYS + _INT_KEYS + _FLOAT_KEYS:
        if key not in values:
            raise FpgaOptError(f"{where}: missing key '{key}' (or give 'base' = a built-in board)")

    family = canonical_family(values["family"])
    if family is None:
        raise FpgaOptError(
            f"{where}: key 'family': unknown device family '{values['family']}' (known: {', '.join(FAMILIES)})"
        )
    values["family"] = family
    dsp_type = values.get("dsp_type") or FAMILIES[family].dsp_type
    if dsp_type.upper() not in (DSP48E1, DSP48E2):
        raise FpgaOptError(f"{where}: key 'dsp_type': expected DSP48E1 or DSP48E2, got '{dsp_type}'")
    values["dsp_type"] = dsp_type.upper()
    if values["uram"] > 0 and not FAMILIES[family].has_uram:
        raise FpgaOptError(f"{where}: key 'uram': family {family} has no UltraRAM, but uram = {values['uram']}")
    return Board(**{f.name: values[f.name] for f in fields(Board)})


def _check_board_range(where: str, key: str, value: float) -> None:
    low, high, unit = BOARD_RANGES[key]
    if not (math.isfinite(value) and low <= value <= high):
        raise FpgaOptError(f"{where}: key '{key}' = {value:g} is outside the sane range {low:,g} to {high:,g} ({unit})")


def with_clock(board: Board, clock_mhz: float) -> Board:
    """The same board targeted at another clock (e.g. from a pass option), within the schema's range."""
    low, high, unit = BOARD_RANGES["clock_mhz"]
    if not (math.isfinite(clock_mhz) and low <= clock_mhz <= high):
        raise FpgaOptError(f"clock-mhz = {clock_mhz:g} is outside the sane range {low:,g} to {high:,g} ({unit})")
    return replace(board, clock_mhz=float(clock_mhz))


def _describe(value: object) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} ({text})"


# --------------------------------------------------------------------------
# The target of a module: one resolution for every pass and tool
# --------------------------------------------------------------------------

BOARD_ATTR = "dataflow.board"
BOARD_FILE_ATTR = "dataflow.board_file"
CLOCK_ATTR = "dataflow.clock_mhz"
DEFAULT_BOARD = "kv260"


def number(attr: Attribute | None) -> float | None:
    """The value of an integer or float attribute, else None."""
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    if isinstance(attr, FloatAttr):
        return attr.value.data
    return None


def resolve_target(module: ModuleOp, board: str, board_file: str, clock_mhz: float, what: str) -> tuple[Board, str]:
    """The board (at its clock) a pass targets, and how to name it again (a name or a file path).

    Precedence: `board-file`, `board`, the module's `dataflow.board_file`,
    its `dataflow.board`, then KV260.  Clock: `clock-mhz` if > 0, else the
    module's `dataflow.clock_mhz`, else the board's default.
    """
    try:
        if board_file:
            spec, resolved = board_file, load_board_file(board_file)
        elif board:
            spec, resolved = board, resolve_board(board)
        elif isinstance(module.attributes.get(BOARD_FILE_ATTR), StringAttr):
            spec = module.attributes[BOARD_FILE_ATTR].data  # type: ignore[union-attr]
            resolved = load_board_file(spec)
        elif isinstance(module.attributes.get(BOARD_ATTR), StringAttr):
            spec = module.attributes[BOARD_ATTR].data  # type: ignore[union-attr]
            resolved = get_board(spec)
        else:
            spec, resolved = DEFAULT_BOARD, get_board(DEFAULT_BOARD)
    except FpgaOptError as error:
        raise FpgaOptError(f"{what}: {error}") from None
    if clock_mhz < 0:
        raise FpgaOptError(f"{what}: clock-mhz must be positive (or 0 for the default), got {clock_mhz}")
    if clock_mhz == 0:
        clock = number(module.attributes.get(CLOCK_ATTR))
        if clock is not None and clock > 0:
            clock_mhz = clock
    if clock_mhz > 0:
        try:
            resolved = with_clock(resolved, clock_mhz)
        except FpgaOptError as error:
            raise FpgaOptError(f"{what}: {error}") from None
    return resolved, spec


def write_target(module: ModuleOp, board: Board, spec: str) -> None:
    """Record the board (by name, or by file) and the clock on the module."""
    module.attributes[BOARD_ATTR] = StringAttr(board.name)
    is_file = spec.lower().endswith(".toml") or "/" in spec
    if is_file:
        module.attributes[BOARD_FILE_ATTR] = StringAttr(spec)
    elif BOARD_FILE_ATTR in module.attributes:
        del module.attributes[BOARD_FILE_ATTR]
    module.attributes[CLOCK_ATTR] = FloatAttr(float(board.clock_mhz), f64)
