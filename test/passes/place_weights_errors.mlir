// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'place-weights{board-file="%S/Inputs/small_bram.toml" dram=false}' | filecheck %s --check-prefix=NODRAM
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'place-weights{board-file="%S/Inputs/small_bram.toml" target-fps=100000}' | filecheck %s --check-prefix=SLOW
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'place-weights{layers="fc9:dram"}' | filecheck %s --check-prefix=NAME
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'place-weights{layers="fc1:sram"}' | filecheck %s --check-prefix=KIND

// Without DRAM the classifier cannot fit on chip (34 RAMB18s, or 34k LUTs as LUT ROM: rom_resources
// picks the LUTs, the smaller share); one line names the resource.
// NODRAM: place-weights: design does not fit kv260 even at minimum folding: lut needs {{[0-9]+}}, board allows 34000 (85% of 40000) (with weights on chip; nothing else can be moved off chip)
// 100,000 fps needs 2500 cycles per frame; the weights alone need 524288 B per frame, 52.5 GB/s.
// SLOW: place-weights: bandwidth: 52.5 GB/s needed for the target frame rate at the smallest traffic this search found, board gives 14.4 (19.2 GB/s peak derated)
// NAME: place-weights: no conv or linear layer named 'fc9'
// KIND: place-weights: layers entry 'fc1:sram': placement must be onchip, bram, uram, lutram, dram, generated
func.func @mlp(%x: !dataflow.stream<1x1x1024xi8>) -> !dataflow.stream<1x1x10xi8> {
  %h = dataflow.linear %x {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<1x1x1024xi8> -> !dataflow.stream<1x1x512xi8>
  %y = dataflow.linear %h {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc2"} : !dataflow.stream<1x1x512xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
