// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2}' | filecheck %s --check-prefix=PYNQ
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=kv260}' | filecheck %s --check-prefix=KV260
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=kv260 objective=resources target-fps=30000}' | filecheck %s --check-prefix=CHEAP
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 algorithm=anneal seed=3}' | filecheck %s --check-prefix=PYNQ

// Two convs, the second with twice the MACs of the first (294,912 and 589,824), then a global
// pool and a classifier.  A balanced pipeline gives conv2 twice conv1's multipliers.
//
// Pynq-Z2: DSP48E1 (no int8 packing: one DSP per multiplier), budget floor(0.85 * 220) = 187.
// In the kernel-position form 48 + 96 multipliers give 294,912/48 = 589,824/96 = 6144 cycles with
// 144 DSPs (+1 for the classifier), and the next rate step would need 64 + 128 = 192 > 187.
// Flattened passes (terms) step finer: 4 filters a pass, each taking 15 of conv1's 72 window
// products (5 passes, the last one 12) and 29 of conv2's 144 (5 passes, the last one 28), so 20
// passes a pixel for both, 5,120 cycles, with 60 + 116 = 176 multipliers.  A search that lifted
// only the slowest layer, ignored the DSP budget or never used the finer steps would land elsewhere.
// PYNQ: builtin.module attributes {dataflow.board = "pynqz2", dataflow.clock_mhz = 1.000000e+02 : f64}
// PYNQ-LABEL: func.func @two_convs
// PYNQ: layer = "conv1", coarse_in = 8 : i64, coarse_out = 4 : i64, terms = 15 : i64}
// PYNQ: layer = "conv2", coarse_in = 16 : i64, coarse_out = 4 : i64, terms = 29 : i64}
// PYNQ: dataflow.global_pool {{.*}}layer = "gap"} :
// PYNQ: dataflow.linear {{.*}}layer = "fc"} :
//
// On the KV260 the DSP48E2 packs two int8 multiplies sharing an activation into one DSP; budget 1060.
// In the kernel-position form 576 + 1152 multipliers (288 + 576 DSPs) give 512 cycles, and 256
// would need 1728 DSPs.  With flattened passes conv2 runs four pixels side by side (reuse 4) in 7
// passes of 21 of its 144 window products, 16 filters a pass: 448 cycles with 1344 multipliers
// (672 DSPs; the reuse kernel's first windows and last drain overlap the neighbouring frames, so
// they are latency, not interval).  conv1 then takes two pixels in the kernel-position form, 8
// channels x 3 positions x 16 filters (384 cycles, 384 DSPs): 1,057 of the 1,060.  The global pool
// must then move 16 channels per cycle (16*16*16/8 = 512 > 448; 16*16*16/16 = 256).  The classifier stays 1x1: its weights are a LUT ROM at any width (rom_resources), so
// widening it buys nothing.  Which of the equal-DSP shapes the greedy lift reaches is its own; the
// rate and the DSPs are the point here.
// KV260: builtin.module attributes {dataflow.board = "kv260", dataflow.clock_mhz = 2.500000e+02 : f64}
// KV260-LABEL: func.func @two_convs
// KV260: layer = "conv1", coarse_in = 8 : i64, coarse_out = 16 : i64, fine = 3 : i64, reuse = 2 : i64}
// KV260: layer = "conv2", coarse_in = 16 : i64, coarse_out = 16 : i64, reuse = 4 : i64, terms = 21 : i64}
// KV260: dataflow.global_pool {{.*}}layer = "gap", coarse = 16 : i64}
// KV260: dataflow.linear {{.*}}layer = "fc"} :
//
// objective=resources at 30,000 fps on the KV260 allows at most floor(250e6/30000) = 8333 cycles per frame,
// so conv1 needs 36 multipliers (8192 cycles) and conv2 72; the cheapest have an even coarse_out
// so that the packed DSPs are full: 2x2x9 (18 DSPs) and 2x4x9 (36 DSPs).
// CHEAP-LABEL: func.func @two_convs
// CHEAP: layer = "conv1", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// CHEAP: layer = "conv2", coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 9 : i64}
// CHEAP: dataflow.global_pool {{.*}}layer = "gap"} :
func.func @two_convs(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<1x1x10xi8> {
  %c1 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x16xi8>
  %c2 = dataflow.conv %c1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv2"} : (!dataflow.stream<16x16x16xi8>) -> !dataflow.stream<16x16x16xi8>
  %g = dataflow.global_pool %c2 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap"} : !dataflow.stream<16x16x16xi8> -> !dataflow.stream<1x1x16xi8>
  %y = dataflow.linear %g {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "fc"} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}

// -----

// A depthwise conv speeds up only with coarse_group and fine (C_in/groups = 1): on the Pynq-Z2
// all 32 groups x 9 taps would need 288 DSPs, so it takes 16 groups x 9 (144 DSPs, 8*8*32/16 = 128 cycles),
// and the forks, FIFO and add follow at 16 channels per cycle.  The buffer has no factors of its
// own: it moves its producer's lanes.
// PYNQ-LABEL: func.func @depthwise_residual
// PYNQ: dataflow.fork {{.*}}coarse = 16 : i64}
// PYNQ: layer = "dw", fine = 9 : i64, coarse_group = 16 : i64}
// PYNQ: dataflow.buffer %{{.*}} {depth = 64 : i64} :
// PYNQ: dataflow.add {{.*}}coarse = 16 : i64}
func.func @depthwise_residual(%x: !dataflow.stream<8x8x32xi8>) -> !dataflow.stream<8x8x32xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x32xi8> -> !dataflow.stream<8x8x32xi8>, !dataflow.stream<8x8x32xi8>
  %d = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 32 : i64, weights = "dw.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, layer = "dw"} : (!dataflow.stream<8x8x32xi8>) -> !dataflow.stream<8x8x32xi8>
  %b = dataflow.buffer %f#1 {depth = 64 : i64} : !dataflow.stream<8x8x32xi8> -> !dataflow.stream<8x8x32xi8>
  %s = dataflow.add %d, %b {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<8x8x32xi8>, !dataflow.stream<8x8x32xi8> -> !dataflow.stream<8x8x32xi8>
  func.return %s : !dataflow.stream<8x8x32xi8>
}
