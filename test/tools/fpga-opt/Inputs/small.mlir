builtin.module attributes {dataflow.weights = "net.weights.npz"} {
  func.func @net(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<1x1x10xi8>) {
    %f:2 = dataflow.fork %x {layer = "fork0"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
    %c = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", bias = "c.b", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %b = dataflow.buffer %f#1 {depth = 64 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %a = dataflow.add %c, %b {requant = #dataflow.requant<multiplier = 1, shift = 1>, activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %p = dataflow.pool %a {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
    %g = dataflow.global_pool %p {mode = "avg"} : !dataflow.stream<4x4x4xi8> -> !dataflow.stream<1x1x4xi32>
    %r = dataflow.requantize %g {requant = #dataflow.requant<multiplier = 1, shift = 4, rounding = "half_up">} : !dataflow.stream<1x1x4xi32> -> !dataflow.stream<1x1x4xi8>
    %l = dataflow.linear %r {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 9>} : !dataflow.stream<1x1x4xi8> -> !dataflow.stream<1x1x10xi8>
    func.return %l : !dataflow.stream<1x1x10xi8>
  }
}
