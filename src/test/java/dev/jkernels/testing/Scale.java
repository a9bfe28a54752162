package dev.jkernels.testing;

/** How big the test shapes get on a backend. */
public enum Scale {
    /** The emulator runs every CUDA thread on the CPU: dims up to about 65–130 and few cases. */
    SMALL,
    /** CPU and GPU: the full grids and some larger shapes. */
    FULL
}
