package dev.jkernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Which micro-tile the Vector API kernels use, and that the build's second run of the GEMM and
 * conv tests (surefire execution {@code cpu-other-micro-tile}) really runs the other one.
 */
class CpuMicroTileTest {
    @Test
    void microTileRowsFollowTheRegisterCountUnlessForced() {
        int natural = VectorGemmKernel.naturalMicroRows();
        assertTrue(natural == 5 || natural == 6 || natural == 8, "natural rows " + natural);
        String forced = System.getProperty("jkernels.cpu.microRows");
        if (forced == null) {
            assertEquals(natural, VectorGemmKernel.MR);
        } else if (forced.equals("other")) {
            assertTrue(VectorGemmKernel.MR != natural, "the other tile: " + VectorGemmKernel.MR + " rows, natural " + natural);
        } else {
            assertEquals(Integer.parseInt(forced), VectorGemmKernel.MR, "jkernels.cpu.microRows=" + forced);
        }
        assertEquals(16 * VectorGemmKernel.MR, VectorGemmKernel.MC, "a task's rows are whole micro-tiles");
        assertEquals(VectorGemmKernel.MR, VectorConvKernel.MR);
        assertTrue(VectorGemmKernel.describe().contains("micro-tile " + VectorGemmKernel.MR + "x"), VectorGemmKernel.describe());
    }
}
