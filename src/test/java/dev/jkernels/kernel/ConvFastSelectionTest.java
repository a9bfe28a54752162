package dev.jkernels.kernel;

import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which second-generation conv kernel runs for which shape, and what each refuses. No backend needed. */
class ConvFastSelectionTest {

    private static Conv2dGeometry geometry(Layout layout, int n, int c, int h, int w, int k, int r, int stride, int groups) {
        Conv2dSpec spec = Conv2dSpec.builder().padding(r / 2).stride(stride).groups(groups).layout(layout).build();
        Shape in = layout == Layout.NCHW ? Shape.of(n, c, h, w) : Shape.of(n, h, w, c);
        return spec.geometry(in, Shape.of(k, c / groups, r, r));
    }

    private static ConvFastKernels.Selection auto(Conv2dGeometry g) { return ConvFastKernels.choose(ConvAlgorithm.AUTO, g); }

    @Test
    void resnetShapesTakeThePipelinedImplicitGemm() {
        ConvFastKernels.Selection s = auto(geometry(Layout.NCHW, 32, 64, 56, 56, 64, 3, 1, 1));
        assertEquals(ConvFastKernels.Variant.IGEMM_128X64, s.variant(), s.toString());
        s = auto(geometry(Layout.NHWC, 64, 256, 14, 14, 256, 3, 1, 1));  // 98 x 2 blocks of 128x128
        assertEquals(ConvFastKernels.Variant.IGEMM_128X128, s.variant(), s.toString());
        assertTrue(s.toString().startsWith("igemm_128x128: pipelined implicit GEMM 128x128"), s.toString());
        assertTrue(s.toString().contains("blocks on 132 SMs"), s.toString());
        // a small layer: too few 128x128 blocks for a wave, so the 64x64 tile
        assertEquals(ConvFastKernels.Variant.IGEMM_64X64, auto(geometry(Layout.NCHW, 1, 64, 8, 8, 256, 3, 1, 1)).variant());
    }

    @Test
    void theWaveRuleDependsOnTheSmCount() {
        Conv2dGeometry g = geometry(Layout.NCHW, 4, 128, 28, 28, 128, 3, 1, 1);  // 25 x 1 blocks of 128x128
        assertEquals(ConvFastKernels.Variant.IGEMM_128X128, ConvFastKernels.choose(ConvAlgorithm.AUTO, g, 20).variant());
        assertEquals(ConvFastKernels.Variant.IGEMM_128X64, ConvFastKernels.choose(ConvAlgorithm.AUTO, g, 46).variant());
        assertEquals(ConvFastKernels.Variant.IGEMM_64X64, ConvFastKernels.choose(ConvAlgorithm.AUTO, g, 132).variant());
    }

    @Test
    void depthwiseOneByOneAndTinyGroups() {
        assertEquals(ConvFastKernels.Variant.DEPTHWISE, auto(geometry(Layout.NCHW, 8, 64, 28, 28, 64, 3, 1, 64)).variant());
        assertEquals(ConvFastKernels.Variant.DEPTHWISE, auto(geometry(Layout.NHWC, 8, 64, 28, 28, 128, 3, 2, 64)).variant());
        assertEquals(ConvFastKernels.Variant.GEMM_1X1, auto(geometry(Layout.NHWC, 8, 64, 28, 28, 256, 1, 1, 1)).variant());
        // NCHW 1x1: the implicit GEMM (a bias would be per row of the GEMM); strided 1x1: not a plain GEMM
        assertTrue(auto(geometry(Layout.NCHW, 8, 64, 28, 28, 256, 1, 1, 1)).variant().isImplicitGemm());
        assertTrue(auto(geometry(Layout.NHWC, 8, 64, 28, 28, 256, 1, 2, 1)).variant().isImplicitGemm());
        ConvFastKernels.Selection s = auto(geometry(Layout.NCHW, 8, 64, 28, 28, 128, 3, 1, 32));  // 4 channels per group
        assertEquals(ConvKernels.Config.DIRECT, s.legacy());
        assertTrue(s.toString().startsWith("direct: K/groups = 4"), s.toString());
    }

    @Test
    void winogradOnlyWhenAskedAndWhereItApplies() {
        Conv2dGeometry g = geometry(Layout.NCHW, 8, 64, 28, 28, 64, 3, 1, 1);
        assertTrue(auto(g).variant().isImplicitGemm(), "AUTO never picks Winograd without a device measurement");
        assertEquals(ConvFastKernels.Variant.WINOGRAD_2X2_3X3, ConvFastKernels.choose(ConvAlgorithm.WINOGRAD, g).variant());
        ConvFastKernels.Selection strided = ConvFastKernels.choose(ConvAlgorithm.WINOGRAD, geometry(Layout.NCHW, 8, 64, 28, 28, 64, 3, 2, 1));
        assertTrue(strided.variant().isImplicitGemm());
        assertTrue(strided.why().contains("winograd_2x2_3x3 does not apply (Winograd F(2x2,3x3) needs"), strided.why());
        assertNotNull(ConvFastKernels.Variant.WINOGRAD_2X2_3X3.unsupportedReason(geometry(Layout.NCHW, 1, 4, 9, 9, 4, 5, 1, 1)));
        assertNotNull(ConvFastKernels.Variant.WINOGRAD_2X2_3X3.unsupportedReason(geometry(Layout.NCHW, 1, 4, 9, 9, 4, 3, 1, 2)));
    }

    @Test
    void gridsUseGridXOnlyAndTakeWhatTheOldKernelsCouldNot() {
        // 70000 groups passed grid z for the first implicit GEMM; here they are part of grid.x
        Conv2dGeometry g = geometry(Layout.NCHW, 1, 70000 * 8, 3, 3, 70000 * 8, 1, 1, 70000);
        assertNull(ConvFastKernels.Variant.IGEMM_64X64.unsupportedReason(g));
        assertEquals(70000, ConvFastKernels.blocks(ConvFastKernels.Variant.IGEMM_64X64, g));
        assertTrue(auto(g).variant().isImplicitGemm());
        // more blocks than grid.x holds: rejected with the count
        Conv2dGeometry huge = geometry(Layout.NHWC, 40000, 8, 256, 256, 64, 1, 1, 1);
        String why = ConvFastKernels.Variant.IGEMM_64X64.unsupportedReason(huge);
        assertNull(why);
        Conv2dGeometry tooMany = geometry(Layout.NHWC, 65535, 8, 2048, 2048, 64, 3, 1, 1);
        why = ConvFastKernels.Variant.IGEMM_64X64.unsupportedReason(tooMany);
        assertNotNull(why);
        assertTrue(why.contains("more than 2^31 - 1 in grid.x"), why);
    }

    @Test
    void hugeWindowsAreRejectedWithTheReason() {
        Conv2dGeometry g = Conv2dSpec.builder().dilation(1 << 30).padding(1 << 30).build()
                .geometry(Shape.of(1, 2, 7, 7), Shape.of(3, 2, 3, 3));
        String why = ConvFastKernels.Variant.IGEMM_64X64.unsupportedReason(g);
        assertNotNull(why);
        assertTrue(why.contains("dilated window"), why);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvFastKernels.choose(ConvAlgorithm.IMPLICIT_GEMM_PIPELINED, g));
        assertTrue(e.getMessage().startsWith("conv2d igemm_"), e.getMessage());
        assertEquals(ConvKernels.Config.DIRECT, auto(g).legacy(), "AUTO falls back to the direct kernel");
        // 17x17 filters pass the tap mask's 15 bits per axis: AUTO takes the first implicit GEMM
        Conv2dGeometry big = geometry(Layout.NCHW, 2, 16, 40, 40, 64, 17, 1, 1);
        why = ConvFastKernels.Variant.IGEMM_128X64.unsupportedReason(big);
        assertNotNull(why);
        assertTrue(why.contains("15x15"), why);
        assertEquals(ConvAlgorithm.IMPLICIT_GEMM, auto(big).legacy().algorithm(), auto(big).toString());
    }

    @Test
    void aPropertyForcesAVariantWhereItApplies() {
        Conv2dGeometry g = geometry(Layout.NCHW, 32, 64, 56, 56, 64, 3, 1, 1);
        try {
            System.setProperty(ConvFastKernels.VARIANT_PROPERTY, "winograd_2x2_3x3");
            assertEquals(ConvFastKernels.Variant.WINOGRAD_2X2_3X3, auto(g).variant());
            assertTrue(auto(g).why().startsWith("forced by -Djkernels.conv.variant"), auto(g).why());
            // a strided conv: Winograd cannot, the usual choice runs
            assertTrue(auto(geometry(Layout.NCHW, 32, 64, 56, 56, 64, 3, 2, 1)).variant().isImplicitGemm());
            System.setProperty(ConvFastKernels.VARIANT_PROPERTY, "igemm_64x64");
            assertEquals(ConvFastKernels.Variant.IGEMM_64X64, auto(g).variant());
            System.setProperty(ConvFastKernels.VARIANT_PROPERTY, "nope");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> auto(g));
            assertTrue(e.getMessage().startsWith("jkernels.conv.variant: conv2d variant: unknown name 'nope'"), e.getMessage());
        } finally {
            System.clearProperty(ConvFastKernels.VARIANT_PROPERTY);
        }
    }

    @Test
    void variantsByNameAndTheirKernels() {
        assertEquals(ConvFastKernels.Variant.IGEMM_128X64, ConvFastKernels.byName("igemm_128x64"));
        assertEquals(ConvFastKernels.Variant.DEPTHWISE, ConvFastKernels.byName("DEPTHWISE"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvFastKernels.byName("nope"));
        assertTrue(e.getMessage().contains("igemm_128x128"), e.getMessage());
        List<String> names = ConvFastKernels.allNames();
        assertEquals(names.size(), new HashSet<>(names).size());
        assertTrue(names.contains("jk_conv_igemm_128x128_nhwc"));
        assertTrue(names.contains("jk_conv_depthwise_nchw"));
        assertTrue(names.contains("jk_conv_winograd_2x2_3x3"));
        assertTrue(names.contains("jk_conv_filter_gemm_b"));
    }
}
