package dev.jkernels.kernel;

import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Test helpers: the emulator's launcher under the shared skip rule, and the repository's cuda/ folder. */
final class Emulator {
    private Emulator() {}

    /** An emulated launcher in {@code mode}, or a skipped test when the build has no emulator (failed if required). */
    static EmulatedLauncher open(EmulatorMode mode) {
        try {
            return EmulatedLauncher.open(mode);
        } catch (IllegalStateException e) {
            TestBackends.open(BackendKind.EMULATED).close(); // skips or fails by the shared rule
            throw e;
        }
    }

    /** The repository's cuda/ folder, found from the working directory upwards. */
    static Path cudaDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("cuda/include/jkernels/activation.cuh");
            if (Files.isRegularFile(c)) return p.resolve("cuda");
        }
        Assumptions.abort("cuda/ not found above " + Path.of("").toAbsolutePath());
        throw new AssertionError("unreachable");
    }
}
