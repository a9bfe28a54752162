package dev.jkernels.kernel;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every GEMM kernel configuration on the emulator (the .cu kernels compiled for the CPU), small shapes. */
class GemmVariantsEmulatedTest extends GemmVariantsTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return Scale.SMALL; }

    @Test
    void cublasIsRejectedOnTheEmulator() {
        try (TensorScope scope = new TensorScope()) {
            Tensor a = scope.track(backend.zeros(3, 4));
            Tensor b = scope.track(backend.zeros(4, 5));
            Tensor c = scope.track(backend.zeros(3, 5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.gemm(GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).build(), a, b, null, c));
            assertTrue(e.getMessage().contains("CUBLAS") && e.getMessage().contains("CUDA backend"), e.getMessage());
        }
    }

    @Test
    void everyGemmAndConvKernelIsInTheBuild() {
        KernelLauncher launcher = ((KernelBackend) backend).launcher();
        List<String> missing = new ArrayList<>();
        for (String name : GemmKernels.allNames()) if (!launcher.hasKernel(name)) missing.add(name);
        for (String name : ConvKernels.allNames()) if (!launcher.hasKernel(name)) missing.add(name);
        assertEquals(List.of(), missing, "kernels Java names but the emulator library lacks");
    }
}
