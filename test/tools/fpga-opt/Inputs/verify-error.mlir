// A pool whose coarse factor does not divide its channels.
func.func @net(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x4xi8> {
  %p = dataflow.pool %x {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, coarse = 3 : i64, layer = "pool1"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
  func.return %p : !dataflow.stream<4x4x4xi8>
}
