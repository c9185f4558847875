// RUN: fpga-opt %s --split-input-file | filecheck %s
// RUN: fpga-opt %s --split-input-file --print-op-generic | fpga-opt --split-input-file | filecheck %s

// The weights family round-trips: a DRAM weight stream and an OVSF generator, linked by tensor name.
// CHECK-LABEL: func.func @providers
// CHECK: dataflow.weight_stream {weights = "fc.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = 4.000000e+00 : f64, burst = 64 : i64, layer = "fc.dram"}
// CHECK: dataflow.linear %{{.*}} {weights = "fc.w", weight_type = i8, weight_placement = "dram"
// CHECK: dataflow.weights_generator {weights = "c.w.ovsf", source = "c.w", weight_type = i8, ratio = 2.500000e-01 : f64, block = 1 : i64, coef_bits = 12 : i64, layer = "c.gen"}
// CHECK: dataflow.conv %{{.*}} {{{.*}}weights = "c.w.ovsf", weight_type = i8, {{.*}}weight_placement = "generated"
// CHECK: dataflow.conv %{{.*}} {{{.*}}weight_placement = "uram"
func.func @providers(%x: !dataflow.stream<1x1x16xi8>, %i: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<8x8x4xi32>) {
  dataflow.weight_stream {weights = "fc.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = 4.0 : f64, burst = 64 : i64, layer = "fc.dram"}
  %y = dataflow.linear %x {weights = "fc.w", weight_type = i8, weight_placement = "dram", requant = #dataflow.requant<multiplier = 1, shift = 4>} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x4xi8>
  dataflow.weights_generator {weights = "c.w.ovsf", source = "c.w", weight_type = i8, ratio = 0.25 : f64, block = 1 : i64, coef_bits = 12 : i64, layer = "c.gen"}
  %c = dataflow.conv %i {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w.ovsf", weight_type = i8, weight_placement = "generated"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  %d = dataflow.conv %i {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, weight_placement = "uram"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %y, %c : !dataflow.stream<1x1x4xi8>, !dataflow.stream<8x8x4xi32>
}
