// place-weights' search (passes/analysis/placement_search.py): which layers it streams first, which it never
// streams, and its improve step choosing generation on chip when the DRAM binds; placing a placed design again
// gives the same design (the last RUN).
// RUN: fpga-opt %s -p 'place-weights{board-file="%S/Inputs/small_bram.toml"}' | filecheck %s
// RUN: fpga-opt %s -p 'place-weights{board-file="%S/Inputs/small_bram_slow_dram.toml"}' | filecheck %s --check-prefix=SLOW
// RUN: fpga-opt %s -p 'place-weights{board-file="%S/Inputs/small_bram_slow_dram.toml" generate=true ratio=0.125 coefficients=dram}' | filecheck %s --check-prefix=GEN
// RUN: fpga-opt %s -p 'place-weights{board-file="%S/Inputs/small_bram_slow_dram.toml" generate=true ratio=0.125 coefficients=onchip}' | filecheck %s --check-prefix=ONCHIP
// RUN: fpga-opt %s -p 'place-weights{board-file="%S/Inputs/small_bram.toml"},place-weights{board-file="%S/Inputs/small_bram.toml"}' | filecheck %s

// A 3x3 conv (36,864 weights, read once per output pixel: 64 reads per frame) and fc1 (262,144 weights, read
// once per frame) do not fit 34 RAMB18s together.  The fit step streams the fewest DRAM bytes per on-chip bit
// first: fc1 (1/8 byte per bit) before the conv (64/8); then the conv fits on chip and stays.  fc2 (640 weights,
// 5 Kbit) is smaller than a stream's 32-Kbit burst buffer: never streamed.  DRAM per frame: 4096 B in + 10 B out
// + 262,144 B of fc1 = 266,250 B at 57.6 B/cycle = 4623 cycles, under the compute interval.
// CHECK-LABEL: func.func @order
// CHECK-SAME:  dataflow.dram = {bytes_per_frame = 266250 : i64, bytes_per_cycle = 5.760000e+01 : f64, cycles = 4623 : i64}
// CHECK-NEXT:  %c = dataflow.conv %x {{.*}}layer = "conv", coarse_in = {{[0-9]+}} : i64
// CHECK-NOT:   weight_placement
// CHECK-NEXT:  dataflow.weight_stream {weights = "fc1.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = {{.*}}, layer = "fc1.dram"}
// CHECK-NEXT:  %h = dataflow.linear %c {{.*}}layer = "fc1", {{.*}}weight_placement = "dram"}
// CHECK-NEXT:  %y = dataflow.linear %h {{.*}}layer = "fc2"
// CHECK-NOT:   weight_placement
// CHECK-NEXT:  func.return
// At 0.5 GB/s (1.5 B/cycle derated) the same placement is bandwidth-bound: 266,250 / 1.5 = 177,500 cycles;
// without generate=true the search has nothing better (fc1 fits neither the RAMB18s nor, on this 20k-LUT
// board, LUTRAM).
// SLOW-LABEL: func.func @order
// SLOW-SAME:  dataflow.dram = {bytes_per_frame = 266250 : i64, bytes_per_cycle = 1.500000e+00 : f64, cycles = 177500 : i64}
// SLOW:       dataflow.weight_stream {weights = "fc1.w"
// The improve step (generate=true) generates fc1 from its OVSF form: 16-value blocks, 64 x 4096 / 16 = 16,384
// rows of 2 codes x (8-bit coefficient + 4-bit index) = 3 B, read from DRAM once per frame: 49,152 + 4106 =
// 53,258 B, 35,506 cycles (5x less than streaming it).
// GEN-LABEL: func.func @order
// GEN-SAME:  dataflow.dram = {bytes_per_frame = 53258 : i64, bytes_per_cycle = 1.500000e+00 : f64, cycles = 35506 : i64}
// GEN:       dataflow.weights_generator {weights = "fc1.w.ovsf", source = "fc1.w", coefficients = "dram", bytes_per_cycle = {{.*}}, weight_type = i8, ratio = 1.250000e-01 : f64, block = 16 : i64, layer = "fc1.gen"}
// GEN-NEXT:  %h = dataflow.linear %c {weights = "fc1.w.ovsf", {{.*}}weight_placement = "generated"}
// GEN-NOT:   weight_stream
// With the coefficients on chip only the network's input and output cross the DRAM: 4106 B, 2738 cycles.
// ONCHIP-LABEL: func.func @order
// ONCHIP-SAME:  dataflow.dram = {bytes_per_frame = 4106 : i64, bytes_per_cycle = 1.500000e+00 : f64, cycles = 2738 : i64}
// ONCHIP:       dataflow.weights_generator {weights = "fc1.w.ovsf", source = "fc1.w", weight_type = i8, ratio = 1.250000e-01 : f64, block = 16 : i64, layer = "fc1.gen"}
func.func @order(%x: !dataflow.stream<8x8x64xi8>) -> !dataflow.stream<1x1x10xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "conv"} : (!dataflow.stream<8x8x64xi8>) -> !dataflow.stream<8x8x64xi8>
  %h = dataflow.linear %c {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<8x8x64xi8> -> !dataflow.stream<1x1x64xi8>
  %y = dataflow.linear %h {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc2"} : !dataflow.stream<1x1x64xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
