package dev.jkernels.robust;

import dev.jkernels.BackendKind;

/** On the emulator each of these races freed native memory under a running kernel before: SIGSEGV or heap corruption. */
class EmulatedLifetimeTest extends AbstractLifetimeTest {
    @Override protected BackendKind kind() { return BackendKind.EMULATED; }
}
