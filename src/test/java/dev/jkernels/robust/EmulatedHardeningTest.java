package dev.jkernels.robust;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;

/** The same findings on the emulator, where each of them crashed the JVM or wrote through read-only memory. */
class EmulatedHardeningTest extends AbstractHardeningTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.EMULATED); }
}
