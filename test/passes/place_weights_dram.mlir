// The DRAM model of placed weights (passes/analysis/placement.py): every DRAM port's bytes per frame, the
// bandwidth each gets (its share of the derated bandwidth, so all need T_dram), and dataflow.dram on the function.
// RUN: fpga-opt %s -p 'place-weights{board=kv260 layers="conv:dram,fc1:dram"}' | filecheck %s
// RUN: fpga-opt %s -p 'place-weights{board=kv260 layers="conv:dram,fc1:generated,fc2:uram" ratio=0.125 coefficients=dram}' | filecheck %s --check-prefix=GEN

// Streamed, a conv is read once per output pixel (conv.h has no weight cache): 8x8 = 64 reads of 36,864 B =
// 2,359,296 B per frame; fc1 once: 262,144 B.  With 4096 B in and 10 B out: 2,625,546 B at KV260's 19.2 GB/s
// x 0.75 / 250 MHz = 57.6 B/cycle: T_dram = 45,583 cycles.  Shares: 57.6 x 2,359,296 / 2,625,546 = 51.759 and
// 57.6 x 262,144 / 2,625,546 = 5.751 B/cycle.
// CHECK-LABEL: func.func @order
// CHECK-SAME:  dataflow.dram = {bytes_per_frame = 2625546 : i64, bytes_per_cycle = 5.760000e+01 : f64, cycles = 45583 : i64}
// CHECK-NEXT:  dataflow.weight_stream {weights = "c.w", weight_type = i8, reads = 64 : i64, bytes_per_cycle = 51.75892{{[0-9]*}} : f64, layer = "conv.dram"}
// CHECK-NEXT:  %c = dataflow.conv %x {{.*}}layer = "conv", {{.*}}weight_placement = "dram"}
// CHECK-NEXT:  dataflow.weight_stream {weights = "fc1.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = 5.75099{{[0-9]*}} : f64, layer = "fc1.dram"}
// CHECK-NEXT:  %h = dataflow.linear %c {{.*}}weight_placement = "dram"}
// A generator reading its coefficients from DRAM is a DRAM port too: 16,384 rows x 2 codes x (8 + 4) bits =
// 49,152 B per frame; with the conv's stream 2,412,554 B, 41,885 cycles.  fc2 is forced into URAM.
// GEN-LABEL: func.func @order
// GEN-SAME:  dataflow.dram = {bytes_per_frame = 2412554 : i64, bytes_per_cycle = 5.760000e+01 : f64, cycles = 41885 : i64}
// GEN-NEXT:  dataflow.weight_stream {weights = "c.w", weight_type = i8, reads = 64 : i64, bytes_per_cycle = 56.32845{{[0-9]*}} : f64, layer = "conv.dram"}
// GEN:       dataflow.weights_generator {weights = "fc1.w.ovsf", source = "fc1.w", coefficients = "dram", bytes_per_cycle = 1.17350{{[0-9]*}} : f64, weight_type = i8, ratio = 1.250000e-01 : f64, block = 16 : i64, layer = "fc1.gen"}
// GEN:       %y = dataflow.linear %h {{.*}}weight_placement = "uram"}
func.func @order(%x: !dataflow.stream<8x8x64xi8>) -> !dataflow.stream<1x1x10xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "conv"} : (!dataflow.stream<8x8x64xi8>) -> !dataflow.stream<8x8x64xi8>
  %h = dataflow.linear %c {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<8x8x64xi8> -> !dataflow.stream<1x1x64xi8>
  %y = dataflow.linear %h {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc2"} : !dataflow.stream<1x1x64xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
