// RUN: fpga-opt %s --split-input-file -p estimate-resources | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'estimate-resources{board=pynqz2}' | filecheck %s --check-prefix=PYNQ

// Every number below is worked out by hand from docs/cost_model.md (KV260: DSP48E2, int8 packing).
//
// conv 8x8x4 -> 8x8x8, 3x3 pad 1, coarse_in 2, coarse_out 4, fine 3 (24 multipliers):
//   passes: nk = 4/2 = 2 input, nj = 8/4 = 2 output, nf = 9/3 = 3 position passes: 12 steps a pixel
//   cycles = max(8*8*4/2, 8*8 * 12) = max(128, 768) = 768
//   MAC array: 6 inputs a cycle x 2 packed output pairs = 12 DSP; 6 products an output fit one
//            packed cascade chain (7 for int8, WP486), so each pair's two sums are split by one
//            adder of 16 + clog2(6) = 19 bits (2 x 19 = 38 LUT, 38 FF) and accumulated in
//            4 x 32-bit accumulators (128 LUT, 128 FF): 166 LUT, 166 FF; latency 4 + 6 + 1 = 11
//   depth  = fill ((2*(8+2) + 2)*4/2 = 44) + per pixel (768/64 = 12) + MAC 11 + I/O 2
//            + requant (round 1, clamp 1) = 71
//   LUT    = MAC 166, weights 192 bits x 12 words in LUTRAM = 192,
//            sliding window: line buffer 32 bits x 20 words = 4*11 = 44, window buffer 96 bits
//            x 2 words = 4*32 = 128, window registers 9*2*8 = 144, its counters over 200, 10 and
//            2 steps (8 + 4 + 1 bits x 2 = 26) and two ports (4) = 346,
//            partial sums 128 bits x 2 words = 4*43 = 172,
//            loop counters over 768, 6, 2 steps ((10 + 3 + 1) x 2 = 28) and two ports (4) = 32,
//            requant: rounding 4*32 = 128, clamp 4*3*8 = 96                               = 1132
//   FF     = MAC 166 + window registers 144 + window counters 13 + ports 4
//            + loop counters 14 + ports 4 + rounding 128 + clamp 32                        = 505
// buffer: 100 elements in words of the conv's 4 lanes = 25 words of 32 bits = 800 bits <= 1 Kbit:
//   a shift register (Vitis' auto_srl_max_bits), 32 SRL LUT + one 5-bit address counter (2*5) + 2
//   flag LUT = 44 LUT; 32 output FF + 5 + 2 = 39 FF; 8*8*8/4 = 128 cycles
// default FIFO on %x (the conv reads 2 lanes of 8 bits): a 2-deep shift register of 16 bits:
//   16 + 2*1 + 2 = 20 LUT, 16 + 1 + 2 = 19 FF
// module: interval 768, latency 71 + 1 = 72, fps = 250 MHz / 768 = 325520.83,
//   LUT 1132 + 44 + 20 = 1196, FF 505 + 39 + 19 = 563

// CHECK: builtin.module attributes {dataflow.estimate = {board = "kv260", clock_mhz = 2.500000e+02 : f64, interval = 768 : i64, latency = 72 : i64, fps = 325520.83{{[0-9]*}} : f64, bottleneck = "conv", dsp = 12 : i64, bram18 = 0 : i64, uram = 0 : i64, lut = 1196 : i64, ff = 563 : i64, fifo_lut = 20 : i64, fifo_ff = 19 : i64, fifo_bram18 = 0 : i64, util = {dsp = 9.600000e-03 : f64,
// CHECK-LABEL: func.func @conv_fifo
// CHECK: dataflow.conv %x {dataflow.cost = {cycles = 768 : i64, depth = 71 : i64, dsp = 12 : i64, bram18 = 0 : i64, uram = 0 : i64, lut = 1132 : i64, ff = 505 : i64}
// CHECK: dataflow.buffer %c {dataflow.cost = {cycles = 128 : i64, depth = 1 : i64, dsp = 0 : i64, bram18 = 0 : i64, uram = 0 : i64, lut = 44 : i64, ff = 39 : i64}

// On a Pynq-Z2 (DSP48E1: no packing) the same conv needs one DSP per multiplier, each output's
// six products summed down one cascade (no split adders: 1132 - 38 = 1094 LUT), and the
// 100 MHz clock gives 100e6 / 768 = 130208.33 fps.
// PYNQ: dataflow.estimate = {board = "pynqz2", clock_mhz = 1.000000e+02 : f64, interval = 768 : i64, latency = 72 : i64, fps = 130208.33{{[0-9]*}} : f64, bottleneck = "conv", dsp = 24 : i64,
// PYNQ-LABEL: func.func @conv_fifo
// PYNQ: dataflow.conv %x {dataflow.cost = {cycles = 768 : i64, depth = 71 : i64, dsp = 24 : i64, bram18 = 0 : i64, uram = 0 : i64, lut = 1094 : i64,
func.func @conv_fifo(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64, layer = "conv"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %b = dataflow.buffer %c {depth = 100 : i64, layer = "fifo"} : !dataflow.stream<8x8x8xi8> -> !dataflow.stream<8x8x8xi8>
  func.return %b : !dataflow.stream<8x8x8xi8>
}

// -----

// The longest path, not the sum: a fork whose two branches have different depths.
// fork depth 1; branch a: requantize (round 1 + clamp 1 + I/O 2 = 4); branch b: none;
// add: clog2(2) + I/O 2 = 3, plus its requant 2  ->  latency 1 + 4 + 5 = 10.
// Every op moves 4*4*8 = 128 elements at coarse 2: 64 cycles.
// CHECK: dataflow.estimate = {board = "kv260", clock_mhz = 2.500000e+02 : f64, interval = 64 : i64, latency = 10 : i64,
// CHECK-LABEL: func.func @paths
// CHECK: dataflow.fork {{.*}}cycles = 64 : i64, depth = 1 : i64
// CHECK: dataflow.requantize {{.*}}cycles = 64 : i64, depth = 4 : i64
// CHECK: dataflow.add {{.*}}cycles = 64 : i64, depth = 5 : i64
func.func @paths(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8> {
  %f:2 = dataflow.fork %x {coarse = 2 : i64} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>
  %a = dataflow.requantize %f#0 {requant = #dataflow.requant<multiplier = 1, shift = 1>, coarse = 2 : i64} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  %s = dataflow.add %a, %f#1 {requant = #dataflow.requant<multiplier = 1, shift = 1>, coarse = 2 : i64} : !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  func.return %s : !dataflow.stream<4x4x8xi8>
}
