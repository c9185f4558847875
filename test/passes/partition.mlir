// RUN: fpga-opt %s --split-input-file -p 'partition{board-file="%S/Inputs/tiny.toml"}' | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'partition{board-file="%S/Inputs/tiny.toml" batch=8}' | filecheck %s --check-prefix=BATCH
// RUN: fpga-opt %s --split-input-file -p 'partition{board=kv260}' | filecheck %s --check-prefix=ONE
// RUN: fpga-opt %s -p 'partition{board-file="%S/Inputs/tiny.toml" batch=4}' -o %t.mlir && fpga-sim %t.mlir | filecheck %s --check-prefix=SIM

// Three 256x256 int8 layers (0.5 Mbit each) do not fit 34 RAMB18s (85% of 40) and 17k LUTs together:
// fc1 alone, then fc2 + fc3.  One function per partition in run order; partition 0's result (a 256-byte
// feature map) goes through DRAM to partition 1, so it counts in both partitions' DRAM bytes.  The KV260's
// reconfiguration: 59,672,928 bits / 6.4 Gb/s = 9.32 ms = 2,330,974 cycles at 250 MHz; the batch is the
// smallest reaching 90% of the asymptotic frame rate, capped at max-batch = 256, so reconfiguration binds.
// CHECK-LABEL: builtin.module attributes {dataflow.schedule = {partitions = 2 : i64, batch = 256 : i64, reconfig_cycles = 2330974 : i64, batch_cycles = {{[0-9]+}} : i64, fps = {{.*}} : f64, binds = "reconfiguration (2 x 2330974 cycles per batch)"}
// CHECK-LABEL: func.func @mlp3_p0(%0: !dataflow.stream<1x1x256xi8>) -> !dataflow.stream<1x1x256xi8>
// CHECK-SAME: dataflow.dram = {bytes_per_frame = 512 : i64
// CHECK-SAME: dataflow.partition = {index = 0 : i64, count = 2 : i64, batch = 256 : i64, reconfig_cycles = 2330974 : i64, interval = {{[0-9]+}} : i64, latency = {{[0-9]+}} : i64}
// CHECK-NEXT: %a = dataflow.linear %0 {{.*}}layer = "fc1"
// CHECK-NEXT: func.return %a
// CHECK-LABEL: func.func @mlp3_p1(%0: !dataflow.stream<1x1x256xi8>) -> !dataflow.stream<1x1x10xi8>
// CHECK-SAME: dataflow.dram = {bytes_per_frame = 266 : i64
// CHECK-SAME: dataflow.partition = {index = 1 : i64, count = 2 : i64
// CHECK-NEXT: %b = dataflow.linear %0 {{.*}}layer = "fc2"
// CHECK-NEXT: %y = dataflow.linear %b {{.*}}layer = "fc3"
// CHECK-NEXT: func.return %y
// fpga-sim runs the schedule: each partition on the batch, then the reconfigurations (2 x 2330974).
// SIM: fpga-sim: {{.*}}: 2 partition(s) in turn, batch 4, reconfiguration 2330974 cycles each, at 250 MHz
// SIM-NEXT: partition cycles for the batch cycles/frame model cycles/frame
// SIM-NEXT: ---------
// SIM-NEXT: @mlp3_p0 {{[0-9]+}} 512.0 512
// SIM-NEXT: @mlp3_p1 {{[0-9]+}} 512.0 512
// SIM-NEXT: cycles/batch 466{{[0-9][0-9][0-9][0-9]$}}
// BATCH: dataflow.schedule = {partitions = 2 : i64, batch = 8 : i64
// On a KV260 everything fits: one partition, batch 1, no reconfiguration.
// ONE: dataflow.schedule = {partitions = 1 : i64, batch = 1 : i64, reconfig_cycles = 0 : i64
// ONE: func.func @mlp3_p0(%0: !dataflow.stream<1x1x256xi8>) -> !dataflow.stream<1x1x10xi8>
func.func @mlp3(%x: !dataflow.stream<1x1x256xi8>) -> !dataflow.stream<1x1x10xi8> {
  %a = dataflow.linear %x {weights = "fc1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc1"} : !dataflow.stream<1x1x256xi8> -> !dataflow.stream<1x1x256xi8>
  %b = dataflow.linear %a {weights = "fc2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "fc2"} : !dataflow.stream<1x1x256xi8> -> !dataflow.stream<1x1x256xi8>
  %y = dataflow.linear %b {weights = "fc3.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc3"} : !dataflow.stream<1x1x256xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
