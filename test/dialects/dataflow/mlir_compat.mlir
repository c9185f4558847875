// The generic form is valid MLIR: upstream mlir-opt parses it and prints it
// back, fpga-opt reads mlir-opt's output again, and a second trip through
// mlir-opt gives the same text (nothing was lost or changed on the way).
// REQUIRES: mlir-opt
// RUN: fpga-opt %S/ops.mlir --print-op-generic | %mlir-opt --allow-unregistered-dialect --mlir-print-op-generic > %t.first.mlir
// RUN: fpga-opt %t.first.mlir | filecheck %s
// RUN: fpga-opt %t.first.mlir --print-op-generic | %mlir-opt --allow-unregistered-dialect --mlir-print-op-generic > %t.second.mlir
// RUN: diff %t.first.mlir %t.second.mlir

// CHECK: func.func @int8_layers
// CHECK: dataflow.conv
// CHECK: func.func @early_exit
// CHECK: dataflow.exit_merge
