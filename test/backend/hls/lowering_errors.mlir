// What lower-dataflow-to-hls refuses, with one line each.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p lower-dataflow-to-hls | filecheck %s
// RUN: not fpga-opt %s --split-input-file -p 'lower-dataflow-to-hls{board=nonesuch}' 2>&1 | filecheck %s --check-prefix=BOARD
// RUN: not fpga-opt %s --split-input-file -p 'lower-dataflow-to-hls{skip-fifo=huge}' 2>&1 | filecheck %s --check-prefix=SKIP

// BOARD: fpga-opt: error: lower-dataflow-to-hls: unknown board 'nonesuch': known boards are
// SKIP: fpga-opt: error: lower-dataflow-to-hls: skip-fifo must be "frame" or "none", got "huge"

func.func @split_groups(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 2 : i64, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_group = 2 : i64, coarse_in = 2 : i64, layer = "g"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %y : !dataflow.stream<4x4x8xi8>
}
// CHECK: error: 'dataflow.conv' op "g": coarse_group = 2 needs coarse_in = C_in/groups (4) and coarse_out = C_out/groups (4) in the HLS conv kernel (channels of parallel groups must be contiguous)

// -----
func.func @wide_requantize(%x: !dataflow.stream<2x2x2xi64>) -> !dataflow.stream<2x2x2xi8> {
  %y = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 3, shift = 4>, layer = "rq"} : !dataflow.stream<2x2x2xi64> -> !dataflow.stream<2x2x2xi8>
  func.return %y : !dataflow.stream<2x2x2xi8>
}
// CHECK: error: 'dataflow.requantize' op "rq": requantising i64 values needs more than a 64-bit product

// -----
func.func @a(%x: !dataflow.stream<2x2x2xi8>) -> !dataflow.stream<2x2x2xi8> {
  func.return %x : !dataflow.stream<2x2x2xi8>
}
// CHECK: error: @a: input 'in0' is returned unchanged; nothing to build

// -----
func.func @a(%x: !dataflow.stream<2x2x2xi8>) -> !dataflow.stream<2x2x2xi8> {
  %y = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<2x2x2xi8> -> !dataflow.stream<2x2x2xi8>
  func.return %y : !dataflow.stream<2x2x2xi8>
}
func.func @b(%x: !dataflow.stream<2x2x2xi8>) -> !dataflow.stream<2x2x2xi8> {
  %y = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<2x2x2xi8> -> !dataflow.stream<2x2x2xi8>
  func.return %y : !dataflow.stream<2x2x2xi8>
}
// CHECK: error: lower-dataflow-to-hls: expected one func.func (the network), found 2
