"""The HLS back end: the `hls` dialect's emitter and the C++ kernel header library.

`emit.emit_project(module, weights, out_dir)` prints a lowered module (one
`vhls.design`, see passes/lower_dataflow_to_hls/) as a Vitis HLS project;
`include/fpga_opt/*.h` are the templated kernels it instantiates.
"""
