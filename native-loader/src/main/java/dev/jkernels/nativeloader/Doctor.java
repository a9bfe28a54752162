package dev.jkernels.nativeloader;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Properties;

/**
 * {@code doctor}: what this machine and this build can run, and why not the rest.
 *
 * <p>Run from the repository root:
 * <pre>mvn -q -B -pl native-loader compile exec:java</pre>
 * (no {@code -am}: with it Maven would also run exec:java on the parent pom, which has no classes).
 * That sees the kernels of the last build of the {@code src} module ({@code src/target/classes}).
 * From a jar: {@code java -cp benchmarks/target/dist/jkernels-benchmarks.jar dev.jkernels.nativeloader.Doctor}.
 * With {@code --require-gpu} it exits with status 1 unless the CUDA backend is usable (for the device rig).
 */
public final class Doctor {
    private Doctor() {}

    public static void main(String[] args) {
        boolean requireGpu = false;
        for (String a : args) {
            switch (a) {
                case "--require-gpu" -> requireGpu = true;
                case "-h", "--help" -> {
                    System.out.println("usage: Doctor [--require-gpu]   (exit 1 unless CUDA is usable when --require-gpu)");
                    return;
                }
                default -> {
                    System.err.println("doctor: unknown option " + a + " (try --help)");
                    System.exit(2);
                }
            }
        }
        CudaVerdict v = CudaProbe.verdict();
        print(v, System.out);
        // --require-gpu: a GPU, not the emulated driver (unless JKERNELS_ALLOW_EMULATED_DRIVER=1, for rehearsals).
        boolean allowEmulated = CudaProbe.flag(CudaProbe.ALLOW_EMULATED_PROPERTY, CudaProbe.ALLOW_EMULATED_ENV);
        if (requireGpu && (!v.cudaUsable() || (v.emulatedDriver() && !allowEmulated))) System.exit(1);
    }

    /** Writes the whole report for {@code v} to {@code out}. */
    public static void print(CudaVerdict v, PrintStream out) {
        out.println(v.emulatedDriver()
                ? "jkernels doctor: EMULATED CUDA DRIVER, NOT A GPU (libcuda.so.1 is the jkernels emulated driver: the"
                        + " kernels run on the CPU emulator through JCuda; nothing measured here is a GPU figure)"
                : "jkernels doctor");
        out.println();
        out.println("System");
        row(out, "OS", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        row(out, "arch", System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        row(out, "Java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor")
                + ", " + System.getProperty("java.vm.name") + ")");
        row(out, "JCuda", v.jcudaVersion() == null ? "not on the classpath" : v.jcudaVersion());
        row(out, "CUDA driver", v.driverVersionString().map(s -> "CUDA " + s).orElse("none"));
        row(out, "kernels' CUDA", v.buildCudaVersion() == null ? "not recorded" : "nvcc " + v.buildCudaVersion());
        out.println();

        out.println("Devices");
        if (v.devices().isEmpty()) {
            row(out, "-", "none");
        } else {
            for (DeviceInfo d : v.devices()) {
                row(out, "#" + d.index(), d.name() + ", compute capability " + d.computeCapability() + " (" + d.sm()
                        + "), " + String.format(Locale.ROOT, "%.1f GiB", d.totalMemoryBytes() / (1024.0 * 1024 * 1024)));
            }
        }
        out.println();

        out.println("This build");
        if (KernelResources.hasFatbin()) {
            row(out, "kernels", KernelResources.fatbinSize() + " bytes, from "
                    + KernelResources.location(KernelResources.FATBIN).orElse(KernelResources.FATBIN));
        } else {
            row(out, "kernels", "none: no " + KernelResources.FATBIN + " (built without nvcc)");
        }
        Properties info = KernelResources.buildInfo();
        String ptx = info.getProperty("cuda.ptx");
        row(out, "targets", info.getProperty(KernelResources.KEY_CUDA_TARGETS, "not recorded")
                + (ptx == null ? "" : " + PTX " + ptx + " (JIT for newer GPUs)"));
        row(out, "built at", info.getProperty(KernelResources.KEY_BUILT_AT, "not recorded"));
        row(out, "ptxas summary", KernelResources.ptxasSummary()
                .map(s -> s.lines().count() + " lines (" + KernelResources.PTXAS_SUMMARY + ")").orElse("none"));
        row(out, "emulator", KernelResources.emulatorResourceName()
                .map(n -> KernelResources.hasEmulatorLibrary() ? KernelResources.location(n).orElse(n) : "none (" + n + " absent)")
                .orElse("none for this platform"));
        out.println();

        out.println("Backends");
        row(out, "cpu", "usable: pure Java, always");
        row(out, "cuda", (v.cudaUsable() ? "usable: " : "NOT usable: ") + v.reason());
        row(out, "cublas", (v.cublasUsable() ? "usable: " : "NOT usable: ") + v.cublasReason());
        row(out, "emulated", (v.emulatorUsable() ? "usable: " : "NOT usable: ") + v.emulatorReason());
        out.println();

        String forced = setting("jkernels.backend", "JKERNELS_BACKEND");
        String require = setting("jkernels.requireGpu", "JKERNELS_REQUIRE_GPU");
        row(out, "JKERNELS_BACKEND", forced == null ? "unset" : forced);
        row(out, "JKERNELS_REQUIRE_GPU", require == null ? "unset" : require);
        String allow = setting(CudaProbe.ALLOW_EMULATED_PROPERTY, CudaProbe.ALLOW_EMULATED_ENV);
        row(out, CudaProbe.ALLOW_EMULATED_ENV, allow == null ? "unset" : allow);
        String auto = forced != null && !forced.isBlank() ? forced.trim() + " (forced by JKERNELS_BACKEND)"
                : v.cudaUsable() ? "cuda:0" : "cpu (CUDA not usable)";
        row(out, "Backends.auto()", auto);
    }

    private static void row(PrintStream out, String key, String value) {
        out.printf(Locale.ROOT, "  %-22s %s%n", key, value);
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null ? v : System.getenv(env);
    }
}
