func.func @broken(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %y = dataflow.fork %x : !dataflow.stream<8x8x4xi8> ->
}
