// fpga-opt HLS kernel library: everything a generated top.cpp includes.
#ifndef FPGA_OPT_KERNELS_H
#define FPGA_OPT_KERNELS_H

#include "types.h"
#include "sliding_window.h"
#include "conv.h"
#include "pool.h"
#include "linear.h"
#include "eltwise.h"
#include "stream_ops.h"
#include "exits.h"
#include "binary.h"
#include "weights.h"

#endif  // FPGA_OPT_KERNELS_H
