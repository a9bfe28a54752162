package dev.jkernels.ops;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;

/** The all-padding-window test of {@link AbstractConvNoSentinelTest} on the CPU backend. */
class CpuConvNoSentinelTest extends AbstractConvNoSentinelTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }
}
