package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.GemmAlgorithm;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which GEMM kernel runs for which shape, and the names Java asks the kernel build for. No backend needed. */
class GemmKernelSelectionTest {

    @Test
    void autoPicksAPipelinedKernelOnTheNominalDevice() {
        // The nominal device is an H200 (132 SMs): see GemmSelectionTest for the model per device.
        assertEquals(GemmKernels.Config.PIPELINED_128X128, GemmKernels.choose(GemmAlgorithm.AUTO, 4096, 4096, 4096));
        assertEquals(GemmKernels.Config.PIPELINED_128X128, GemmKernels.choose(GemmAlgorithm.AUTO, 8192, 8192, 8192));
        assertEquals(GemmAlgorithm.PIPELINED, GemmKernels.choose(GemmAlgorithm.AUTO, 1024, 1024, 1024).algorithm());
        assertEquals(GemmKernels.Config.PIPELINED_64X64, GemmKernels.choose(GemmAlgorithm.AUTO, 256, 256, 256));
    }

    @Test
    void autoPicksTiledForTinyProblems() {
        assertEquals(GemmKernels.Config.TILED, GemmKernels.choose(GemmAlgorithm.AUTO, 1, 1, 1));
        assertEquals(GemmKernels.Config.TILED, GemmKernels.choose(GemmAlgorithm.AUTO, 32, 32, 32));
        assertEquals(GemmKernels.Config.PIPELINED_64X64, GemmKernels.choose(GemmAlgorithm.AUTO, 33, 32, 32));
    }

    @Test
    void namedAlgorithmsStayWithinTheirVariant() {
        for (GemmAlgorithm a : List.of(GemmAlgorithm.NAIVE, GemmAlgorithm.TILED, GemmAlgorithm.REGISTER_BLOCKED,
                GemmAlgorithm.WARP_TILED, GemmAlgorithm.PIPELINED)) {
            for (int size : new int[] {1, 7, 129, 4096}) {
                assertEquals(a, GemmKernels.choose(a, size, size, size).algorithm(), a + " at " + size);
            }
        }
        assertEquals(GemmKernels.Config.REGISTER_BLOCKED_128X128, GemmKernels.choose(GemmAlgorithm.REGISTER_BLOCKED, 4096, 4096, 64));
        assertEquals(GemmKernels.Config.REGISTER_BLOCKED_64X64, GemmKernels.choose(GemmAlgorithm.REGISTER_BLOCKED, 300, 300, 64));
    }

    @Test
    void cublasIsNotAHandWrittenKernel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmKernels.choose(GemmAlgorithm.CUBLAS, 8, 8, 8));
        assertTrue(e.getMessage().contains("CUBLAS"), e.getMessage());
    }

    @Test
    void tooWideForGridYIsRejectedWithTheLimit() {
        // N = 2^31 - 1 needs more than 65535 column blocks for every configuration of TILED (16 wide).
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmKernels.choose(GemmAlgorithm.TILED, 4, Integer.MAX_VALUE, 4));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
        // A very tall M is fine: M goes to grid x.
        assertEquals(GemmAlgorithm.NAIVE, GemmKernels.choose(GemmAlgorithm.NAIVE, 1 << 30, 8, 8).algorithm());
    }

    @Test
    void configPropertyForcesAConfigurationForAutoAndItsOwnAlgorithm() {
        String before = System.getProperty(GemmKernels.CONFIG_PROPERTY);
        try {
            System.setProperty(GemmKernels.CONFIG_PROPERTY, "warp_tiled_64x64");
            assertEquals(GemmKernels.Config.WARP_TILED_64X64, GemmKernels.choose(GemmAlgorithm.AUTO, 4096, 4096, 4096));
            assertEquals(GemmKernels.Config.WARP_TILED_64X64, GemmKernels.choose(GemmAlgorithm.WARP_TILED, 4096, 4096, 4096));
            // another algorithm asked by name is not overridden
            assertEquals(GemmKernels.Config.NAIVE, GemmKernels.choose(GemmAlgorithm.NAIVE, 4096, 4096, 4096));
            System.setProperty(GemmKernels.CONFIG_PROPERTY, "warp_tiled_256x256");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GemmKernels.choose(GemmAlgorithm.AUTO, 8, 8, 8));
            assertTrue(e.getMessage().contains("warp_tiled_128x128"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty(GemmKernels.CONFIG_PROPERTY);
            else System.setProperty(GemmKernels.CONFIG_PROPERTY, before);
        }
    }

    @Test
    void oneKernelPerConfigurationWhateverTheActivation() {
        List<String> names = GemmKernels.allNames();
        assertEquals(names.size(), new HashSet<>(names).size(), "names are unique");
        assertEquals(GemmKernels.Config.values().length + 2, names.size(), "one per configuration + the pass after cuBLAS + split-K");
        assertTrue(names.contains("jk_gemm_warp_tiled_128x128"));
        assertTrue(names.contains("jk_gemm_naive"));
        assertTrue(names.contains("jk_gemm_bias_act"));
        assertTrue(names.contains("jk_gemm_splitk_reduce"));
        for (String name : names) {
            for (Activation.Kind k : Activation.Kind.values()) {
                assertTrue(!name.endsWith("_" + k.cudaName()), name + " is named after an activation");
            }
        }
    }
}
