// lutnet-expand turns each dataflow.xnor_linear into a dataflow.lut_linear that computes the same
// (pruned) layer: each kept connection (i, w) becomes a K-LUT over [i, K-1 random others] whose
// table is XNOR(x_i, w) (bit 0 of the table address is input 0), and the thresholds move by
// (N - M) / 2 so that `2p' - M >= 2t - N`.  The new tensors go into dataflow.inline_weights.
// RUN: fpga-opt %s --split-input-file -p 'lutnet-expand{k=2}' | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'lutnet-expand{k=2 prune=0.5}' | filecheck %s --check-prefix=PRUNE
// RUN: fpga-opt %s --split-input-file -p 'lutnet-expand{k=3 layers=hidden}' | filecheck %s --check-prefix=ONLY

// w = 1 -> table 0101 (XNOR(x, 1) = x), w = 0 -> 1010; every output keeps all 4 inputs in order.
// CHECK: hidden.lut.idx = dense<{{\[\[\[}}0, {{[123]}}], [1, {{[023]}}], [2, {{[013]}}], [3, {{[012]}}]], {{\[\[}}0, {{[123]}}], [1, {{[023]}}], [2, {{[013]}}], [3, {{[012]}}]]]> : tensor<2x4x2xi32>
// CHECK: hidden.lut.tab = dense<{{\[\[\[}}0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [0, 1, 0, 1]], {{\[\[}}1, 0, 1, 0], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]]> : tensor<2x4x4xi8>
// CHECK: hidden.lut.t = dense<[3, 1]> : tensor<2xi32>
// CHECK-LABEL: func.func @dense
// CHECK: dataflow.lut_linear %x {k = 2 : i64, luts = 4 : i64, indices = "hidden.lut.idx", tables = "hidden.lut.tab", thresholds = "hidden.lut.t", layer = "hidden"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x2xui1>
// CHECK-NOT: dataflow.xnor_linear
//
// Half the connections pruned (M = 2 of N = 4): thresholds 3, 1 become ceil(t - 1) = 2, 0.
// PRUNE: hidden.lut.t = dense<[2, 0]> : tensor<2xi32>
// PRUNE-LABEL: func.func @dense
// PRUNE: dataflow.lut_linear %x {k = 2 : i64, luts = 2 : i64, {{.*}}} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x2xui1>
//
// ONLY-LABEL: func.func @dense
// ONLY: dataflow.lut_linear %x {k = 3 : i64, luts = 4 : i64, {{.*}}layer = "hidden"}
builtin.module attributes {dataflow.inline_weights = {"hidden.w" = dense<[[1, 0, 1, 1], [0, 0, 1, 0]]> : tensor<2x4xi8>, "hidden.t" = dense<[3, 1]> : tensor<2xi32>}} {
func.func @dense(%x: !dataflow.stream<1x1x4xui1>) -> !dataflow.stream<1x1x2xui1> {
  %y = dataflow.xnor_linear %x {weights = "hidden.w", thresholds = "hidden.t", layer = "hidden"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x2xui1>
  func.return %y : !dataflow.stream<1x1x2xui1>
}
}

// -----
// A layer without thresholds (the classifier) keeps its dot-product result type and gets no
// thresholds tensor; a conv stays an XNOR conv; `layers` picks the layers to expand.
// CHECK-LABEL: func.func @mixed
// CHECK: dataflow.xnor_conv
// CHECK: %[[H:.*]] = dataflow.lut_linear %{{.*}} {k = 2 : i64, luts = 8 : i64, indices = "hidden.lut.idx", tables = "hidden.lut.tab", thresholds = "hidden.lut.t", layer = "hidden"}
// CHECK: dataflow.lut_linear %[[H]] {k = 2 : i64, luts = 4 : i64, indices = "head.lut.idx", tables = "head.lut.tab", layer = "head"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x3xi4>
//
// PRUNE-LABEL: func.func @mixed
// PRUNE: dataflow.lut_linear %{{.*}} {k = 2 : i64, luts = 4 : i64, {{.*}}layer = "hidden"}
// PRUNE: dataflow.lut_linear %{{.*}} {k = 2 : i64, luts = 2 : i64, {{.*}}layer = "head"}
//
// ONLY-LABEL: func.func @mixed
// ONLY: dataflow.lut_linear %{{.*}} {k = 3 : i64, luts = 8 : i64, {{.*}}layer = "hidden"}
// ONLY: dataflow.xnor_linear %{{.*}} {weights = "head.w", layer = "head"}
builtin.module attributes {dataflow.inline_weights = {
    "c.w" = dense<1> : tensor<2x1x3x3xi8>, "c.t" = dense<[5, 4]> : tensor<2xi32>,
    "hidden.w" = dense<[[1, 0, 1, 0, 1, 0, 1, 0], [0, 0, 1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0], [0, 1, 0, 1, 0, 1, 0, 1]]> : tensor<4x8xi8>,
    "hidden.t" = dense<[4, 5, 3, 6]> : tensor<4xi32>,
    "head.w" = dense<[[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]]> : tensor<3x4xi8>}} {
func.func @mixed(%x: !dataflow.stream<4x4x1xui1>) -> !dataflow.stream<1x1x3xi4> {
  %c = dataflow.xnor_conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", thresholds = "c.t", layer = "conv"} : !dataflow.stream<4x4x1xui1> -> !dataflow.stream<2x2x2xui1>
  %h = dataflow.xnor_linear %c {weights = "hidden.w", thresholds = "hidden.t", layer = "hidden"} : !dataflow.stream<2x2x2xui1> -> !dataflow.stream<1x1x4xui1>
  %y = dataflow.xnor_linear %h {weights = "head.w", layer = "head"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x3xi4>
  func.return %y : !dataflow.stream<1x1x3xi4>
}
}
