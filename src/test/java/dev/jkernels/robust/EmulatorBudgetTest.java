package dev.jkernels.robust;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Tensor;
import dev.jkernels.kernel.EmulatedLauncher;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The emulator's host budget: one JVM-wide limit, configurable, refused before anything is allocated. */
class EmulatorBudgetTest {
    private final String old = System.getProperty(EmulatedLauncher.MAX_BYTES_PROPERTY);

    @AfterEach void restore() {
        if (old == null) System.clearProperty(EmulatedLauncher.MAX_BYTES_PROPERTY);
        else System.setProperty(EmulatedLauncher.MAX_BYTES_PROPERTY, old);
    }

    @Test void aTensorOverTheBudgetIsRefusedNamingTheSetting() {
        try (Backend be = TestBackends.open(BackendKind.EMULATED)) {
            long live = EmulatedLauncher.budgetedBytes();
            System.setProperty(EmulatedLauncher.MAX_BYTES_PROPERTY, "1m");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.zeros(1 << 19)); // 2 MiB
            assertTrue(e.getMessage().contains(EmulatedLauncher.MAX_BYTES_PROPERTY), e.getMessage());
            assertTrue(EmulatedLauncher.budgetedBytes() == live, "the refused tensor was allocated anyway");
        }
    }

    @Test void theBudgetCountsEveryLiveTensor() {
        try (Backend be = TestBackends.open(BackendKind.EMULATED)) {
            System.setProperty(EmulatedLauncher.MAX_BYTES_PROPERTY, String.valueOf(EmulatedLauncher.budgetedBytes() + (1 << 20) - 64));
            try (Tensor first = be.zeros(1 << 17)) {  // 512 KiB
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.zeros(1 << 17));
                assertTrue(e.getMessage().contains("host budget"), e.getMessage());
            }
            be.zeros(1 << 17).close(); // the first one's bytes came back with its close
        }
    }

    @Test void aMalformedBudgetIsAnIllegalArgument() {
        try (Backend be = TestBackends.open(BackendKind.EMULATED)) {
            System.setProperty(EmulatedLauncher.MAX_BYTES_PROPERTY, "plenty");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.zeros(4));
            assertTrue(e.getMessage().contains("plenty"), e.getMessage());
        }
    }
}
