package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which conv kernel runs for which shape. No backend needed. */
class ConvKernelSelectionTest {

    private static Conv2dGeometry geometry(int n, int c, int h, int w, int k, int r, int groups) {
        return Conv2dSpec.builder().padding(r / 2).groups(groups).layout(Layout.NCHW).build()
                .geometry(Shape.of(n, c, h, w), Shape.of(k, c / groups, r, r));
    }

    @Test
    void resnetShapesUseTheWideImplicitGemmTile() {
        assertEquals(ConvKernels.Config.IMPLICIT_GEMM_128X64,
                ConvKernels.choose(ConvAlgorithm.AUTO, geometry(32, 64, 56, 56, 64, 3, 1)));
        assertEquals(ConvKernels.Config.IMPLICIT_GEMM_128X64,
                ConvKernels.choose(ConvAlgorithm.AUTO, geometry(32, 256, 14, 14, 256, 3, 1)));
    }

    @Test
    void smallChannelCountsUseTheNarrowTile() {
        assertEquals(ConvKernels.Config.IMPLICIT_GEMM_64X32,
                ConvKernels.choose(ConvAlgorithm.AUTO, geometry(8, 3, 32, 32, 16, 3, 1)));
    }

    @Test
    void depthwiseAndTinyGroupsUseTheDirectKernel() {
        assertEquals(ConvKernels.Config.DIRECT, ConvKernels.choose(ConvAlgorithm.AUTO, geometry(8, 64, 28, 28, 64, 3, 64)));
        assertEquals(ConvKernels.Config.DIRECT, ConvKernels.choose(ConvAlgorithm.AUTO, geometry(8, 64, 28, 28, 128, 3, 32)));
        // but IMPLICIT_GEMM asked by name runs it anyway
        assertEquals(ConvAlgorithm.IMPLICIT_GEMM,
                ConvKernels.choose(ConvAlgorithm.IMPLICIT_GEMM, geometry(8, 64, 28, 28, 64, 3, 64)).algorithm());
        assertEquals(ConvKernels.Config.DIRECT, ConvKernels.choose(ConvAlgorithm.DIRECT, geometry(32, 64, 56, 56, 64, 3, 1)));
    }

    @Test
    void implicitGemmRejectsMoreGroupsThanGridZHolds() {
        Conv2dGeometry g = geometry(1, 70000, 3, 3, 70000, 1, 70000);
        assertEquals(ConvKernels.Config.DIRECT, ConvKernels.choose(ConvAlgorithm.AUTO, g));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.choose(ConvAlgorithm.IMPLICIT_GEMM, g));
        assertTrue(e.getMessage().contains("groups=70000"), e.getMessage());
    }

    @Test
    void oneKernelPerConfigurationWhateverTheActivation() {
        List<String> names = ConvKernels.allNames();
        assertEquals(names.size(), new HashSet<>(names).size());
        assertEquals(ConvKernels.Config.values().length, names.size());
        assertTrue(names.contains("jk_conv_implicit_gemm_128x64"));
        assertTrue(names.contains("jk_conv_direct"));
    }
}
