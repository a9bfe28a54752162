package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.Scale;
import dev.jkernels.kernel.CnnKernels;
import dev.jkernels.kernel.KernelBackend;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CNN op tests on the emulated backend (the CUDA kernels compiled for the CPU). */
class EmulatedCnnOpTest extends AbstractCnnOpTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
    @Override protected Scale scale() { return TestBackends.emulatedScale(); }

    @Test
    void emulatorHoldsEveryCnnKernel() {
        List<String> missing = new ArrayList<>();
        for (String name : CnnKernels.allNames()) if (!((KernelBackend) backend).launcher().hasKernel(name)) missing.add(name);
        assertEquals(List.of(), missing, "kernels CnnKernels launches but the emulator library lacks");
    }
}
