// RUN: fpga-opt %s --split-input-file -p 'compress-weights{ratio=0.5}' | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'compress-weights{layers="c1" block=2 coef-bits=10}' | filecheck %s --check-prefix=ONE
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'compress-weights{layers="c9"}' | filecheck %s --check-prefix=ERR
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'compress-weights{layers="c1" block=3}' | filecheck %s --check-prefix=BLOCK
// RUN: fpga-opt %s --split-input-file -p 'compress-weights{layers="c1" coefficients=dram}' | filecheck %s --check-prefix=DRAM
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'compress-weights{coefficients=disk}' | filecheck %s --check-prefix=WHERE
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'compress-weights{data="%S/Inputs/no_such_samples.npz"}' | filecheck %s --check-prefix=NODATA
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'compress-weights{data="%S/Inputs/no_such_samples.npz" budget=2}' | filecheck %s --check-prefix=BUDGET
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'compress-weights{data="%S/Inputs/no_such_samples.npz" ratios="0.5,2"}' | filecheck %s --check-prefix=RATIOS
// With data (the per-layer ratio under an accuracy budget, passes/analysis/ovsf_budget.py): bad options and a
// missing file are one line each (the search itself: test/pytest/offchip/test_ovsf_budget.py).
// NODATA: {{.*}}no_such_samples.npz: no such data file
// BUDGET: compress-weights: budget must be in [0, 1], got 2
// RATIOS: compress-weights: ratios must be in (0, 1], got '0.5,2'

// Every conv gets a generator before it, and names the generated tensor.  Default blocks: one
// channel for a 3x3 kernel (9 values padded to 16 codes), 4 channels for the 1x1 (its 4 inputs).
// CHECK-LABEL: func.func @two
// CHECK-NEXT: dataflow.weights_generator {weights = "c1.w.ovsf", source = "c1.w", weight_type = i8, ratio = 5.000000e-01 : f64, block = 1 : i64, layer = "c1.gen"}
// CHECK-NEXT: dataflow.conv %x {{{.*}}weights = "c1.w.ovsf", {{.*}}weight_placement = "generated"}
// CHECK-NEXT: dataflow.weights_generator {weights = "c2.w.ovsf", source = "c2.w", weight_type = i8, ratio = 5.000000e-01 : f64, block = 4 : i64, layer = "c2.gen"}
// CHECK-NEXT: dataflow.conv %{{.*}} {{{.*}}weights = "c2.w.ovsf", {{.*}}weight_placement = "generated"}
// ONE: dataflow.weights_generator {weights = "c1.w.ovsf", source = "c1.w", weight_type = i8, ratio = 2.500000e-01 : f64, block = 2 : i64, coef_bits = 10 : i64, layer = "c1.gen"}
// ONE-NOT: weights_generator
// ERR: compress-weights: no conv or linear layer named 'c9' in @two
// Coefficients in DRAM (unzipFPGA's engine): the generator is a DRAM port with its share of the bandwidth.
// DRAM-LABEL: func.func @two
// DRAM-SAME: dataflow.dram = {bytes_per_frame = {{[0-9]+}} : i64
// DRAM-NEXT: dataflow.weights_generator {weights = "c1.w.ovsf", source = "c1.w", coefficients = "dram", bytes_per_cycle = {{.*}} : f64, weight_type = i8
// WHERE: compress-weights: coefficients must be onchip or dram, got 'disk'
// BLOCK: compress-weights: layer 'c1': block = 3 does not divide its 4 input channels per filter
func.func @two(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %a = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "c1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %b = dataflow.conv %a {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "c2"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %b : !dataflow.stream<8x8x4xi8>
}
