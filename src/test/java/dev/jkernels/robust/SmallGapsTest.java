package dev.jkernels.robust;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Backends;
import dev.jkernels.Layout;
import dev.jkernels.Settings;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;
import dev.jkernels.nn.ActivationLayer;
import dev.jkernels.nn.KerasLayouts;
import dev.jkernels.nn.Layer;
import dev.jkernels.nn.Linear;
import dev.jkernels.nn.ReLU;
import dev.jkernels.nn.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 12, finding 8: the smaller gaps that need no backend, each a clear exception of the documented type. */
class SmallGapsTest {

    @Test void nullActivationNamesAreIllegalArguments() {
        assertThrows(IllegalArgumentException.class, () -> Activation.parse(null));
        assertThrows(IllegalArgumentException.class, () -> Activation.Kind.parse(null));
        assertThrows(IllegalArgumentException.class, () -> new Linear(10, 5, (String) null));
        assertThrows(IllegalArgumentException.class, () -> ActivationLayer.of((String) null));
    }

    @Test void kerasKernelWhoseSizeWrapsToZeroIsRefused() {
        // 65536^4 = 2^64 wrapped to 0, which matched the empty array and then indexed past it.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KerasLayouts.conv2dKernelToPyTorch(new float[0], 65536, 65536, 65536, 65536));
        assertTrue(e.getMessage().startsWith("kernel:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KerasLayouts.pyTorchToConv2dKernel(new float[0], 65536, 65536, 65536, 65536));
        assertThrows(IllegalArgumentException.class, () -> KerasLayouts.nchwToNhwc(new float[0], 1 << 16, 1 << 16, 1 << 16, 1 << 16));
        assertThrows(IllegalArgumentException.class, () -> KerasLayouts.denseKernelToLinear(new float[0], 1 << 16, 1 << 16));
    }

    /** A layer whose name is empty: describe() formatted it with %-0s. */
    private static final class Unnamed implements Layer {
        @Override public String name() { return ""; }
        @Override public Shape outputShape(Shape input) { return input; }
        @Override public Tensor forward(Tensor input) { return input.backend().copyOf(input); }
        @Override public Layer to(Backend backend) { return this; }
        @Override public void close() {}
    }

    @Test void describeCopesWithAnEmptyLayerName() {
        Sequential s = new Sequential(new Unnamed());
        String text = s.describe();
        assertTrue(text.contains("#0"), text);
        Sequential s2 = new Sequential(new Unnamed(), new ReLU(), new Unnamed());
        assertTrue(s2.describe(2, 3).contains("launches:"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "true", "TRUE", "yes", "Yes", "on", " on "})
    void booleanSettingsAcceptTrue(String v) { assertTrue(Settings.parseBoolean("X", v)); }

    @ParameterizedTest
    @ValueSource(strings = {"0", "false", "False", "no", "NO", "off"})
    void booleanSettingsAcceptFalse(String v) { assertFalse(Settings.parseBoolean("X", v)); }

    @ParameterizedTest
    @ValueSource(strings = {"", "2", "maybe", "y", "n", "enabled", "-1", "tru"})
    void booleanSettingsRejectEverythingElseListingTheValues(String v) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.parseBoolean("JKERNELS_REQUIRE_GPU", v));
        assertTrue(e.getMessage().contains("JKERNELS_REQUIRE_GPU") && e.getMessage().contains(Settings.BOOLEAN_VALUES), e.getMessage());
    }

    @Test void requireGpuNoAndOffMeanNotRequired() {
        String old = System.getProperty("jkernels.requireGpu");
        try {
            for (String v : new String[] {"no", "off", "0", "false"}) {
                System.setProperty("jkernels.requireGpu", v);
                assertFalse(Backends.requireGpu(), v);
            }
            for (String v : new String[] {"yes", "on", "1", "true"}) {
                System.setProperty("jkernels.requireGpu", v);
                assertTrue(Backends.requireGpu(), v);
            }
            System.setProperty("jkernels.requireGpu", "sure");
            assertThrows(IllegalArgumentException.class, Backends::requireGpu);
        } finally {
            if (old == null) System.clearProperty("jkernels.requireGpu");
            else System.setProperty("jkernels.requireGpu", old);
        }
    }

    @Test void byteCountsParse() {
        assertEquals(4L << 30, Settings.parseBytes("b", "4g"));
        assertEquals(512L << 20, Settings.parseBytes("b", "512MiB"));
        assertEquals(1000, Settings.parseBytes("b", "1000"));
        assertThrows(IllegalArgumentException.class, () -> Settings.parseBytes("b", "lots"));
        assertThrows(IllegalArgumentException.class, () -> Settings.parseBytes("b", "0"));
        assertThrows(IllegalArgumentException.class, () -> Settings.parseBytes("b", "99999999999t"));
    }

    @Test void layoutOnStorageOfAnotherSizeIsRefused() {
        try (Backend cpu = Backends.cpu(1); Tensor t = cpu.zeros(2, 3)) {
            assertThrows(IllegalArgumentException.class, () -> Tensor.ofStorage(cpu, t.storage(), Shape.of(7), Layout.PLAIN));
        }
    }
}
