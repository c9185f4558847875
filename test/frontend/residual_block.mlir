// The first residual blocks of ResNet-8 (example corpus): explicit forks, BN folded (float),
// and in int8 an integer add whose multipliers align the two branches' power-of-two scales.
// The faster branch into each add (the identity skip, the 1x1 downsample) gets a FIFO holding the
// whole tensor, so that the design runs as imported.
// RUN: fpga-translate --import-onnx %examples/models/resnet8.onnx -o %t/resnet8.mlir
// RUN: filecheck %s --input-file %t/resnet8.mlir
// RUN: fpga-translate --import-onnx %examples/models/resnet8_int8.onnx -o %t/resnet8_int8.mlir
// RUN: filecheck %s --check-prefix=INT8 --input-file %t/resnet8_int8.mlir
// RUN: fpga-opt %t/resnet8_int8.mlir | filecheck %s --check-prefix=INT8

// CHECK:      func.func @resnet8(%input: !dataflow.stream<32x32x3xf32>) -> !dataflow.stream<1x1x10xf32>
// CHECK-NOT:  batch
// CHECK-NEXT:   %[[STEM:.*]] = dataflow.conv %input {{{.*}}bias = "stem.conv_Conv.b", activation = #dataflow.act<kind = "relu">, layer = "stem.conv_Conv"}
// CHECK-NEXT:   %[[F0:.*]], %[[F1:.*]] = dataflow.fork %[[STEM]] {layer = "stem.conv_Conv.fork"} : !dataflow.stream<32x32x16xf32> -> !dataflow.stream<32x32x16xf32>, !dataflow.stream<32x32x16xf32>
// CHECK-NEXT:   %[[A:.*]] = dataflow.conv %[[F0]] {{{.*}}activation = #dataflow.act<kind = "relu">, layer = "stack1.conv1.conv_Conv"}
// CHECK-NEXT:   %[[B:.*]] = dataflow.conv %[[A]] {{{.*}}bias = "stack1.conv2.conv_Conv.b", layer = "stack1.conv2.conv_Conv"}
// CHECK-NEXT:   %[[SK:.*]] = dataflow.buffer %[[F1]] {depth = 16384 : i64, layer = "stack1.add.add_Add.in1.fifo"}
// CHECK-NEXT:   %[[ADD:.*]] = dataflow.add %[[B]], %[[SK]] {activation = #dataflow.act<kind = "relu">, layer = "stack1.add.add_Add"} : !dataflow.stream<32x32x16xf32>, !dataflow.stream<32x32x16xf32> -> !dataflow.stream<32x32x16xf32>
// CHECK-NEXT:   %[[G0:.*]], %[[G1:.*]] = dataflow.fork %[[ADD]]
// CHECK-NEXT:   %[[C:.*]] = dataflow.conv %[[G0]] {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>{{.*}}} : (!dataflow.stream<32x32x16xf32>) -> !dataflow.stream<16x16x32xf32>
// CHECK-NEXT:   %[[D:.*]] = dataflow.conv %[[C]]
// CHECK-NEXT:   %[[DS:.*]] = dataflow.conv %[[G1]] {kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>{{.*}}layer = "stack2.downsample.conv_Conv"} : (!dataflow.stream<32x32x16xf32>) -> !dataflow.stream<16x16x32xf32>
// CHECK-NEXT:   %[[DSB:.*]] = dataflow.buffer %[[DS]] {depth = 8192 : i64, layer = "stack2.add.add_Add.in1.fifo"}
// CHECK-NEXT:   dataflow.add %[[D]], %[[DSB]] {activation = #dataflow.act<kind = "relu">
// CHECK:        dataflow.pool %{{.*}} {mode = "avg", kernel = array<i64: 8, 8>, stride = array<i64: 8, 8>{{.*}}} : !dataflow.stream<8x8x64xf32> -> !dataflow.stream<1x1x64xf32>
// CHECK-NEXT:   dataflow.linear
// CHECK-NEXT:   func.return

// INT8:      func.func @resnet8_int8(%input: !dataflow.stream<32x32x3xi8>) -> !dataflow.stream<1x1x10xi8>
// INT8-NEXT:   %[[STEM:.*]] = dataflow.conv %input {{{.*}}weight_type = i8, {{.*}}requant = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = 0, max = 127, rounding = "half_even">, layer = "stem.conv_Conv"}
// INT8-NEXT:   %[[F0:.*]], %[[F1:.*]] = dataflow.fork %[[STEM]] {layer = "stem.conv_Conv.fork"} : !dataflow.stream<32x32x16xi8> -> !dataflow.stream<32x32x16xi8>, !dataflow.stream<32x32x16xi8>
// INT8-NEXT:   %[[A:.*]] = dataflow.conv %[[F0]] {{{.*}}min = 0, max = 127{{.*}}}
// The branch's last conv has no ReLU: it saturates to the full int8 range.
// INT8-NEXT:   %[[B:.*]] = dataflow.conv %[[A]] {{{.*}}requant = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = -128, max = 127, rounding = "half_even">, layer = "stack1.conv2.conv_Conv"}
// The skip's scale is twice the branch's: rhs * 2 + lhs, then the shift to the block output scale, ReLU as min = 0.
// INT8-NEXT:   %[[SK:.*]] = dataflow.buffer %[[F1]] {depth = 16384 : i64
// INT8-NEXT:   %[[ADD:.*]] = dataflow.add %[[B]], %[[SK]] {rhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1, zero_point = 0, min = 0, max = 127, rounding = "half_even">, layer = "stack1.add.add_Add"} : !dataflow.stream<32x32x16xi8>, !dataflow.stream<32x32x16xi8> -> !dataflow.stream<32x32x16xi8>
// INT8-NEXT:   dataflow.fork %[[ADD]]
// INT8:        dataflow.pool %{{.*}} {mode = "avg", kernel = array<i64: 8, 8>, {{.*}}requant = #dataflow.requant<multiplier = 1, shift = 3, {{.*}}} : !dataflow.stream<8x8x64xi8> -> !dataflow.stream<1x1x64xi8>
