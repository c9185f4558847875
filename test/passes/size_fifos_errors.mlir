// size-fifos refuses bad options, a design it cannot make fast within max-depth, and a design whose
// sized FIFOs do not fit the board, each with one line.
// RUN: not fpga-opt %s -p 'size-fifos{frames=0}' 2>&1 | filecheck %s --check-prefix=FRAMES
// FRAMES: fpga-opt: error: size-fifos: frames must be in [1, 1000], got 0 (each round simulates this many frames)
// FRAMES-NOT: Traceback
//
// RUN: not fpga-opt %s -p 'size-fifos{resolution=pixel}' 2>&1 | filecheck %s --check-prefix=RES
// RES: fpga-opt: error: size-fifos: resolution must be one of auto, coarse, row, fine, exact, got 'pixel'
//
// RUN: not fpga-opt %s -p 'size-fifos{tolerance=1.5}' 2>&1 | filecheck %s --check-prefix=TOL
// TOL: fpga-opt: error: size-fifos: tolerance must be in [0, 1), got 1.5
//
// RUN: not fpga-opt %s -p 'size-fifos{max-depth=1}' 2>&1 | filecheck %s --check-prefix=DEPTH
// DEPTH: fpga-opt: error: size-fifos: max-depth must be >= 2 words, got 1
//
// RUN: not fpga-opt %s -p 'size-fifos{margin=-1}' 2>&1 | filecheck %s --check-prefix=MARGIN
// MARGIN: fpga-opt: error: size-fifos: margin must be >= 0, got -1
//
// RUN: not fpga-opt %s -p 'size-fifos{max-util=0}' 2>&1 | filecheck %s --check-prefix=UTIL
// UTIL: fpga-opt: error: size-fifos: max-util must be in (0, 1], got 0
//
// RUN: not fpga-opt %s -p 'size-fifos{shrink=sometimes}' 2>&1 | filecheck %s --check-prefix=SHRINK
// SHRINK: fpga-opt: error: size-fifos: shrink must be one of never, over-budget, always, got 'sometimes'
//
// RUN: not fpga-opt %s -p 'size-fifos{board=nexys}' 2>&1 | filecheck %s --check-prefix=BOARD
// BOARD: fpga-opt: error: size-fifos: unknown board 'nexys'
//
// The linear needs 15 words in front of it (test/passes/size_fifos.mlir); capped at 2 it stays at
// 352 cycles per frame, and the pass says which FIFO the cap held back.
// RUN: not fpga-opt %s -p 'size-fifos{max-depth=2}' 2>&1 | filecheck %s --check-prefix=CAP
// CAP: fpga-opt: error: size-fifos: @conv_then_linear: the sized design runs at 352 cycles per frame, 37.5% slower than with unbounded FIFOs (256), above tolerance 0.02 (max-depth 2 words capped conv -> fc)
//
// With a board, the sized design must fit max-util of every resource, FIFOs included.  On a Pynq-Z2
// cut down to 1700 LUTs (budget 1445) the design fits with 1440 LUTs as it comes, but its 120-element
// FIFO in front of fc (15 words of 64 bits: 960 bits, a shift register) brings it to 1446.
// RUN: printf 'base = "pynqz2"\nname = "tiny"\nlut = 1700\n' > %t.toml
// RUN: not fpga-opt %s -p 'size-fifos{board-file="%t.toml"}' 2>&1 | filecheck %s --check-prefix=FIT
// FIT: fpga-opt: error: size-fifos: the design with its sized FIFOs needs 1446 lut (98 in FIFOs), board tiny allows 1445 (85% of 1700); size-fifos{refold=true} re-runs select-folding with the FIFOs counted
//
// refold=true re-runs select-folding with the FIFOs counted, then sizes them afresh for its folding.
// RUN: fpga-opt %s -p 'size-fifos{board-file="%t.toml" refold=true},estimate-resources' | filecheck %s --check-prefix=REFOLD
// (fc, at 256 cycles, sets the interval; the search keeps it and gives the conv the cheapest folding
// that meets it (flattened passes of its 8 input channels included), so the sized design loses no
// throughput and uses 488 LUTs.)
// REFOLD: dataflow.board = "tiny"
// REFOLD-SAME: interval = 256 : i64
// REFOLD-SAME: lut = 488 : i64
// REFOLD: dataflow.buffer {{.*}}depth = 120 : i64, layer = "fc.fifo"
func.func @conv_then_linear(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<1x1x16xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 8 : i64, layer = "conv"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %y = dataflow.linear %c {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 8 : i64, layer = "fc"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<1x1x16xi8>
  func.return %y : !dataflow.stream<1x1x16xi8>
}
