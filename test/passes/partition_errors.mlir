// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'partition{board-file="%S/Inputs/tiny.toml"}' | filecheck %s
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'partition{max-batch=0}' | filecheck %s --check-prefix=OPT
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'partition{max-util=1.5}' | filecheck %s --check-prefix=UTIL
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'partition{board-file="%S/Inputs/crumb.toml" streaming=true}' | filecheck %s --check-prefix=STREAM
// OPT: partition: batch must be >= 0 and max-batch >= 1, got 0 and 0
// UTIL: partition: max-util must be in (0, 1], got 1.5

// A 1024x512 int8 layer (4 Mbit) fits the small board in no way, not even alone: one line names what binds.
// CHECK: partition: layer 'fc1' does not fit kv260 even alone: design does not fit kv260 even at minimum folding: bram18 needs {{[0-9]+}}, board allows 34 (85% of 40)
// With streaming=true and a board of one RAMB18 nothing fits, streamed or not: the streamed partitions' reason,
// then the single streamed configuration's, on one line.
// STREAM: partition: layer 'fc1' does not fit kv260 even alone: design does not fit kv260 even at minimum folding: bram18 needs {{[0-9]+}}, board allows 0 (85% of 1) (and as one configuration: design does not fit kv260 even at minimum folding: bram18 needs {{[0-9]+}}, board allows 0 (85% of 1) (with every conv and linear weight off chip; nothing else can be moved off chip))
func.func @big(%x: !dataflow.stream<1x1x1024xi8>) -> !dataflow.stream<1x1x10xi8> {
  %h = dataflow.linear %x {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<1x1x1024xi8> -> !dataflow.stream<1x1x512xi8>
  %y = dataflow.linear %h {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc2"} : !dataflow.stream<1x1x512xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
