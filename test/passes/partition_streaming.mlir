// partition{streaming=true} (passes/partition.py, the schedule and the choice in passes/analysis/partitions.py):
// partitions weighed against one configuration that streams weights from DRAM, under the board's bandwidth.
// RUN: fpga-opt %s -p 'partition{board-file="%S/Inputs/tiny.toml" streaming=true}' | filecheck %s
// RUN: fpga-opt %s -p 'partition{board-file="%S/Inputs/tiny_slow_dram.toml" streaming=true}' | filecheck %s --check-prefix=SLOW
// RUN: fpga-opt %s -p 'partition{board-file="%S/Inputs/tiny_slow_dram.toml" streaming=true single=false}' | filecheck %s --check-prefix=NOSINGLE
// RUN: fpga-opt %s -p 'partition{board-file="%S/Inputs/tiny.toml"}' | filecheck %s --check-prefix=NOCHOICE

// Three 256x256 int8 layers do not fit the tiny board's 34 RAMB18s together.  With KV260's DRAM (57.6 B/cycle
// derated), streaming fc1 (65,536 B, read once per frame) costs 1143 cycles of DRAM per frame, under fc1's
// compute (4096 cycles at coarse_in 16): 250 MHz / 4096 = 61,035 FPS, against 2 partitions whose 2 x 2,330,974
// cycles of reconfiguration per batch of 256 bind (12,996 FPS), and against partitions that may stream: one
// partition (fc1 streamed), never stopped to reconfigure, so it streams frames at its interval like the
// streamed configuration (61,035 FPS).  The tie keeps streaming: one placed function, no dataflow.schedule.
// CHECK-LABEL: builtin.module attributes {dataflow.offchip_choice = {chosen = "streaming", streaming_fps = 61035.{{[0-9]+}} : f64, streaming = "compute (fc1)", partitions = 2 : i64, partitions_fps = 12996.{{[0-9]+}} : f64, partitions_binds = "reconfiguration (2 x 2330974 cycles per batch)", streamed_partitions = 1 : i64, streamed_partitions_fps = 61035.{{[0-9]+}} : f64, streamed_partitions_binds = "partition mlp3_p0: compute (fc1)"}
// CHECK-NOT:  dataflow.schedule
// CHECK-LABEL: func.func @mlp3(%x: !dataflow.stream<1x1x256xi8>) -> !dataflow.stream<1x1x10xi8> attributes {dataflow.dram = {bytes_per_frame = 65802 : i64, bytes_per_cycle = 5.760000e+01 : f64, cycles = 1143 : i64}}
// CHECK-NEXT: dataflow.weight_stream {weights = "fc1.w", {{.*}}layer = "fc1.dram"}
// CHECK-NEXT: dataflow.linear %x {{.*}}layer = "fc1", coarse_in = 16 : i64, weight_placement = "dram"}
// CHECK-NOT:  func.func
// At 0.03 B/cycle the streamed weights bind (65,802 B / 0.03 = 2,193,400 cycles: 114 FPS), while each
// partition moves only its feature maps (512 and 266 B per frame): 5655 FPS for the batch of 256.  The
// partitions win; the streamed alternative's figures stay on the module.
// SLOW-LABEL: builtin.module attributes {dataflow.offchip_choice = {chosen = "partitions", streaming_fps = 1.139780e+02 : f64, streaming = "bandwidth", partitions = 2 : i64, partitions_fps = 5655.{{[0-9]+}} : f64, partitions_binds = "partition mlp3_p0: bandwidth", streamed_partitions = 1 : i64, streamed_partitions_fps = {{1\.139[0-9]+e\+02}} : f64, streamed_partitions_binds = "partition mlp3_p0: bandwidth"}, dataflow.schedule = {partitions = 2 : i64, batch = 256 : i64
// SLOW-LABEL: func.func @mlp3_p0
// SLOW-SAME:  dataflow.dram = {bytes_per_frame = 512 : i64, bytes_per_cycle = 3.000000e-02 : f64, cycles = 17067 : i64}
// SLOW-NOT:   weight_stream
// SLOW-LABEL: func.func @mlp3_p1
// SLOW-NOT:   func.func @mlp3(
// single=false (fpga-compile weighs its own place-weights design): only the partition plans are weighed.
// NOSINGLE-LABEL: builtin.module attributes {dataflow.offchip_choice = {chosen = "partitions", streaming_fps = 0.000000e+00 : f64, streaming = "not weighed (single=false)", partitions = 2 : i64
// NOSINGLE-LABEL: func.func @mlp3_p0
// Without streaming=true the pass partitions and records no choice.
// NOCHOICE-NOT: offchip_choice
// NOCHOICE-LABEL: func.func @mlp3_p0
func.func @mlp3(%x: !dataflow.stream<1x1x256xi8>) -> !dataflow.stream<1x1x10xi8> {
  %a = dataflow.linear %x {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<1x1x256xi8> -> !dataflow.stream<1x1x256xi8>
  %b = dataflow.linear %a {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc2"} : !dataflow.stream<1x1x256xi8> -> !dataflow.stream<1x1x256xi8>
  %y = dataflow.linear %b {weights = "fc3.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc3"} : !dataflow.stream<1x1x256xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
