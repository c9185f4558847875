"""The target: FPGA boards (resource budget, clock, bandwidth) and how memories, FIFOs and multipliers map onto them."""
