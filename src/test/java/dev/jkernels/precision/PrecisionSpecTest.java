package dev.jkernels.precision;

import dev.jkernels.Backend;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Precision;
import dev.jkernels.Tensor;
import dev.jkernels.cpu.CpuBackend;
import dev.jkernels.nn.Conv2d;
import dev.jkernels.nn.Linear;
import dev.jkernels.nn.ReLU;
import dev.jkernels.nn.Sequential;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Precision on the specs, the backend defaults and their settings, the conflicts, the layers: pure Java. */
class PrecisionSpecTest {

    @Test void parsesStrictly() {
        assertEquals(Precision.TF32, Precision.parse("x", " TF32 "));
        assertEquals(Precision.FP32, Precision.parse("x", "fp32"));
        assertEquals(Precision.FP32_3XTF32, Precision.parse("x", "fp32_3xTF32"));
        assertEquals(Precision.FP32_3XTF32, Precision.parse("x", "3xtf32"));
        for (String bad : new String[] {"", "tf", "tf32 ", "float", "true", "fp16"}) {
            if (bad.equals("tf32 ")) continue;  // blanks are trimmed
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("jkernels.conv.precision", bad));
            assertTrue(e.getMessage().contains("jkernels.conv.precision") && e.getMessage().contains("tf32"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("x", null));
    }

    @Test void specsCarryThePrecision() {
        GemmSpec g = GemmSpec.builder().transB(true).precision(Precision.TF32).build();
        assertEquals(Precision.TF32, g.precision().orElseThrow());
        assertFalse(g.allowsPrecisionFallback());
        GemmSpec g2 = g.toBuilder().allowPrecisionFallback(true).build();
        assertEquals(Precision.TF32, g2.precision().orElseThrow());
        assertTrue(g2.allowsPrecisionFallback());
        assertTrue(g2.toString().contains("precision=TF32 (fallback allowed)"), g2.toString());
        assertTrue(GemmSpec.plain().precision().isEmpty());
        assertTrue(GemmSpec.plain().toString().contains("precision=default"));

        Conv2dSpec c = Conv2dSpec.builder().padding(1).precision(Precision.FP32_3XTF32).build();
        assertEquals(Precision.FP32_3XTF32, c.toBuilder().build().precision().orElseThrow());
        assertTrue(c.toString().contains("precision=FP32_3XTF32"), c.toString());
        assertTrue(Conv2dSpec.builder().build().precision().isEmpty());
    }

    @Test void rejectsAlgorithmsThatCannotRunThePrecision() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmSpec.builder().algorithm(GemmAlgorithm.PIPELINED).precision(Precision.TF32).build());
        assertTrue(e.getMessage().contains("PIPELINED") && e.getMessage().contains("TF32") && e.getMessage().contains("TENSOR_CORE"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().algorithm(GemmAlgorithm.NAIVE).precision(Precision.FP32_3XTF32).build());
        assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().algorithm(GemmAlgorithm.TENSOR_CORE).precision(Precision.FP32).build());
        assertThrows(IllegalArgumentException.class, () -> GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).precision(Precision.FP32_3XTF32).build());
        assertDoesNotThrow(() -> GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).precision(Precision.TF32).build());
        assertDoesNotThrow(() -> GemmSpec.builder().algorithm(GemmAlgorithm.TENSOR_CORE).precision(Precision.FP32_3XTF32).build());
        for (ConvAlgorithm a : new ConvAlgorithm[] {ConvAlgorithm.DIRECT, ConvAlgorithm.IMPLICIT_GEMM, ConvAlgorithm.IMPLICIT_GEMM_PIPELINED,
                ConvAlgorithm.WINOGRAD, ConvAlgorithm.DEPTHWISE}) {
            IllegalArgumentException ce = assertThrows(IllegalArgumentException.class,
                    () -> Conv2dSpec.builder().algorithm(a).precision(Precision.TF32).build());
            assertTrue(ce.getMessage().contains(a.name()), ce.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.builder().algorithm(ConvAlgorithm.TENSOR_CORE).precision(Precision.FP32).build());
        assertDoesNotThrow(() -> Conv2dSpec.builder().algorithm(ConvAlgorithm.GEMM_1X1).precision(Precision.TF32).build());
    }

    @Test void backendDefaultsAreFp32AndSettable() {
        try (Backend cpu = new CpuBackend(1);
             Tensor a = cpu.tensor(new float[] {1.0009766f, 1f}, 1, 2);   // 1 + 2^-10: a TF32 value; 1 + 2^-11 would not be
             Tensor b = cpu.tensor(new float[] {1.0004883f, 0f}, 2, 1)) {   // 1 + 2^-11: a tie, TF32 rounds it away from zero
            assertEquals(Precision.FP32, cpu.defaultMatmulPrecision());
            assertEquals(Precision.FP32, cpu.defaultConvPrecision());
            float fp32;
            try (Tensor c = cpu.gemm(GemmSpec.plain(), a, b, null)) { fp32 = c.toArray()[0]; }
            assertEquals(1.0009766f * 1.0004883f, fp32);
            cpu.setDefaultMatmulPrecision(Precision.TF32);
            assertEquals(Precision.TF32, cpu.defaultMatmulPrecision());
            try (Tensor c = cpu.gemm(GemmSpec.plain(), a, b, null)) {
                assertEquals(1.0009766f * 1.0009766f, c.toArray()[0], "the default applies to a spec without a precision");
            }
            try (Tensor c = cpu.gemm(GemmSpec.builder().precision(Precision.FP32).build(), a, b, null)) {
                assertEquals(fp32, c.toArray()[0], "the spec's own precision wins");
            }
            // An algorithm that cannot run the default: a clear error naming the setting, not a silent FP32.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cpu.gemm(GemmSpec.builder().algorithm(GemmAlgorithm.PIPELINED).build(), a, b, null));
            assertTrue(e.getMessage().contains("PIPELINED") && e.getMessage().contains(Precision.MATMUL_PROPERTY), e.getMessage());
            cpu.setDefaultMatmulPrecision(Precision.FP32);
            assertThrows(IllegalArgumentException.class,
                    () -> cpu.gemm(GemmSpec.builder().algorithm(GemmAlgorithm.TENSOR_CORE).build(), a, b, null));
            assertThrows(IllegalArgumentException.class, () -> cpu.setDefaultConvPrecision(null));
        }
    }

    @Test void settingsAreReadStrictlyWhenABackendIsMade() {
        String old = System.getProperty(Precision.CONV_PROPERTY);
        try {
            System.setProperty(Precision.CONV_PROPERTY, "tf32");
            try (Backend cpu = new CpuBackend(1)) {
                assertEquals(Precision.TF32, cpu.defaultConvPrecision(), "PyTorch's cudnn.allow_tf32 = True");
                assertEquals(Precision.FP32, cpu.defaultMatmulPrecision());
            }
            System.setProperty(Precision.CONV_PROPERTY, "tf-32");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuBackend(1));
            assertTrue(e.getMessage().contains(Precision.CONV_PROPERTY), e.getMessage());
        } finally {
            if (old == null) System.clearProperty(Precision.CONV_PROPERTY);
            else System.setProperty(Precision.CONV_PROPERTY, old);
        }
    }

    @Test void layersCarryItThroughSequentialAndDescribe() {
        Linear l = new Linear(4, 3).precision(Precision.TF32);
        assertEquals(Precision.TF32, l.precision().orElseThrow());
        assertTrue(l.name().contains("TF32"), l.name());
        Conv2d c = Conv2d.builder(2, 8, 3).precision(Precision.FP32_3XTF32).build();
        assertEquals(Precision.FP32_3XTF32, c.spec().precision().orElseThrow());
        try (Sequential s = new Sequential(new Linear(4, 3).precision(Precision.TF32), new ReLU())) {
            String d = s.describe(2, 4);
            assertTrue(d.contains("gemm(transB, bias, relu, TF32)"), d);
        }
        try (Sequential s = new Sequential(Conv2d.builder(2, 8, 3).precision(Precision.TF32).build(), new ReLU())) {
            String d = s.describe(1, 2, 5, 5);
            assertTrue(d.contains("conv2dActivation(relu) [TF32]"), d);
        }
        try (Sequential s = new Sequential(new Linear(4, 3), new ReLU())) {
            assertFalse(s.describe(2, 4).contains("TF32"), "no precision asked: the backend's default, nothing shown");
        }
    }

    @Test void theFusedLaunchRunsTheLayersPrecision() {
        float[] x = dev.jkernels.testing.RandomData.uniform(3, 2 * 40);
        try (Backend cpu = new CpuBackend(1)) {
            Linear l = new Linear(40, 7).precision(Precision.TF32);
            try (Sequential s = new Sequential(l, new ReLU()).to(cpu);
                 Tensor tx = cpu.tensor(x, 2, 40);
                 Tensor w = cpu.tensor(l.weight(), 7, 40);
                 Tensor b = cpu.tensor(l.bias(), 7);
                 Tensor want = cpu.gemm(GemmSpec.builder().transB(true).bias(true).activation(dev.jkernels.Activation.relu())
                         .precision(Precision.TF32).build(), tx, w, b);
                 Tensor fp32 = cpu.gemm(GemmSpec.builder().transB(true).bias(true).activation(dev.jkernels.Activation.relu())
                         .precision(Precision.FP32).build(), tx, w, b)) {
                float[] got = s.predict(x, 2, 40);
                assertArrayEquals(want.toArray(), got, "Sequential's fused GEMM + ReLU in TF32");
                assertFalse(java.util.Arrays.equals(fp32.toArray(), got), "and not in FP32");
            }
            // ResNet's basic block passes its precision to every conv of both paths.
            try (Sequential s = new Sequential(dev.jkernels.nn.ResidualBlock.basic(4, 8, 2, dev.jkernels.Layout.NCHW, Precision.TF32))) {
                String d = s.describe(1, 4, 6, 6);
                assertEquals(3, d.split("\\[TF32\\]", -1).length - 1, "three convs in TF32 (projection, two 3x3): " + d);
            }
            try (Sequential s = new Sequential(dev.jkernels.nn.ResidualBlock.basic(4, 8, 2, dev.jkernels.Layout.NCHW))) {
                assertFalse(s.describe(1, 4, 6, 6).contains("TF32"), "no precision asked");
            }
            // A folded batch norm keeps the conv's precision.
            Conv2d c = Conv2d.builder(3, 8, 3).precision(Precision.TF32).build();
            try (Sequential s = new Sequential(c, new dev.jkernels.nn.BatchNorm2d(8))) {
                assertTrue(s.describe(1, 3, 6, 6).contains("[TF32] [BN folded]"), s.describe(1, 3, 6, 6));
            }
        }
    }
}
