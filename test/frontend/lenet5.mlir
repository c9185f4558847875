// LeNet-5 from the example corpus, float and int8 QDQ, through both ways in.
// RUN: fpga-translate --import-onnx %examples/models/lenet5.onnx -o %t/lenet5.mlir
// RUN: filecheck %s --input-file %t/lenet5.mlir
// RUN: fpga-opt %t/lenet5.mlir | filecheck %s
// RUN: fpga-translate --import-onnx %examples/models/lenet5_int8.onnx -o %t/lenet5_int8.mlir
// RUN: filecheck %s --check-prefix=INT8 --input-file %t/lenet5_int8.mlir
// RUN: fpga-opt %examples/models/lenet5_int8.onnx -p dataflow-canonicalize -o %t/opt/lenet5_int8.mlir
// RUN: filecheck %s --check-prefix=INT8 --input-file %t/opt/lenet5_int8.mlir
// RUN: %python -c "import numpy; print(sorted(numpy.load('%t/opt/lenet5_int8.weights.npz')))" | filecheck %s --check-prefix=SIDECAR

// CHECK:      builtin.module attributes {dataflow.weights = "lenet5.weights.npz"} {
// CHECK-NEXT:   func.func @lenet5(%input: !dataflow.stream<28x28x1xf32>) -> !dataflow.stream<1x1x10xf32>
// CHECK-SAME:     attributes {dataflow.input_names = ["input"], dataflow.output_names = ["output"]}
// CHECK-NEXT:     %[[C1:.*]] = dataflow.conv %input {kernel = array<i64: 5, 5>, stride = array<i64: 1, 1>, pad = array<i64: 2, 2, 2, 2>, weights = "conv1.conv_Conv.w", weight_type = f32, bias = "conv1.conv_Conv.b", activation = #dataflow.act<kind = "relu">, layer = "conv1.conv_Conv"} : (!dataflow.stream<28x28x1xf32>) -> !dataflow.stream<28x28x6xf32>
// CHECK-NEXT:     %[[P1:.*]] = dataflow.pool %[[C1]] {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, layer = "pool1_MaxPool"} : !dataflow.stream<28x28x6xf32> -> !dataflow.stream<14x14x6xf32>
// CHECK-NEXT:     %[[C2:.*]] = dataflow.conv %[[P1]] {{.*}}layer = "conv2.conv_Conv"} : (!dataflow.stream<14x14x6xf32>) -> !dataflow.stream<10x10x16xf32>
// CHECK-NEXT:     %[[P2:.*]] = dataflow.pool %[[C2]] {{.*}} : !dataflow.stream<10x10x16xf32> -> !dataflow.stream<5x5x16xf32>
// The Flatten is absorbed: the linear layer reads the 5x5x16 stream (weights permuted to HWC order).
// CHECK-NEXT:     %[[F1:.*]] = dataflow.linear %[[P2]] {weights = "fc1.gemm_Gemm.w", weight_type = f32, bias = "fc1.gemm_Gemm.b", activation = #dataflow.act<kind = "relu">, layer = "fc1.gemm_Gemm"} : !dataflow.stream<5x5x16xf32> -> !dataflow.stream<1x1x120xf32>
// CHECK-NEXT:     %[[F2:.*]] = dataflow.linear %[[F1]] {{.*}} : !dataflow.stream<1x1x120xf32> -> !dataflow.stream<1x1x84xf32>
// CHECK-NEXT:     %[[F3:.*]] = dataflow.linear %[[F2]] {weights = "fc3_Gemm.w", weight_type = f32, bias = "fc3_Gemm.b", layer = "fc3_Gemm"} : !dataflow.stream<1x1x84xf32> -> !dataflow.stream<1x1x10xf32>
// CHECK-NEXT:     %[[SM:.*]] = dataflow.softmax %[[F3]] {layer = "output_Softmax"} : !dataflow.stream<1x1x10xf32> -> !dataflow.stream<1x1x10xf32>
// CHECK-NEXT:     func.return %[[SM]] : !dataflow.stream<1x1x10xf32>

// Quantised: i8 streams, i8 weights, requant fused into each layer (ReLU = saturation at 0),
// the host quantises the input at 1/16 and dequantises the logits at 1/32.
// INT8:      builtin.module attributes {dataflow.weights = "lenet5_int8.weights.npz"} {
// INT8-NEXT:   func.func @lenet5_int8(%input: !dataflow.stream<28x28x1xi8>) -> !dataflow.stream<1x1x10xi8>
// INT8-SAME:     dataflow.input_scales = [6.250000e-02 : f64], dataflow.output_scales = [3.125000e-02 : f64]
// INT8-NEXT:     %[[C1:.*]] = dataflow.conv %input {{{.*}}weight_type = i8, bias = "conv1.conv_Conv.b", requant = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = 0, max = 127, rounding = "half_even">, layer = "conv1.conv_Conv"} : (!dataflow.stream<28x28x1xi8>) -> !dataflow.stream<28x28x6xi8>
// INT8-NEXT:     %[[P1:.*]] = dataflow.pool %[[C1]] {mode = "max"{{.*}}} : !dataflow.stream<28x28x6xi8> -> !dataflow.stream<14x14x6xi8>
// INT8-NEXT:     dataflow.conv %[[P1]] {{.*}}requant = #dataflow.requant<multiplier = 1, shift = 8, zero_point = 0, min = 0, max = 127, rounding = "half_even">{{.*}} -> !dataflow.stream<10x10x16xi8>
// INT8-NEXT:     dataflow.pool
// INT8-NEXT:     dataflow.linear {{.*}} : !dataflow.stream<5x5x16xi8> -> !dataflow.stream<1x1x120xi8>
// INT8-NEXT:     dataflow.linear {{.*}} : !dataflow.stream<1x1x120xi8> -> !dataflow.stream<1x1x84xi8>
// INT8-NEXT:     %[[OUT:.*]] = dataflow.linear {{.*}}requant = #dataflow.requant<multiplier = 1, shift = 5, zero_point = 0, min = -128, max = 127, rounding = "half_even">{{.*}} : !dataflow.stream<1x1x84xi8> -> !dataflow.stream<1x1x10xi8>
// INT8-NEXT:     func.return %[[OUT]]

// SIDECAR: ['conv1.conv_Conv.b', 'conv1.conv_Conv.w', 'conv2.conv_Conv.b', 'conv2.conv_Conv.w', 'fc1.gemm_Gemm.b', 'fc1.gemm_Gemm.w', 'fc2.gemm_Gemm.b', 'fc2.gemm_Gemm.w', 'fc3.gemm_Gemm.b', 'fc3.gemm_Gemm.w']
