package dev.jkernels.testing;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Backends;
import org.junit.jupiter.api.Assumptions;
import org.opentest4j.AssertionFailedError;

/**
 * The one place tests get a backend from, and the one skip rule:
 * <ul>
 *   <li>CPU: always there.</li>
 *   <li>EMULATED: skipped when {@link Backends#emulated()} says the build has no emulator library,
 *       unless {@code -Djkernels.requireEmulator=true}, which turns the skip into a failure.</li>
 *   <li>CUDA: skipped when CUDA is not usable here, unless {@link Backends#requireGpu()}
 *       ({@code JKERNELS_REQUIRE_GPU=1}), which turns the skip into a failure.</li>
 * </ul>
 */
public final class TestBackends {
    private TestBackends() {}

    /** True when {@code -Djkernels.requireEmulator=true}: a missing emulator fails instead of skipping. */
    public static boolean requireEmulator() {
        return Boolean.parseBoolean(System.getProperty("jkernels.requireEmulator", "false"));
    }

    /** Whether a missing backend of this kind must fail the test rather than skip it. */
    public static boolean required(BackendKind kind) {
        return switch (kind) {
            case CPU -> true;
            case EMULATED -> requireEmulator();
            // The GPU suite on the emulated driver (src/pom.xml) needs the nvcc fatbin; a build without
            // nvcc has no kernels to run there, so it skips rather than fails.
            case CUDA -> Backends.requireGpu()
                    && !(System.getProperty("jkernels.emulatedDriverDir") != null && !dev.jkernels.nativeloader.KernelResources.hasFatbin());
        };
    }

    /**
     * A fresh backend of {@code kind} (the caller closes it), or an aborted (skipped) test when it is
     * not available and not required, or a failed one when it is required.
     */
    public static Backend open(BackendKind kind) {
        try {
            return switch (kind) {
                case CPU -> Backends.cpu();
                case EMULATED -> Backends.emulated();
                case CUDA -> Backends.cuda(0);
            };
        } catch (IllegalStateException | UnsupportedOperationException | LinkageError e) {
            String why = kind + " backend not available: " + e;
            if (required(kind)) {
                throw new AssertionFailedError(why + " (required by "
                        + (kind == BackendKind.CUDA ? "JKERNELS_REQUIRE_GPU" : "jkernels.requireEmulator") + ")", e);
            }
            Assumptions.abort(why);
            throw new AssertionError("unreachable");
        }
    }

    /**
     * The shape scale for the emulator: {@link Scale#FULL} (every grid, every kernel variant: about 45 s
     * on 2 cores in fibers mode) unless {@code -Djkernels.emulatedScale=SMALL} (about 3 s, for quick
     * runs and for the emulator's far slower threads mode).
     */
    public static Scale emulatedScale() {
        return Scale.valueOf(System.getProperty("jkernels.emulatedScale", "FULL").trim().toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * The shape scale for CUDA: {@link Scale#FULL} on a GPU, {@link Scale#SMALL} on the jkernels emulated
     * CUDA driver (cuda/emu/driver: the same kernels on the CPU, through JCuda), or what
     * {@code -Djkernels.cudaScale} says.
     */
    public static Scale cudaScale() {
        String forced = System.getProperty("jkernels.cudaScale");
        if (forced != null && !forced.isBlank()) return Scale.valueOf(forced.trim().toUpperCase(java.util.Locale.ROOT));
        return dev.jkernels.nativeloader.CudaProbe.verdict().emulatedDriver() ? Scale.SMALL : Scale.FULL;
    }

    /** A second, independent backend of the same kind (for the "tensor of another backend" checks). */
    public static Backend openAnother(Backend like) { return open(like.kind()); }
}
