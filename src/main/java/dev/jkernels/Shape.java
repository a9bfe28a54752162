package dev.jkernels;

import java.util.Arrays;

/** An immutable tensor shape: every dimension at least 1, element count within a {@code long}. */
public final class Shape {
    private final int[] dims;
    private final long elementCount;

    private Shape(int[] dims, long elementCount) {
        this.dims = dims;
        this.elementCount = elementCount;
    }

    /**
     * @throws IllegalArgumentException for no dimensions, a dimension below 1, or an element count
     *     that overflows a {@code long}
     */
    public static Shape of(int... dims) {
        if (dims == null) throw new IllegalArgumentException("shape: dims must not be null");
        if (dims.length == 0) throw new IllegalArgumentException("shape: at least one dimension expected, got []");
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1) {
                throw new IllegalArgumentException("shape: dimension " + i + " must be >= 1, got "
                        + Arrays.toString(dims));
            }
            try {
                count = Math.multiplyExact(count, dims[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape: element count of " + Arrays.toString(dims)
                        + " overflows a long", e);
            }
        }
        return new Shape(dims.clone(), count);
    }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i]; }

    public int[] dims() { return dims.clone(); }

    public long elementCount() { return elementCount; }

    /** The element count as an int, or an exception naming {@code what} when it does not fit. */
    public int elementCountAsInt(String what) {
        if (elementCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": " + this + " holds " + elementCount
                    + " elements, more than the 2^31-1 this operation supports");
        }
        return (int) elementCount;
    }

    public boolean sameAs(int... other) { return Arrays.equals(dims, other); }

    @Override public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}
