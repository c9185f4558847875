"""Console scripts (`fpga-opt`, `fpga-translate`, `fpga-sim`, ...): thin wrappers over the library."""
