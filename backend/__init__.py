"""Back ends: the cycle-level interpreter (`sim`) and the HLS C++ emitter (`hls`)."""
