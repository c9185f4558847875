"""Power and energy per inference of a design: static + dynamic per resource type and clock.

A first-order CMOS model, for ranking designs against each other (fpga-explore's
power and energy objectives, fpga-report's power lines), not a sign-off
figure: Vivado's `report_power` on a routed design is that.

    P_dynamic = V^2 * f * sum_r  n_r * C_r * a_r          (per resource type r)
    P_static  = LEAK_PER_LUT_SITE * (LUTs of the device)  (the whole part leaks, used or not)
    E/frame   = (P_static + P_dynamic) / frames per second

`n_r` is the design's count of DSPs, RAMB18s, URAMs, LUTs and FFs (the cost
models' `Resources`), `f` the clock, `V` the core supply of the family, `a_r`
the toggle rate (fraction of cycles a node switches) and `C_r` the switched
capacitance of one resource at the family's process node.  Capacitances are
measured figures at an older node scaled to the target node by feature size
(constant-field scaling: C ~ L), as docs/explore.md derives; each constant
below names its source.  Every figure is a constructor argument of
`PowerModel`, so a user with Vivado power reports can replace them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpga_opt.backend.target.boards import Board
from fpga_opt.backend.target.resources import Resources

# --------------------------------------------------------------------------------------
# Measured switched capacitances (farads) and the node (nm) they were measured at.
# --------------------------------------------------------------------------------------

#: One LUT (4-input) with its local routing: 0.97 pF, Virtex-E (180 nm, 1.8 V), from Xilinx's
#: XPower calculator ("FPGA Power Calculations", B. Reese, Mississippi State Univ., 2000).
LUT_CAPACITANCE_F, LUT_CAPACITANCE_NODE_NM = 0.97e-12, 180
#: One flip-flop including its share of the clock tree: 0.185 pF, same source and node.
FF_CAPACITANCE_F, FF_CAPACITANCE_NODE_NM = 0.185e-12, 180
#: One RAMB18: Xilinx DS512 (Block Memory Generator v6.1), Table 41: a 2K x 36 true dual-port
#: memory (4 RAMB18, "minimum area") takes 39 mW at 300 MHz, 50% toggle, 50% write rate on
#: Virtex-5 (65 nm, VCCINT 1.0 V): C = P / (a V^2 f) = 9.75 mW / (0.5 * 1.0 * 300 MHz) = 65 pF.
BRAM18_CAPACITANCE_F, BRAM18_CAPACITANCE_NODE_NM = 65e-12, 65
#: A UltraRAM (288 Kb, 72-bit port) moves the bits of four RAMB18 ports per access (72 / 18):
#: counted as four RAMB18s (an assumption from the port widths, UG573; no measured figure used).
URAM_AS_BRAM18 = 4
#: A DSP slice is counted as the fabric multiplier it replaces: an 18 x 18 array multiplier of
#: about 18 * 18 / 2 LUT6 and 36 output FFs (an assumption: a hard block is at least this
#: efficient, so the figure errs high; no measured DSP figure was found to cite).
DSP_AS_LUTS, DSP_AS_FFS = 18 * 18 // 2, 36

#: Static (leakage) power: about 6 uW per LUT4 site (24 uW per CLB of four), Virtex-E, from the
#: same XPower calculator note; applied per LUT of the device, whatever the design uses.
LEAK_PER_LUT_SITE_W = 6e-6

#: Toggle rates.  UG440 (Xilinx Power Estimator) defaults logic to 12.5% (one transition every
#: eight cycles); a flip-flop's clock pin switches every cycle, which is what the FF capacitance
#: above (clock tree share included) is measured at; random data into a DSP toggles about 38%
#: (UG440, "Using the DSP Sheet"); block RAMs are taken at the logic default.
LOGIC_TOGGLE = 0.125
FF_TOGGLE = 1.0
DSP_TOGGLE = 0.38
BRAM_TOGGLE = 0.125


@dataclass(frozen=True)
class Process:
    """What a device family's silicon means for power: process node and core supply."""

    node_nm: float
    vccint: float


#: Process node and nominal VCCINT per family: 16 nm / 0.85 V (DS925, Zynq UltraScale+ and the
#: other UltraScale+ families), 20 nm / 0.95 V (DS892/DS893, UltraScale), 28 nm / 1.0 V (DS187,
#: Zynq-7000 and the other 7-series families).
PROCESSES: dict[str, Process] = {
    "zynq-ultrascale+": Process(16, 0.85),
    "artix-ultrascale+": Process(16, 0.85),
    "kintex-ultrascale+": Process(16, 0.85),
    "virtex-ultrascale+": Process(16, 0.85),
    "kintex-ultrascale": Process(20, 0.95),
    "virtex-ultrascale": Process(20, 0.95),
    "zynq-7000": Process(28, 1.0),
    "spartan-7": Process(28, 1.0),
    "artix-7": Process(28, 1.0),
    "kintex-7": Process(28, 1.0),
    "virtex-7": Process(28, 1.0),
}


@dataclass(frozen=True)
class PowerEstimate:
    """Watts of one design at one clock, and joules per inference at its frame rate."""

    static_w: float
    dynamic_w: dict[str, float]
    clock_mhz: float

    @property
    def dynamic_total_w(self) -> float:
        return sum(self.dynamic_w.values())

    @property
    def total_w(self) -> float:
        return self.static_w + self.dynamic_total_w

    def energy_per_inference_j(self, fps: float) -> float:
        """Energy of one inference: power / throughput (inf when the design produces nothing)."""
        return self.total_w / fps if fps > 0 else float("inf")

    def as_dict(self, fps: float | None = None) -> dict:
        data = {
            "clock_mhz": self.clock_mhz,
            "static_w": round(self.static_w, 6),
            "dynamic_w": round(self.dynamic_total_w, 6),
            "dynamic_by_resource_w": {k: round(v, 6) for k, v in self.dynamic_w.items()},
            "total_w": round(self.total_w, 6),
        }
        if fps:
            data["energy_per_inference_j"] = self.energy_per_inference_j(fps)
        return data


@dataclass(frozen=True)
class PowerModel:
    """The coefficients; defaults are the cited figures above (override any of them)."""

    logic_toggle: float = LOGIC_TOGGLE
    ff_toggle: float = FF_TOGGLE
    dsp_toggle: float = DSP_TOGGLE
    bram_toggle: float = BRAM_TOGGLE
    leak_per_lut_site_w: float = LEAK_PER_LUT_SITE_W

    def capacitances(self, process: Process) -> dict[str, float]:
        """Switched capacitance (F) of one resource of each type at this process node."""
        lut = LUT_CAPACITANCE_F * process.node_nm / LUT_CAPACITANCE_NODE_NM
        ff = FF_CAPACITANCE_F * process.node_nm / FF_CAPACITANCE_NODE_NM
        bram = BRAM18_CAPACITANCE_F * process.node_nm / BRAM18_CAPACITANCE_NODE_NM
        return {
            "dsp": DSP_AS_LUTS * lut + DSP_AS_FFS * ff,
            "bram18": bram,
            "uram": URAM_AS_BRAM18 * bram,
            "lut": lut,
            "ff": ff,
        }

    def toggles(self) -> dict[str, float]:
        return {
            "dsp": self.dsp_toggle,
            "bram18": self.bram_toggle,
            "uram": self.bram_toggle,
            "lut": self.logic_toggle,
            "ff": self.ff_toggle,
        }

    def estimate(self, used: Resources, board: Board, clock_mhz: float | None = None) -> PowerEstimate:
        """Static and dynamic power of a design using `used` on `board` at `clock_mhz` (default: the board's)."""
        clock = float(clock_mhz if clock_mhz else board.clock_mhz)
        if clock <= 0:
            raise ValueError(f"clock must be positive, got {clock} MHz")
        process = PROCESSES[board.family]
        caps, toggles = self.capacitances(process), self.toggles()
        v2f = process.vccint**2 * clock * 1e6
        dynamic = {name: getattr(used, name) * caps[name] * toggles[name] * v2f for name in caps}
        return PowerEstimate(self.leak_per_lut_site_w * board.lut, dynamic, clock)


DEFAULT_POWER_MODEL = PowerModel()


def estimate_power(used: Resources, board: Board, clock_mhz: float | None = None) -> PowerEstimate:
    """`DEFAULT_POWER_MODEL.estimate`: the cited coefficients."""
    return DEFAULT_POWER_MODEL.estimate(used, board, clock_mhz)
