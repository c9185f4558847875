// Flattened passes (terms) let select-folding land between the kernel-position form's steps.
// RUN: fpga-opt %s -p 'select-folding{board=pynqz2},estimate-resources' | filecheck %s --check-prefix=FAST
// RUN: fpga-opt %s -p 'select-folding{board=pynqz2 objective=resources target-fps=55000},estimate-resources' | filecheck %s --check-prefix=CHEAP

// The ResNet-style early-exit network's 3x3 conv of 8 channels on 16x16: 576 products a pixel.
// A pass count of the kernel-position form is a product of ceil(8/coarse_in), ceil(8/coarse_out)
// and ceil(9/fine), so never 7: from 8 passes (2,048 cycles, 72 DSPs) it steps to 6 (1,536
// cycles, 96 DSPs).  Flattened passes of 11 of the 72 products of a filter's window make 7
// passes (the last one 6 products) with 88 multipliers.
//
// With a target, 55,000 fps at 100 MHz is at most 1,818 cycles a frame: 7 flattened passes (1,792 cycles,
// 88 DSPs on the Pynq-Z2's DSP48E1, one per multiplier) are cheaper than 6 positional ones (96).
// CHEAP:         dataflow.estimate = {{.*}}interval = 1792 : i64{{.*}}dsp = 88 : i64
// CHEAP-LABEL: func.func @block_conv
// CHEAP:         dataflow.conv %x {dataflow.cost = {cycles = 1792 : i64, {{.*}}dsp = 88 : i64{{.*}}coarse_in = 8 : i64, coarse_out = 8 : i64, terms = 11 : i64}
//
// For throughput, the budget is floor(0.85 * 220) = 187 DSPs.  Two pixels side by side (reuse 2) in 7 flattened
// passes (176 multipliers) run at 3.5 passes a pixel, 896 cycles (the reuse kernel's first windows and last drain
// overlap the neighbouring frames: latency, not interval); the kernel-position form's fastest within 187 is 4 passes a pixel (1,024 cycles).
// FAST:         dataflow.estimate = {{.*}}interval = 896 : i64{{.*}}dsp = 176 : i64
// FAST-LABEL: func.func @block_conv
// FAST:         dataflow.conv %x {dataflow.cost = {cycles = 896 : i64, {{.*}}dsp = 176 : i64{{.*}}coarse_in = 8 : i64, coarse_out = 8 : i64, reuse = 2 : i64, terms = 11 : i64}
func.func @block_conv(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", bias = "c.b", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 9, min = 0>, layer = "b1c1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  func.return %y : !dataflow.stream<16x16x8xi8>
}
