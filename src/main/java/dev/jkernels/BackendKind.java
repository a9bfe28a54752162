package dev.jkernels;

/** What executes a backend's ops. */
public enum BackendKind {
    /** Pure Java, parallel; the reference for every other backend. */
    CPU,
    /** The CUDA kernels on an NVIDIA GPU through JCuda. */
    CUDA,
    /** The same CUDA kernels compiled for the CPU and launched through the same Java launch code. */
    EMULATED
}
