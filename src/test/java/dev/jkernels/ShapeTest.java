package dev.jkernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ShapeTest {

    @Test
    void holdsDimsAndCount() {
        Shape s = Shape.of(2, 3, 5, 7);
        assertEquals(4, s.rank());
        assertEquals(210, s.elementCount());
        assertArrayEquals(new int[] {2, 3, 5, 7}, s.dims());
        assertEquals(5, s.dim(2));
        assertEquals("[2, 3, 5, 7]", s.toString());
        assertTrue(s.sameAs(2, 3, 5, 7));
        assertFalse(s.sameAs(2, 3, 5));
    }

    @Test
    void isImmutable() {
        int[] dims = {4, 5};
        Shape s = Shape.of(dims);
        dims[0] = 99;
        assertEquals(4, s.dim(0), "Shape.of must copy its argument");
        s.dims()[1] = 99;
        assertEquals(5, s.dim(1), "dims() must return a copy");
    }

    @Test
    void equalsAndHashCodeByDims() {
        assertEquals(Shape.of(1, 2, 3), Shape.of(1, 2, 3));
        assertEquals(Shape.of(1, 2, 3).hashCode(), Shape.of(1, 2, 3).hashCode());
        assertNotEquals(Shape.of(1, 2, 3), Shape.of(3, 2, 1));
        assertNotEquals(Shape.of(6), Shape.of(2, 3));
    }

    @Test
    void singleElementShapes() {
        assertEquals(1, Shape.of(1).elementCount());
        assertEquals(1, Shape.of(1, 1, 1, 1).elementCount());
    }

    @Test
    void rejectsBadDims() {
        assertThrows(IllegalArgumentException.class, () -> Shape.of((int[]) null));
        assertThrows(IllegalArgumentException.class, Shape::of);
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Shape.of(3, 0, 2));
        assertTrue(zero.getMessage().contains("dimension 1") && zero.getMessage().contains("[3, 0, 2]"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(-1));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(5, Integer.MIN_VALUE));
    }

    @Test
    void longOverflowIsRejected() {
        int big = Integer.MAX_VALUE;
        Shape fits = Shape.of(big, big); // (2^31−1)^2 < 2^63
        assertEquals((long) big * big, fits.elementCount());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(big, big, big));
        assertTrue(e.getMessage().contains("overflows a long"), e.getMessage());
    }

    @Test
    void intElementCount() {
        assertEquals(12, Shape.of(3, 4).elementCountAsInt("x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.of(65536, 32768).elementCountAsInt("toArray"));
        assertTrue(e.getMessage().startsWith("toArray"), e.getMessage());
    }
}
