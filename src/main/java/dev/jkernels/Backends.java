package dev.jkernels;

import dev.jkernels.cpu.CpuBackend;
import dev.jkernels.kernel.KernelBackend;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.nativeloader.CudaVerdict;

import java.util.Locale;

/**
 * Where backends come from.
 *
 * <ul>
 *   <li>{@link #cpu()}, {@link #cuda(int)}, {@link #emulated()}: exactly what they say, or an
 *       exception saying why not. Asking for the GPU never silently gives the CPU.</li>
 *   <li>{@link #auto()}: {@code JKERNELS_BACKEND=cpu|cuda|emulated} (or the system property
 *       {@code jkernels.backend}) if set; otherwise CUDA device 0 when usable, else the CPU. It logs
 *       what it chose and why.</li>
 *   <li>{@code JKERNELS_REQUIRE_GPU=1} (or {@code -Djkernels.requireGpu=true}): {@link #auto()} fails
 *       instead of choosing anything but CUDA; GPU tests fail instead of skipping. An explicit
 *       {@link #cpu()} stays available (tests use it as a reference).</li>
 * </ul>
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("dev.jkernels.Backends");

    private Backends() {}

    public static Backend cpu() { return new CpuBackend(); }

    /** The CPU backend on {@code threads} worker threads. */
    public static Backend cpu(int threads) { return new CpuBackend(threads); }

    /**
     * The CUDA kernels on device {@code deviceIndex}.
     *
     * @throws IllegalStateException with the probe's reason when CUDA is not usable here
     */
    public static Backend cuda(int deviceIndex) { return KernelBackend.cuda(deviceIndex); }

    /**
     * The same CUDA kernels compiled for the CPU (the emulator), through the same launch code.
     *
     * @throws IllegalStateException when this build has no emulator library for this platform
     */
    public static Backend emulated() { return KernelBackend.emulated(); }

    /**
     * True when {@code JKERNELS_REQUIRE_GPU} (or {@code jkernels.requireGpu}) asks for the GPU: unset
     * or blank is false; otherwise exactly {@value Settings#BOOLEAN_VALUES}.
     *
     * @throws IllegalArgumentException for any other value
     */
    public static boolean requireGpu() {
        return Settings.flag("jkernels.requireGpu", "JKERNELS_REQUIRE_GPU", false);
    }

    /** The backend chosen by the rules above. */
    public static Backend auto() {
        String forced = setting("jkernels.backend", "JKERNELS_BACKEND");
        boolean requireGpu = requireGpu();
        if (forced != null && !forced.isBlank()) {
            String name = forced.trim().toLowerCase(Locale.ROOT);
            if (requireGpu && !name.equals("cuda")) {
                throw new IllegalStateException("JKERNELS_BACKEND=" + forced + " but JKERNELS_REQUIRE_GPU is set");
            }
            Backend b = switch (name) {
                case "cpu" -> cpu();
                case "cuda" -> cuda(0);
                case "emulated" -> emulated();
                default -> throw new IllegalArgumentException(
                        "JKERNELS_BACKEND: expected cpu, cuda or emulated, got '" + forced + "'");
            };
            LOG.log(System.Logger.Level.INFO, "jkernels: backend {0} (set by JKERNELS_BACKEND)", b.description());
            return b;
        }
        CudaVerdict verdict = CudaProbe.verdict();
        if (verdict.cudaUsable()) {
            Backend b = cuda(0);
            LOG.log(System.Logger.Level.INFO, "jkernels: backend {0} (CUDA usable: {1})", b.description(), verdict.reason());
            return b;
        }
        if (requireGpu) {
            throw new IllegalStateException("JKERNELS_REQUIRE_GPU is set but CUDA is not usable: " + verdict.reason());
        }
        Backend b = cpu();
        LOG.log(System.Logger.Level.INFO, "jkernels: backend {0} (CUDA not usable: {1})", b.description(), verdict.reason());
        return b;
    }

    static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null ? v : System.getenv(env);
    }
}
