"""What a board offers a design larger than its chip: DRAM bandwidth and reconfiguration time.

* **DRAM.**  Every byte a design moves off chip (network input and output,
  streamed weights, partition feature maps) shares the board's peak
  `bandwidth_gbps`, derated by `dram_efficiency`: the fraction of the peak a
  DDR controller sustains.  Default 0.75: Xilinx's planning figure for the
  Zynq PS DDR controller ("designed to have a maximum efficiency of
  approximately 75%", UG585 Zynq-7000 TRM, section 22.3.2 "DDR Efficiency",
  whose measured sequential read+write mixes reach 87%).  A board file may set
  its own (`dram_efficiency = 0.85`).
* **Reconfiguration.**  Partitions run one after another with the device
  reconfigured between them: time = full bitstream bits / configuration-port
  bandwidth.  Bitstream lengths: UG470 Table 1-1 (7-series/Zynq-7000) and
  UG570 Table 1-4 (UltraScale+; the Zynq UltraScale+ rows are as remembered
  from the table, not re-checked here: see docs/passes/offchip.md).  Port:
  the configuration engine's maximum bandwidth, UG909 Tables 1 and 3
  (ICAP/PCAP 32 bits: 3.2 Gb/s on 7-series at 100 MHz, 6.4 Gb/s on
  UltraScale+ at 200 MHz).  A board file may set `bitstream_bits` and
  `config_gbps`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpga_opt.backend.target.boards import Board

#: Sustained fraction of the DRAM peak (UG585 section 22.3.2, "approximately 75%").
DRAM_EFFICIENCY = 0.75


@dataclass(frozen=True)
class PartFigures:
    """A device's full bitstream and configuration port, with where the numbers come from."""

    bitstream_bits: int
    config_gbps: float
    port: str
    source: str


#: Part-number prefix -> figures (the longest matching prefix wins).
PART_FIGURES: dict[str, PartFigures] = {
    "xc7z020": PartFigures(32_364_512, 3.2, "PCAP/ICAP 32 bit @ 100 MHz", "UG470 Table 1-1; UG909 Table 1"),
    "xc7z045": PartFigures(106_571_232, 3.2, "PCAP/ICAP 32 bit @ 100 MHz", "UG470 Table 1-1; UG909 Table 1"),
    "xczu3eg": PartFigures(44_549_344, 6.4, "PCAP/ICAP 32 bit @ 200 MHz", "UG570 Table 1-4 (ZU2/ZU3); UG909 Table 3"),
    "xck26": PartFigures(
        59_672_928, 6.4, "PCAP/ICAP 32 bit @ 200 MHz", "UG570 Table 1-4 (ZU4/ZU5, the K26 die); UG909 Table 3"
    ),
    "xczu9eg": PartFigures(212_086_880, 6.4, "PCAP/ICAP 32 bit @ 200 MHz", "UG570 Table 1-4 (ZU6/ZU9); UG909 Table 3"),
    "xcu250": PartFigures(
        883_282_848, 4.0, "MCAP/ICAP 32 bit @ 125 MHz (SSI)", "UG570 Table 1-4 (VU13P die); UG909 Table 3"
    ),
}


def part_figures(board: Board) -> PartFigures | None:
    """The figures of the board's part (None for a part this table does not know)."""
    part = board.part.lower()
    best = None
    for prefix, figures in PART_FIGURES.items():
        if part.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, figures)
    return best[1] if best else None


def bitstream_bits(board: Board) -> int | None:
    """Full bitstream length in bits: the board's own, else its part's."""
    own = getattr(board, "bitstream_bits", 0)
    if own:
        return int(own)
    figures = part_figures(board)
    return figures.bitstream_bits if figures else None


def config_gbps(board: Board) -> float | None:
    """Configuration port bandwidth in Gb/s: the board's own, else its part's."""
    own = getattr(board, "config_gbps", 0.0)
    if own:
        return float(own)
    figures = part_figures(board)
    return figures.config_gbps if figures else None


def reconfiguration_seconds(board: Board) -> float:
    """Seconds to load a full bitstream: bits / (Gb/s * 1e9).  Raises for an unknown part."""
    from fpga_opt.dialects.errors import FpgaOptError

    bits, gbps = bitstream_bits(board), config_gbps(board)
    if not bits or not gbps:
        raise FpgaOptError(
            f"board '{board.name}' ({board.part}): no bitstream size or configuration bandwidth known; "
            "give bitstream_bits and config_gbps in its board file"
        )
    return bits / (gbps * 1e9)


def reconfiguration_cycles(board: Board) -> int:
    """Reconfiguration time in cycles of the design clock."""
    return round(reconfiguration_seconds(board) * board.clock_hz)


def dram_efficiency(board: Board) -> float:
    own = getattr(board, "dram_efficiency", 0.0)
    return float(own) if own else DRAM_EFFICIENCY


def dram_bytes_per_cycle(board: Board) -> float:
    """Sustained DRAM bytes per design clock cycle: bandwidth_gbps * 1e9 * efficiency / clock."""
    return board.bandwidth_gbps * 1e9 * dram_efficiency(board) / board.clock_hz


def dram_gbps(board: Board) -> float:
    """Sustained DRAM bandwidth in GB/s (peak * efficiency)."""
    return board.bandwidth_gbps * dram_efficiency(board)
