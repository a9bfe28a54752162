package dev.jkernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The immutable specs: defaults, validation at construction, the shapes and geometry they derive. */
class SpecTest {

    @Test
    void gemmDefaults() {
        GemmSpec s = GemmSpec.plain();
        assertFalse(s.transA());
        assertFalse(s.transB());
        assertEquals(1f, s.alpha());
        assertEquals(0f, s.beta());
        assertFalse(s.hasBias());
        assertTrue(s.activation().isIdentity());
        assertEquals(GemmAlgorithm.AUTO, s.algorithm());
    }

    @Test
    void gemmBuilderAndShapes() {
        GemmSpec s = GemmSpec.builder().transA(true).transB(true).alpha(2f).beta(-0.5f).bias(true)
                .activation(Activation.gelu()).algorithm(GemmAlgorithm.TILED).build();
        assertArrayEquals(new int[] {7, 3}, s.shapeA(3, 7));
        assertArrayEquals(new int[] {5, 7}, s.shapeB(7, 5));
        GemmSpec copy = s.toBuilder().build();
        assertEquals(s.toString(), copy.toString());
        assertArrayEquals(new int[] {3, 7}, GemmSpec.plain().shapeA(3, 7));
        assertArrayEquals(new int[] {7, 5}, GemmSpec.plain().shapeB(7, 5));
    }

    @Test
    void gemmRejectsNonFiniteAndNulls() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().alpha(bad).build());
            assertTrue(a.getMessage().startsWith("alpha"), a.getMessage());
            IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().beta(bad).build());
            assertTrue(b.getMessage().startsWith("beta"), b.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().activation(null).build());
        assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().algorithm(null).build());
    }

    @Test
    void convDefaultsAndValidation() {
        Conv2dSpec s = Conv2dSpec.builder().build();
        assertEquals(1, s.strideH());
        assertEquals(1, s.dilationW());
        assertEquals(1, s.groups());
        assertEquals(Padding.valid(), s.padding());
        assertEquals(Layout.NCHW, s.layout());
        assertFalse(s.hasBias());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().stride(0).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().stride(1, -2).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().dilation(0).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().groups(0).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().padding((Padding) null).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().layout(Layout.PLAIN).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().padding(-1).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().algorithm(null).build());
        Conv2dSpec full = Conv2dSpec.builder().stride(2, 3).padding(1, 2, 3, 4).dilation(2, 1).groups(4).bias(true)
                .layout(Layout.NHWC).algorithm(ConvAlgorithm.DIRECT).build();
        assertEquals(full.toString(), full.toBuilder().build().toString());
    }

    @Test
    void convGeometryNchwAndNhwc() {
        // 28x28x1 -> 3x3 VALID -> 26x26x32 (the README's Keras example)
        Conv2dSpec nhwc = Conv2dSpec.builder().layout(Layout.NHWC).bias(true).build();
        Conv2dGeometry g = nhwc.geometry(Shape.of(1, 28, 28, 1), Shape.of(32, 1, 3, 3));
        assertArrayEquals(new int[] {1, 26, 26, 32}, g.outputDims());
        assertEquals(28, g.h());
        assertEquals(1, g.c());
        assertEquals(2.0 * 32 * 26 * 26 * 9, g.flops());

        // asymmetric padding, stride, dilation and groups, NCHW: P = (9 + 1 + 2 − 2·2 − 1)/2 + 1 = 4, Q = (11 + 0 + 3 − 2 − 1)/3 + 1 = 4
        Conv2dSpec s = Conv2dSpec.builder().padding(1, 2, 0, 3).stride(2, 3).dilation(2, 1).groups(2).build();
        Conv2dGeometry h = s.geometry(Shape.of(2, 4, 9, 11), Shape.of(6, 2, 3, 3));
        assertArrayEquals(new int[] {2, 6, 4, 4}, h.outputDims());
        assertEquals(2, h.channelsPerGroup());
        assertEquals(3, h.filtersPerGroup());
        assertEquals(1, h.padTop());
        assertEquals(2, h.padBottom());
        assertEquals(3, h.padRight());
    }

    @Test
    void convGeometryRejectsMismatches() {
        Conv2dSpec g2 = Conv2dSpec.builder().groups(2).build();
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> g2.geometry(Shape.of(1, 3, 8, 8), Shape.of(4, 1, 3, 3)));
        assertTrue(c.getMessage().startsWith("input") && c.getMessage().contains("groups=2"), c.getMessage());
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> g2.geometry(Shape.of(1, 4, 8, 8), Shape.of(3, 2, 3, 3)));
        assertTrue(k.getMessage().startsWith("filters"), k.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> g2.geometry(Shape.of(1, 4, 8, 8), Shape.of(4, 4, 3, 3)));
        assertTrue(f.getMessage().contains("expected shape [4, 2, 3, 3]") && f.getMessage().contains("[4, 4, 3, 3]"), f.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> Conv2dSpec.builder().build().geometry(Shape.of(1, 1, 4, 4), Shape.of(1, 1, 5, 5)));
        assertTrue(w.getMessage().contains("does not fit"), w.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().build().geometry(Shape.of(1, 4, 4), Shape.of(1, 1, 3, 3)));
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().build().geometry(Shape.of(1, 1, 4, 4), Shape.of(1, 3, 3)));
    }
}
