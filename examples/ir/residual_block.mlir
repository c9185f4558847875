// A hand-written int8 residual block (the shape of a ResNet-8 basic block).
// It has two things for dataflow-canonicalize to clean up: back-to-back skip
// buffers and an identity requantise.  (Its weight tensors are only named:
// canonicalisation never reads them.)
builtin.module {
  func.func @residual_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
    %f:2 = dataflow.fork %x {layer = "fork"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
    %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "conv0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "conv1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %id = dataflow.requantize %c1 {requant = #dataflow.requant<multiplier = 1, shift = 0>, layer = "identity"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %b0 = dataflow.buffer %f#1 {depth = 64 : i64, layer = "skip_a"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %b1 = dataflow.buffer %b0 {depth = 64 : i64, layer = "skip_b"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %a = dataflow.add %id, %b1 {requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "add"} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    func.return %a : !dataflow.stream<8x8x4xi8>
  }
}
