// A 1-D CNN exported by torch (Conv1d, BatchNorm1d, ReLU, MaxPool1d, AvgPool1d, Linear) and
// quantised by onnxruntime: imported as 2-D ops on maps of height 1 (frontend/lift_1d.py).
// RUN: fpga-translate --import-onnx %examples/ecg/ecg_cnn_int8.onnx -o %t/ecg.mlir
// RUN: filecheck %s --input-file %t/ecg.mlir
// RUN: fpga-opt %t/ecg.mlir -p 'select-folding{board=pynqz2},estimate-resources' | fpga-report - | filecheck %s --check-prefix=REPORT
// RUN: fpga-translate --import-onnx %examples/ecg/ecg_cnn.onnx -o %t/ecg_float.mlir
// RUN: filecheck %s --check-prefix=FLOAT --input-file %t/ecg_float.mlir

// The [N, 1, 256] input is a 1 x 256 x 1 stream; Conv1d(k=7, padding=3) a 1 x 7 window padded
// on W only; MaxPool1d(4) and AvgPool1d(16) 1 x 4 and 1 x 16 pools.
// CHECK:      func.func @main_graph(%ecg: !dataflow.stream<1x256x1xi8>) -> !dataflow.stream<1x1x4xi8>
// CHECK-NEXT:   dataflow.conv %ecg {kernel = array<i64: 1, 7>, stride = array<i64: 1, 1>, pad = array<i64: 0, 3, 0, 3>, {{.*}}weight_type = i8{{.*}} : (!dataflow.stream<1x256x1xi8>) -> !dataflow.stream<1x256x8xi8>
// CHECK-NEXT:   dataflow.pool {{.*}}mode = "max", kernel = array<i64: 1, 4>, stride = array<i64: 1, 4>{{.*}} -> !dataflow.stream<1x64x8xi8>
// CHECK-NEXT:   dataflow.conv {{.*}}kernel = array<i64: 1, 5>, stride = array<i64: 1, 1>, pad = array<i64: 0, 2, 0, 2>{{.*}} -> !dataflow.stream<1x64x16xi8>
// CHECK-NEXT:   dataflow.pool {{.*}}mode = "max", kernel = array<i64: 1, 4>{{.*}} -> !dataflow.stream<1x16x16xi8>
// CHECK-NEXT:   dataflow.conv {{.*}}kernel = array<i64: 1, 3>{{.*}} -> !dataflow.stream<1x16x16xi8>
// CHECK-NEXT:   dataflow.pool {{.*}}mode = "avg", kernel = array<i64: 1, 16>{{.*}} -> !dataflow.stream<1x1x16xi8>
// CHECK-NEXT:   dataflow.linear {{.*}} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x4xi8>

// The first conv reads one sample per cycle, so a frame takes at least 256 cycles (and is the bottleneck).
// REPORT: interval {{[0-9,]+}} cycles (bottleneck: 0.Conv), latency {{[0-9,]+}} cycles, predicted {{[0-9,.]+}} FPS
// REPORT-NEXT: power {{[0-9.]+}} W (static 0.319 W, dynamic {{[0-9.]+}} W), energy {{[0-9.,]+}} uJ per inference

// Float: BatchNorm1d folds into the conv's epilogue, as in 2-D.
// FLOAT:      func.func @main_graph(%ecg: !dataflow.stream<1x256x1xf32>) -> !dataflow.stream<1x1x4xf32>
// FLOAT-NEXT:   dataflow.conv %ecg {kernel = array<i64: 1, 7>{{.*}}weight_type = f32
