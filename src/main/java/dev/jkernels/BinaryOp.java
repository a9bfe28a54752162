package dev.jkernels;

/** The binary element-wise ops of {@link Backend#binary}: both commutative, so either operand may broadcast. */
public enum BinaryOp {
    /** {@code a + b}. */
    ADD,
    /** {@code a · b}. */
    MULTIPLY;

    /** The CUDA kernel suffix: {@code add}, {@code mul}. */
    public String cudaName() { return this == ADD ? "add" : "mul"; }

    public double apply(double a, double b) { return this == ADD ? a + b : a * b; }
}
