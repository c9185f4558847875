// The binarised ops round-trip: custom form, and generic form back to custom.
// RUN: fpga-opt %s | filecheck %s
// RUN: fpga-opt %s --print-op-generic | fpga-opt | filecheck %s
// RUN: fpga-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

builtin.module attributes {dataflow.weights = "binary.weights.npz"} {

// CHECK-LABEL: func.func @cnv
// GENERIC-LABEL: sym_name = "cnv"
func.func @cnv(%x: !dataflow.stream<8x8x1xui5>) -> !dataflow.stream<1x1x10xi32> {
  // CHECK: dataflow.threshold %x {thresholds = "in.t"} : !dataflow.stream<8x8x1xui5> -> !dataflow.stream<8x8x1xui1>
  // GENERIC: "dataflow.threshold"(%x) <{thresholds = "in.t", coarse = 1 : i64}>
  %b = dataflow.threshold %x {thresholds = "in.t"} : !dataflow.stream<8x8x1xui5> -> !dataflow.stream<8x8x1xui1>
  // CHECK: dataflow.xnor_conv %{{.*}} {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", thresholds = "c.t", coarse_out = 2 : i64, fine = 3 : i64, layer = "conv0"} : !dataflow.stream<8x8x1xui1> -> !dataflow.stream<6x6x8xui1>
  // GENERIC: "dataflow.xnor_conv"(%{{.*}}) <{kernel = array<i64: 3, 3>, {{.*}}coarse_out = 2 : i64, fine = 3 : i64, layer = "conv0", coarse_in = 1 : i64}>
  %c = dataflow.xnor_conv %b {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", thresholds = "c.t", coarse_out = 2 : i64, fine = 3 : i64, layer = "conv0"} : !dataflow.stream<8x8x1xui1> -> !dataflow.stream<6x6x8xui1>
  // CHECK: dataflow.pool %{{.*}} {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<6x6x8xui1> -> !dataflow.stream<3x3x8xui1>
  %p = dataflow.pool %c {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<6x6x8xui1> -> !dataflow.stream<3x3x8xui1>
  // CHECK: dataflow.lut_linear %{{.*}} {k = 4 : i64, luts = 12 : i64, indices = "l.idx", tables = "l.tab", thresholds = "l.t", coarse_in = 8 : i64, coarse_out = 4 : i64} : !dataflow.stream<3x3x8xui1> -> !dataflow.stream<1x1x32xui1>
  // GENERIC: "dataflow.lut_linear"(%{{.*}}) <{k = 4 : i64, luts = 12 : i64, indices = "l.idx", tables = "l.tab", thresholds = "l.t", coarse_in = 8 : i64, coarse_out = 4 : i64}>
  %l = dataflow.lut_linear %p {k = 4 : i64, luts = 12 : i64, indices = "l.idx", tables = "l.tab", thresholds = "l.t", coarse_in = 8 : i64, coarse_out = 4 : i64} : !dataflow.stream<3x3x8xui1> -> !dataflow.stream<1x1x32xui1>
  // CHECK: dataflow.xnor_linear %{{.*}} {weights = "f.w", coarse_out = 5 : i64} : !dataflow.stream<1x1x32xui1> -> !dataflow.stream<1x1x10xi32>
  %y = dataflow.xnor_linear %l {weights = "f.w", coarse_out = 5 : i64} : !dataflow.stream<1x1x32xui1> -> !dataflow.stream<1x1x10xi32>
  func.return %y : !dataflow.stream<1x1x10xi32>
}

// A dot product needs only a type that holds [-n, n]: 32 terms fit i7.
// CHECK-LABEL: func.func @narrow_dot_product
// CHECK: dataflow.xnor_linear %x {weights = "g.w", thresholds = "g.t"} : !dataflow.stream<2x2x8xui1> -> !dataflow.stream<1x1x4xui1>
// CHECK: dataflow.xnor_linear %{{.*}} {weights = "h.w"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x2xi7>
func.func @narrow_dot_product(%x: !dataflow.stream<2x2x8xui1>) -> !dataflow.stream<1x1x2xi7> {
  %h = dataflow.xnor_linear %x {weights = "g.w", thresholds = "g.t"} : !dataflow.stream<2x2x8xui1> -> !dataflow.stream<1x1x4xui1>
  %y = dataflow.xnor_linear %h {weights = "h.w"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x2xi7>
  func.return %y : !dataflow.stream<1x1x2xi7>
}

}
