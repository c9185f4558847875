// RUN: fpga-opt %s --split-input-file -p 'place-weights{board-file="%S/Inputs/small_bram.toml"}' | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'place-weights{board=kv260}' | filecheck %s --check-prefix=FITS
// RUN: fpga-opt %s --split-input-file -p 'place-weights{board=kv260 layers="fc2:lutram,fc1:generated" ratio=0.5}' | filecheck %s --check-prefix=FIXED

// A 1024x512 int8 classifier holds 4 Mbit of weights: 228 RAMB18s at any folding, far over the
// 34 the small board allows.  place-weights streams it from DRAM (read once per frame) and keeps the
// small second layer on chip; the stream gets the whole derated bandwidth share of its bytes
// (524288 of the 525322 bytes a frame moves: 1024 in + 10 out + 524288 weights: 57.49 of 57.6 B/cycle),
// and the function records the DRAM's time per frame: 525322 B / (19.2 GB/s * 0.75 / 250 MHz =
// 57.6 B/cycle) = 9121 cycles.
// CHECK-LABEL: func.func @mlp
// CHECK-SAME: dataflow.dram = {bytes_per_frame = 525322 : i64, bytes_per_cycle = 5.760000e+01 : f64, cycles = 9121 : i64}
// CHECK-NEXT: dataflow.weight_stream {weights = "fc1.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = 57.48662{{[0-9]*}} : f64, layer = "fc1.dram"}
// CHECK-NEXT: dataflow.linear %x {weights = "fc1.w", {{.*}}layer = "fc1", {{.*}}weight_placement = "dram"}
// CHECK-NEXT: dataflow.linear %h {weights = "fc2.w", {{.*}}layer = "fc2", coarse_in = {{[0-9]+}} : i64{{(, coarse_out = [0-9]+ : i64)?}}}
// CHECK-NEXT: func.return
// On a full KV260 (288 RAMB18 + 64 URAM) everything fits on chip: nothing is placed.
// FITS-LABEL: func.func @mlp
// FITS-NOT: weight_placement
// FITS-NOT: dataflow.weight_stream
// Fixed placements: fc1 generated (ratio 0.5, one 16-value block per 16 inputs), fc2 in LUTRAM.
// FIXED: dataflow.weights_generator {weights = "fc1.w.ovsf", source = "fc1.w", weight_type = i8, ratio = 5.000000e-01 : f64, block = 16 : i64, layer = "fc1.gen"}
// FIXED-NEXT: dataflow.linear %x {weights = "fc1.w.ovsf", {{.*}}weight_placement = "generated"}
// FIXED-NEXT: dataflow.linear %h {weights = "fc2.w", {{.*}}weight_placement = "lutram"}
func.func @mlp(%x: !dataflow.stream<1x1x1024xi8>) -> !dataflow.stream<1x1x10xi8> {
  %h = dataflow.linear %x {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<1x1x1024xi8> -> !dataflow.stream<1x1x512xi8>
  %y = dataflow.linear %h {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc2"} : !dataflow.stream<1x1x512xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
