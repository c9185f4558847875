// Two convs, a global pool and a classifier (as in test/passes/select_folding.mlir).
func.func @two_convs(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<1x1x10xi8> {
  %c1 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x16xi8>
  %c2 = dataflow.conv %c1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv2"} : (!dataflow.stream<16x16x16xi8>) -> !dataflow.stream<16x16x16xi8>
  %g = dataflow.global_pool %c2 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap"} : !dataflow.stream<16x16x16xi8> -> !dataflow.stream<1x1x16xi8>
  %y = dataflow.linear %g {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "fc"} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
