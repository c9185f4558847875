// select-folding never writes a design that does not fit: when even the smallest design exceeds
// the board, it fails with one line naming the resource, the need and the budget.
//
// A 3x3 conv of 256 -> 256 int8 channels has 589,824 weight bytes: at least 256 RAMB18s (72-bit
// words fill the 36-bit x 512 shape exactly; with some flattened foldings the line buffer takes no
// block RAM), far more than the Pynq-Z2's floor(0.85 * 280) = 238.  (Spreading the weights over LUTRAM would need thousands of DSPs.)
// RUN: not fpga-opt %s -p 'select-folding{board=pynqz2}' 2>&1 | filecheck %s --check-prefix=PYNQ
// PYNQ: fpga-opt: error: select-folding: design does not fit pynqz2 even at minimum folding: bram18 needs 256, board allows 238 (85% of 280)
// PYNQ-NOT: Traceback
//
// The same conv fits on a KV260.  256 RAMB18s are more than its 244, and a ROM cannot be URAM
// (UltraScale+ UltraRAM is not initialised by the bitstream, UG573), so the weights become a
// LUT ROM (rom_resources), about 74k of its 117k LUTs; the search spends the rest on speed.
// RUN: fpga-opt %s -p 'select-folding{board=kv260},estimate-resources' | filecheck %s --check-prefix=KV260
// KV260: dataflow.board = "kv260"
// KV260: bram18 = {{[0-9][0-9]?}} : i64, uram = 0 : i64, lut = {{[0-9]+}} : i64
//
// max-util tightens every budget: at 0.5 the KV260 allows 58,560 LUTs, too few for that ROM.
// RUN: not fpga-opt %s -p 'select-folding{board=kv260 max-util=0.5}' 2>&1 | filecheck %s --check-prefix=HALF
// HALF: fpga-opt: error: select-folding: design does not fit kv260 even at minimum folding: lut needs {{[0-9]+}}, board allows 58560 (50% of 117120)
//
// RUN: not fpga-opt %s -p 'select-folding{board=nexys}' 2>&1 | filecheck %s --check-prefix=BOARD
// BOARD: fpga-opt: error: select-folding: unknown board 'nexys': known boards are kv260, pynqz2, u250, ultra96v2, zc706, zcu102 (or give the path of a .toml board file)
//
// RUN: not fpga-opt %s -p 'select-folding{algorithm=genetic}' 2>&1 | filecheck %s --check-prefix=ALGO
// ALGO: fpga-opt: error: select-folding: algorithm must be one of greedy, anneal, got 'genetic'
//
// RUN: not fpga-opt %s -p 'select-folding{objective=latency}' 2>&1 | filecheck %s --check-prefix=OBJECTIVE
// OBJECTIVE: fpga-opt: error: select-folding: objective must be one of throughput, resources, got 'latency'
//
// RUN: not fpga-opt %s -p 'select-folding{objective=resources}' 2>&1 | filecheck %s --check-prefix=NOTARGET
// NOTARGET: fpga-opt: error: select-folding: objective=resources needs target-fps > 0
//
// RUN: not fpga-opt %s -p 'select-folding{max-util=1.5}' 2>&1 | filecheck %s --check-prefix=UTIL
// UTIL: fpga-opt: error: select-folding: max-util must be in (0, 1], got 1.5
//
// 8x8 pixels of 256 channels arrive at most 256 per cycle: 64 cycles, 3.9 Mfps at 250 MHz.
// RUN: not fpga-opt %s -p 'select-folding{board=kv260 objective=resources target-fps=10000000}' 2>&1 | filecheck %s --check-prefix=REACH
// REACH: fpga-opt: error: select-folding: target-fps 1e+07 is out of reach on kv260 at 250 MHz: layer 'big' reaches at most {{[0-9.]+}} fps at its highest folding
//
// A board file works like a built-in board (here: a KV260 with half its LUTs: LUTs are then the
// dearer share of the device, so the weights stay in block RAM, 256 RAMB18s for 244).
// RUN: printf 'base = "kv260"\nname = "kv260-half-lut"\nlut = 58560\n' > %t.toml
// RUN: not fpga-opt %s -p 'select-folding{board-file="%t.toml"}' 2>&1 | filecheck %s --check-prefix=FILE
// FILE: fpga-opt: error: select-folding: design does not fit kv260-half-lut even at minimum folding: bram18 needs 256, board allows 244 (85% of 288)
func.func @too_big(%x: !dataflow.stream<8x8x256xi8>) -> !dataflow.stream<8x8x256xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "big.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 9>, layer = "big"} : (!dataflow.stream<8x8x256xi8>) -> !dataflow.stream<8x8x256xi8>
  func.return %y : !dataflow.stream<8x8x256xi8>
}
