// lutnet-expand refuses bad options and layers it cannot expand, each with one line.
// RUN: not fpga-opt %s -p 'lutnet-expand{k=7}' 2>&1 | filecheck %s --check-prefix=K
// K: fpga-opt: error: lutnet-expand: k must be in [1, 6], got 7
// K-NOT: Traceback
//
// RUN: not fpga-opt %s -p 'lutnet-expand{prune=1.0}' 2>&1 | filecheck %s --check-prefix=PRUNE
// PRUNE: fpga-opt: error: lutnet-expand: prune must be in [0, 1), got 1.0
//
// RUN: not fpga-opt %s -p 'lutnet-expand{layers="fc:nope"}' 2>&1 | filecheck %s --check-prefix=NAME
// NAME: fpga-opt: error: lutnet-expand: no dataflow.xnor_linear layer named nope
//
// A 5-LUT over a layer with 4 inputs cannot find 4 other inputs.
// RUN: not fpga-opt %s -p 'lutnet-expand{k=5}' 2>&1 | filecheck %s --check-prefix=FANIN
// FANIN: fpga-opt: error: lutnet-expand: k = 5 exceeds the 4 inputs of 'fc'
//
// A weights tensor that is not bits is named.
// RUN: not fpga-opt %s -p 'lutnet-expand{k=2 layers=bad}' 2>&1 | filecheck %s --check-prefix=BITS
// BITS: fpga-opt: error: 'dataflow.xnor_linear' op "bad": weights tensor 'bad.w' must hold bits 0/1, found 0..2
builtin.module attributes {dataflow.inline_weights = {"fc.w" = dense<[[1, 0, 1, 1], [0, 0, 1, 0]]> : tensor<2x4xi8>, "fc.t" = dense<[3, 1]> : tensor<2xi32>, "bad.w" = dense<[[2, 0], [0, 1]]> : tensor<2x2xi8>}} {
func.func @dense(%x: !dataflow.stream<1x1x4xui1>) -> !dataflow.stream<1x1x2xi4> {
  %h = dataflow.xnor_linear %x {weights = "fc.w", thresholds = "fc.t", layer = "fc"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x2xui1>
  %y = dataflow.xnor_linear %h {weights = "bad.w", layer = "bad"} : !dataflow.stream<1x1x2xui1> -> !dataflow.stream<1x1x2xi4>
  func.return %y : !dataflow.stream<1x1x2xi4>
}
}
