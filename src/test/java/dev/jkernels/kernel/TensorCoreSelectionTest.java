package dev.jkernels.kernel;

import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.Layout;
import dev.jkernels.Precision;
import dev.jkernels.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Selection by precision and compute capability, through the pure functions (no backend): the
 * tensor-core configurations on sm_80+, the sm_75 exception and the asked-for fallback, split-K
 * with the tensor cores, and the conv chooser's TF32 paths.
 */
class TensorCoreSelectionTest {
    private static final DeviceProfile H200 = DeviceProfile.nominal();
    private static final DeviceProfile A100 = DeviceProfile.sm80("A100", 108);
    private static final DeviceProfile T4 = DeviceProfile.sm75("Tesla T4", 40);

    private static GemmPlan plan(GemmAlgorithm a, Precision p, int m, int n, int k, DeviceProfile d) {
        return GemmSelection.plan(a, p, m, n, k, d, GemmKernels.Config::nominalFootprint, null);
    }

    @Test void tensorCorePrecisionsPlanTheirOwnConfigurations() {
        for (DeviceProfile d : new DeviceProfile[] {H200, A100}) {
            for (int[] s : new int[][] {{1, 1, 1}, {7, 129, 65}, {4096, 4096, 4096}, {127, 8192, 64}}) {
                for (Precision p : new Precision[] {Precision.TF32, Precision.FP32_3XTF32}) {
                    GemmPlan auto = plan(GemmAlgorithm.AUTO, p, s[0], s[1], s[2], d);
                    assertEquals(GemmAlgorithm.TENSOR_CORE, auto.config().algorithm(), auto.toString());
                    assertEquals(p, auto.config().precision(), auto.toString());
                    assertEquals(auto.config(), plan(GemmAlgorithm.TENSOR_CORE, p, s[0], s[1], s[2], d).config());
                    assertTrue(auto.config().kernelName().startsWith(p == Precision.TF32 ? "jk_gemm_tf32_" : "jk_gemm_3xtf32_"));
                }
                GemmPlan fp32 = plan(GemmAlgorithm.AUTO, Precision.FP32, s[0], s[1], s[2], d);
                assertEquals(Precision.FP32, fp32.config().precision(), "FP32 stays on the SIMT kernels: " + fp32);
            }
        }
        assertEquals(GemmKernels.Config.TF32_128X128, GemmKernels.choose(GemmAlgorithm.AUTO, Precision.TF32, 8192, 8192, 8192));
        assertEquals(GemmKernels.Config.TF32X3_128X128, GemmKernels.choose(GemmAlgorithm.AUTO, Precision.FP32_3XTF32, 4096, 4096, 4096));
    }

    @Test void splitKWorksForTheTensorCoresWithTheSameGrain() {
        // 128 x 128 output, K = 65536: one tile per configuration, far less than a wave: split-K.
        GemmPlan p = plan(GemmAlgorithm.AUTO, Precision.TF32, 128, 128, 65536, H200);
        assertTrue(p.splitK() > 1, p.toString());
        assertEquals(p.splitK(), p.grid().z());
        assertTrue(p.config().supportsSplitK());
        assertEquals(16, GemmKernels.SPLIT_K_GRAIN);
    }

    @Test void turingGetsAClearExceptionUnlessTheFallbackIsAsked() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TensorCores.effective("gemm M=8 N=8 K=8", Precision.TF32, false, T4));
        assertTrue(e.getMessage().contains("gemm M=8 N=8 K=8") && e.getMessage().contains("TF32")
                && e.getMessage().contains("Tesla T4") && e.getMessage().contains("7.5")
                && e.getMessage().contains("allowPrecisionFallback") && e.getMessage().contains(Precision.FALLBACK_ENV), e.getMessage());
        assertThrows(IllegalStateException.class, () -> TensorCores.effective("conv2d", Precision.FP32_3XTF32, false, T4));
        assertEquals(Precision.FP32, TensorCores.effective("gemm", Precision.TF32, true, T4));
        assertEquals(Precision.FP32, TensorCores.effective("gemm", Precision.FP32_3XTF32, true, T4));
        assertEquals(Precision.FP32, TensorCores.effective("gemm", Precision.FP32, false, T4));
        assertEquals(Precision.TF32, TensorCores.effective("gemm", Precision.TF32, false, A100));
        assertEquals(Precision.FP32_3XTF32, TensorCores.effective("gemm", Precision.FP32_3XTF32, true, H200), "no fallback where not needed");
        // The planner itself never plans a tensor-core kernel for sm_75.
        assertThrows(IllegalStateException.class, () -> plan(GemmAlgorithm.AUTO, Precision.TF32, 64, 64, 64, T4));
        assertEquals(Precision.FP32, plan(GemmAlgorithm.AUTO, Precision.FP32, 64, 64, 64, T4).config().precision());
        assertTrue(TensorCores.supported(DeviceProfile.sm86("RTX 3090", 82)));
        assertFalse(TensorCores.supported(T4));
    }

    @Test void plannerRejectsPrecisionConflicts() {
        assertThrows(IllegalArgumentException.class, () -> plan(GemmAlgorithm.PIPELINED, Precision.TF32, 64, 64, 64, H200));
        assertThrows(IllegalArgumentException.class, () -> plan(GemmAlgorithm.TENSOR_CORE, Precision.FP32, 64, 64, 64, H200));
    }

    @Test void theRoundingLaunchCoversEveryElement() {
        KernelLaunch l = TensorCores.round(EpilogueArgsTest.fake(4L * 1000), EpilogueArgsTest.fake(4L * 1000), 1000, "t");
        assertEquals(TensorCores.ROUND_KERNEL, l.kernel());
        assertTrue((long) l.grid().x() * l.block().x() >= 1000);
        assertEquals(TensorCores.ROUND_MAX_BLOCKS, TensorCores.round(EpilogueArgsTest.fake(4L), EpilogueArgsTest.fake(4L),
                1L << 40, "t").grid().x(), "grid-stride past the cap");
    }

    private static Conv2dGeometry geometry(int n, int c, int h, int w, int k, int r, int groups, Layout layout, int pad) {
        Conv2dSpec spec = Conv2dSpec.builder().groups(groups).layout(layout).padding(pad).build();
        Shape in = layout == Layout.NCHW ? Shape.of(n, c, h, w) : Shape.of(n, h, w, c);
        return spec.geometry(in, Shape.of(k, c / groups, r, r));
    }

    @Test void convChooserByPrecision() {
        int sms = ConvFastKernels.DEFAULT_SMS;
        Conv2dGeometry resnet = geometry(32, 64, 56, 56, 64, 3, 1, Layout.NCHW, 1);
        for (Precision p : new Precision[] {Precision.TF32, Precision.FP32_3XTF32}) {
            ConvFastKernels.PrecisionSelection s = ConvFastKernels.choose(ConvAlgorithm.AUTO, p, resnet, sms);
            assertEquals(p, s.selection().variant().precision(), s.toString());
            assertTrue(s.selection().variant().isImplicitGemm());
            assertFalse(s.roundInputs());
            assertEquals(s.selection().variant(), ConvFastKernels.choose(ConvAlgorithm.TENSOR_CORE, p, resnet, sms).selection().variant());
            assertTrue(s.selection().variant().kernelName(Layout.NHWC).startsWith(p == Precision.TF32
                    ? "jk_conv_igemm_tf32_" : "jk_conv_igemm_3xtf32_"), s.selection().variant().kernelName(Layout.NHWC));
        }
        assertEquals(ConvFastKernels.Variant.IGEMM_TF32_128X128,
                ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32, geometry(128, 256, 14, 14, 256, 3, 1, Layout.NHWC, 1), sms)
                        .selection().variant());
        // FP32: exactly the FP32 chooser's answer.
        assertEquals(ConvFastKernels.choose(ConvAlgorithm.AUTO, resnet, sms).variant(),
                ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.FP32, resnet, sms).selection().variant());
        // Depthwise: the FP32 depthwise kernel, on TF32-rounded inputs for TF32, as they are for 3xTF32.
        Conv2dGeometry dw = geometry(2, 32, 9, 9, 32, 3, 32, Layout.NCHW, 1);
        ConvFastKernels.PrecisionSelection t = ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32, dw, sms);
        assertEquals(ConvFastKernels.Variant.DEPTHWISE, t.selection().variant());
        assertTrue(t.roundInputs(), t.toString());
        assertFalse(ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.FP32_3XTF32, dw, sms).roundInputs());
        // Few output channels: the direct kernel, rounded.
        ConvFastKernels.PrecisionSelection few = ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32,
                geometry(1, 3, 17, 17, 4, 3, 1, Layout.NCHW, 0), sms);
        assertEquals(ConvKernels.Config.DIRECT, few.selection().legacy());
        assertTrue(few.roundInputs());
        // 1x1 NHWC: the tensor-core GEMM.
        Conv2dGeometry pw = geometry(2, 64, 7, 7, 128, 1, 1, Layout.NHWC, 0);
        assertEquals(ConvFastKernels.Variant.GEMM_1X1, ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32, pw, sms).selection().variant());
        assertEquals(ConvFastKernels.Variant.GEMM_1X1, ConvFastKernels.choose(ConvAlgorithm.GEMM_1X1, Precision.TF32, pw, sms).selection().variant());
        // A filter the implicit GEMM cannot take: TENSOR_CORE says why, AUTO rounds for the first-generation kernel.
        Conv2dGeometry big = geometry(1, 8, 20, 20, 16, 17, 1, Layout.NCHW, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvFastKernels.choose(ConvAlgorithm.TENSOR_CORE, Precision.TF32, big, sms));
        assertTrue(e.getMessage().contains("15x15"), e.getMessage());
        ConvFastKernels.PrecisionSelection bigAuto = ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32, big, sms);
        assertNotNull(bigAuto.selection().legacy());
        assertTrue(bigAuto.roundInputs());
        // Conflicts.
        assertThrows(IllegalArgumentException.class, () -> ConvFastKernels.choose(ConvAlgorithm.DIRECT, Precision.TF32, resnet, sms));
        assertThrows(IllegalArgumentException.class, () -> ConvFastKernels.choose(ConvAlgorithm.TENSOR_CORE, Precision.FP32, resnet, sms));
    }

    @Test void theFp32ForcedVariantDoesNotLeakIntoTf32() {
        String old = System.getProperty(ConvFastKernels.VARIANT_PROPERTY);
        Conv2dGeometry g = geometry(2, 16, 12, 12, 32, 3, 1, Layout.NCHW, 1);
        try {
            System.setProperty(ConvFastKernels.VARIANT_PROPERTY, "igemm_64x64");
            assertEquals(Precision.TF32, ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32, g, 132).selection().variant().precision());
            System.setProperty(ConvFastKernels.VARIANT_PROPERTY, "igemm_tf32_128x64");
            assertEquals(ConvFastKernels.Variant.IGEMM_TF32_128X64,
                    ConvFastKernels.choose(ConvAlgorithm.AUTO, Precision.TF32, g, 132).selection().variant());
            assertEquals(Precision.FP32, ConvFastKernels.choose(ConvAlgorithm.AUTO, g, 132).variant().precision());
        } finally {
            if (old == null) System.clearProperty(ConvFastKernels.VARIANT_PROPERTY);
            else System.setProperty(ConvFastKernels.VARIANT_PROPERTY, old);
        }
    }
}
