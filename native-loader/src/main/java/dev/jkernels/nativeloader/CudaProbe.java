package dev.jkernels.nativeloader;

import dev.jkernels.nativeloader.CudaVerdict.Problem;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Probes CUDA once per process and caches the {@link CudaVerdict}, with its reason.
 *
 * <p>The order of the checks, each stopping at the first failure:
 * <ol>
 *   <li>{@code libcuda.so.1} loads (through JNA's {@code dlopen}, before any JCuda class is touched);</li>
 *   <li>JCuda's native library loads. Its static initialiser fails once with an
 *       {@link UnsatisfiedLinkError} and then, sticky, with {@link NoClassDefFoundError} on every
 *       later touch: this is why the probe runs once, caches, and never touches JCuda again after a
 *       failure;</li>
 *   <li>{@code cuInit} succeeds and lists at least one device;</li>
 *   <li>the driver's CUDA version is at least the major version of the nvcc that compiled the
 *       kernels ({@code build.properties}; minor-version compatibility covers the rest as long as
 *       the fatbin holds SASS for the device);</li>
 *   <li>the build carries the kernel fatbin;</li>
 *   <li>some device has a compute capability at least the lowest SASS target of the fatbin.</li>
 * </ol>
 * Independently: {@code libcuda.so.12} for cuBLAS (only the cuBLAS path is off without it) and the
 * emulator library (the kernels compiled for the CPU).
 *
 * <p>Thread-safe; the probe never throws: every failure becomes a verdict.
 */
public final class CudaProbe {
    /**
     * The device name of the jkernels emulated CUDA driver (cuda/emu/driver/): JCuda on the CPU
     * emulator, for tests and rig rehearsals. Never a GPU.
     */
    public static final String EMULATED_DEVICE_NAME = "jkernels emulated GPU";
    /** Set to 1 with JKERNELS_REQUIRE_GPU=1 to let the emulated driver through (tests, rehearsals). */
    public static final String ALLOW_EMULATED_ENV = "JKERNELS_ALLOW_EMULATED_DRIVER";
    public static final String ALLOW_EMULATED_PROPERTY = "jkernels.allowEmulatedDriver";

    /** The library JCublas 12.6 links against. */
    public static final String CUBLAS_LIBRARY = "libcublas.so.12";

    private static final Object LOCK = new Object();
    private static volatile CudaVerdict verdict;

    private CudaProbe() {}

    /** The verdict, probed on the first call (on any thread) and the same instance ever after. */
    public static CudaVerdict verdict() {
        CudaVerdict v = verdict;
        if (v != null) return v;
        synchronized (LOCK) {
            if (verdict == null) verdict = probeSafely();
            return verdict;
        }
    }

    /** The name of the CUDA driver library on this OS, or empty where CUDA has none (macOS). */
    static Optional<String> driverLibraryName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("win")) return Optional.of("nvcuda");
        if (os.contains("mac") || os.contains("darwin")) return Optional.empty();
        return Optional.of("libcuda.so.1");
    }

    private static CudaVerdict probeSafely() {
        return decide(SystemEnv.INSTANCE, probeEmulator());
    }

    /** What the probe's decisions read from the machine and the build; faked in tests. */
    interface Env {
        /** The driver library's name on this OS, or empty where CUDA has none. */
        Optional<String> driverLibrary();
        /** Empty when the native library loads; otherwise why not. */
        Optional<String> loadError(String library);
        /** Where a loaded library came from, if known. */
        Optional<String> location(String library);
        /** The JCuda version on the classpath, or null. */
        String jcudaVersion();
        /** cuDriverGetVersion, cuInit and the devices; may throw LinkageError (JCuda's natives) or RuntimeException. */
        DriverAnswer queryDriver();
        /** cuBLAS's version through JCublas, in words; may throw LinkageError or RuntimeException. */
        String queryCublas();
        String buildCudaVersion();
        boolean hasFatbin();
        String cudaTargets();
        String osName();
        /** JKERNELS_REQUIRE_GPU (or -Djkernels.requireGpu) is set. */
        default boolean requireGpu() { return flag("jkernels.requireGpu", "JKERNELS_REQUIRE_GPU"); }
        /** JKERNELS_ALLOW_EMULATED_DRIVER (or -Djkernels.allowEmulatedDriver) is set. */
        default boolean allowEmulatedDriver() { return flag(ALLOW_EMULATED_PROPERTY, ALLOW_EMULATED_ENV); }
    }

    /** A boolean setting: the system property, else the environment variable; unset, "", "0" and "false" are false. */
    static boolean flag(String property, String env) {
        String v = System.getProperty(property);
        if (v == null) v = System.getenv(env);
        return v != null && !v.isBlank() && !v.trim().equals("0") && !v.trim().equalsIgnoreCase("false");
    }

    /** What the driver said: its version, cuInit's error (null on success), and the devices. */
    record DriverAnswer(int driverVersion, String initError, boolean noDevice, List<DeviceInfo> devices) {}

    /** The real machine and build. */
    private enum SystemEnv implements Env {
        INSTANCE;
        @Override public Optional<String> driverLibrary() { return driverLibraryName(); }
        @Override public Optional<String> loadError(String library) { return NativeLibraries.loadError(library); }
        @Override public Optional<String> location(String library) { return NativeLibraries.location(library); }
        @Override public String jcudaVersion() { return CudaProbe.jcudaVersion(); }
        @Override public DriverAnswer queryDriver() { return DriverQuery.run(); }
        @Override public String queryCublas() { return CublasQuery.run(); }
        @Override public String buildCudaVersion() { return KernelResources.nvccVersion().orElse(null); }
        @Override public boolean hasFatbin() { return KernelResources.hasFatbin(); }
        @Override public String cudaTargets() { return KernelResources.cudaTargets().orElse(""); }
        @Override public String osName() { return System.getProperty("os.name") + " " + System.getProperty("os.arch"); }
    }

    /** The verdict for {@code env}; never throws. */
    static CudaVerdict decide(Env env, Emulator emu) {
        String jcudaVersion = null, buildCuda = null;
        try {
            jcudaVersion = env.jcudaVersion();
            buildCuda = env.buildCudaVersion();
            return probe(env, jcudaVersion, buildCuda, emu);
        } catch (RuntimeException | LinkageError e) {
            String why = "the CUDA probe failed unexpectedly: " + e;
            return new CudaVerdict(false, why, false, "CUDA not usable: " + why, Problem.PROBE_FAILED, 0,
                    buildCuda, jcudaVersion, List.of(), emu.usable, emu.reason);
        }
    }

    private static CudaVerdict probe(Env env, String jcudaVersion, String buildCuda, Emulator emu) {
        final class Result {
            CudaVerdict fail(Problem p, String why, int driver, List<DeviceInfo> devices) {
                return new CudaVerdict(false, why, false, "CUDA not usable: " + why, p, driver, buildCuda,
                        jcudaVersion, devices, emu.usable, emu.reason);
            }
        }
        Result r = new Result();

        // 1. The driver library, without touching JCuda (whose failure would be sticky).
        Optional<String> driverLib = env.driverLibrary();
        if (driverLib.isEmpty()) {
            return r.fail(Problem.NO_DRIVER_LIBRARY, "no CUDA driver exists for " + env.osName(), 0, List.of());
        }
        Optional<String> loadError = env.loadError(driverLib.get());
        if (loadError.isPresent()) {
            return r.fail(Problem.NO_DRIVER_LIBRARY, "no " + driverLib.get()
                    + " (the NVIDIA driver library): no NVIDIA driver is installed or visible here ("
                    + loadError.get() + ")", 0, List.of());
        }

        // 2.–3. JCuda: native library, driver version, cuInit, devices.
        if (jcudaVersion == null) {
            return r.fail(Problem.JCUDA_UNAVAILABLE, "JCuda (org.jcuda:jcuda) is not on the classpath", 0, List.of());
        }
        DriverAnswer q;
        try {
            q = env.queryDriver();
        } catch (LinkageError e) {
            return r.fail(Problem.JCUDA_UNAVAILABLE, "JCuda's native library did not load ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "); JCuda " + jcudaVersion
                    + " needs its jcuda-natives jar for " + env.osName(), 0, List.of());
        } catch (RuntimeException e) {   // jcuda.CudaException when exceptions are enabled elsewhere
            return r.fail(Problem.INIT_FAILED, "the CUDA driver failed: " + e.getMessage(), 0, List.of());
        }
        if (q.initError() != null) {
            if (q.noDevice()) return r.fail(Problem.NO_DEVICE, "no CUDA device: " + q.initError(), q.driverVersion(), List.of());
            return r.fail(Problem.INIT_FAILED, "cuInit failed: " + q.initError(), q.driverVersion(), List.of());
        }
        List<DeviceInfo> devices = q.devices();
        if (devices.isEmpty()) {
            return r.fail(Problem.NO_DEVICE, "no CUDA device: the driver (CUDA " + CudaVerdict.formatCudaVersion(q.driverVersion())
                    + ") lists none", q.driverVersion(), devices);
        }

        // The emulated driver (cuda/emu/driver): usable, but never taken for a GPU.
        boolean emulated = devices.stream().anyMatch(DeviceInfo::emulated);
        String emulatedWhy = "";
        if (emulated) {
            emulatedWhy = "EMULATED CUDA driver: " + driverLib.get() + " from " + env.location(driverLib.get()).orElse("the library path")
                    + " is the jkernels emulated driver (device '" + EMULATED_DEVICE_NAME
                    + "', the kernels on the CPU emulator), not a GPU; nothing measured through it is a GPU figure. ";
            if (env.requireGpu() && !env.allowEmulatedDriver()) {
                return r.fail(Problem.EMULATED_DRIVER, emulatedWhy + "JKERNELS_REQUIRE_GPU=1 rejects it (set "
                        + ALLOW_EMULATED_ENV + "=1 as well to run on it anyway, as the tests and the rig rehearsal do)",
                        q.driverVersion(), devices);
            }
        }

        // 4. Driver new enough for the kernels' nvcc.
        Optional<String> tooOld = driverTooOld(q.driverVersion(), buildCuda);
        if (tooOld.isPresent()) return r.fail(Problem.DRIVER_TOO_OLD, tooOld.get(), q.driverVersion(), devices);

        // 5. Kernels in this build.
        if (!env.hasFatbin()) {
            return r.fail(Problem.KERNELS_MISSING, "kernels missing from this build: no " + KernelResources.FATBIN
                    + " on the classpath (it was built where nvcc was absent)", q.driverVersion(), devices);
        }
        // 6. A device the SASS (or the PTX, forward) can run on.
        String targets = env.cudaTargets();
        int lowest = lowestTarget(targets);
        if (lowest > 0 && devices.stream().noneMatch(d -> d.computeCode() >= lowest)) {
            return r.fail(Problem.DEVICE_TOO_OLD, "no device can run this build's kernels: the lowest target is sm_"
                    + lowest + " (" + targets + "), the devices are " + devices, q.driverVersion(), devices);
        }

        String why = emulatedWhy + "driver CUDA " + CudaVerdict.formatCudaVersion(q.driverVersion()) + ", " + devices.size()
                + (devices.size() == 1 ? " device " : " devices ") + devices
                + ", kernels built by nvcc " + (buildCuda == null ? "(version not recorded)" : buildCuda)
                + (targets.isEmpty() ? "" : " for " + targets);
        boolean cublas;
        String cublasWhy;
        Optional<String> cublasError = env.loadError(CUBLAS_LIBRARY);
        if (cublasError.isPresent()) {
            cublas = false;
            cublasWhy = "no " + CUBLAS_LIBRARY + " (JCublas " + jcudaVersion + " needs cuBLAS 12; only the cuBLAS"
                    + " path is off, the kernels still run): " + cublasError.get();
        } else {
            try {
                cublasWhy = (emulated ? "EMULATED: " : "") + env.queryCublas() + " (" + CUBLAS_LIBRARY + " from "
                        + env.location(CUBLAS_LIBRARY).orElse("the library path") + ")";
                cublas = true;
            } catch (LinkageError | RuntimeException e) {
                cublas = false;
                cublasWhy = "JCublas did not load although " + CUBLAS_LIBRARY + " did: " + e;
            }
        }
        return new CudaVerdict(true, why, cublas, cublasWhy, Problem.NONE, q.driverVersion(), buildCuda,
                jcudaVersion, devices, emu.usable, emu.reason);
    }

    /**
     * Why the driver is too old for kernels compiled by nvcc {@code buildCuda}, or empty if it is not.
     * CUDA's minor-version compatibility lets SASS built by CUDA X.y run on any X.z driver; a driver
     * of an older major version cannot load it.
     */
    static Optional<String> driverTooOld(int driverVersion, String buildCuda) {
        int needed = parseCudaVersion(buildCuda);
        if (needed <= 0 || driverVersion <= 0) return Optional.empty();
        if (driverVersion / 1000 < needed / 1000) {
            return Optional.of("driver too old for this build's kernels: the driver supports CUDA "
                    + CudaVerdict.formatCudaVersion(driverVersion) + ", the kernels were compiled by nvcc " + buildCuda
                    + " and need a CUDA " + needed / 1000 + ".x driver or newer");
        }
        return Optional.empty();
    }

    /** "13.0" → 13000, "12.6.85" → 12060; 0 when absent or unparsable. */
    static int parseCudaVersion(String v) {
        if (v == null) return 0;
        String[] parts = v.trim().split("\\.");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return major * 1000 + minor * 10;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The lowest compute code in "sm_75,sm_80,…" (75), or 0 when none is listed. */
    static int lowestTarget(String targets) {
        int lowest = 0;
        for (String t : targets.split(",")) {
            String s = t.trim().toLowerCase(Locale.ROOT);
            if (!s.startsWith("sm_")) continue;
            try {
                int code = Integer.parseInt(s.substring(3).replaceAll("[^0-9]", ""));
                if (lowest == 0 || code < lowest) lowest = code;
            } catch (NumberFormatException ignored) {
                // an unknown target name says nothing about the lowest one
            }
        }
        return lowest;
    }

    /** JCuda's version from its jar's Maven metadata, without touching any JCuda class. */
    static String jcudaVersion() {
        try (var in = CudaProbe.class.getClassLoader().getResourceAsStream("META-INF/maven/org.jcuda/jcuda/pom.properties")) {
            if (in == null) return null;
            var p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Whether the emulator library loads here, and why (not). */
    record Emulator(boolean usable, String reason) {}

    private static Emulator probeEmulator() {
        Optional<String> resource = KernelResources.emulatorResourceName();
        if (resource.isEmpty()) {
            return new Emulator(false, "no emulator library for " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch") + " (built for linux x86-64 only)");
        }
        if (!KernelResources.hasEmulatorLibrary()) {
            return new Emulator(false, "this build has no emulator library (" + resource.get()
                    + " is not on the classpath: it was built where g++ was absent)");
        }
        try {
            Path lib = KernelResources.emulatorLibrary().orElseThrow();
            Optional<String> err = NativeLibraries.loadError(lib.toString());
            return err.map(e -> new Emulator(false, "the emulator library does not load: " + e))
                    .orElseGet(() -> new Emulator(true, "emulator library " + resource.get() + " loads (extracted to " + lib + ")"));
        } catch (RuntimeException | LinkageError e) {
            return new Emulator(false, "the emulator library could not be extracted or loaded: " + e);
        }
    }

    /** The JCuda calls, in their own class so that nothing in CudaProbe links against JCuda until needed. */
    private static final class DriverQuery {
        static DriverAnswer run() {
            int[] version = {0};
            jcuda.driver.JCudaDriver.cuDriverGetVersion(version);
            int rc = jcuda.driver.JCudaDriver.cuInit(0);
            if (rc != jcuda.driver.CUresult.CUDA_SUCCESS) {
                return new DriverAnswer(version[0], jcuda.driver.CUresult.stringFor(rc),
                        rc == jcuda.driver.CUresult.CUDA_ERROR_NO_DEVICE, List.of());
            }
            int[] count = {0};
            check(jcuda.driver.JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
            List<DeviceInfo> devices = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                jcuda.driver.CUdevice dev = new jcuda.driver.CUdevice();
                check(jcuda.driver.JCudaDriver.cuDeviceGet(dev, i), "cuDeviceGet");
                byte[] name = new byte[256];
                check(jcuda.driver.JCudaDriver.cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
                int[] major = {0}, minor = {0};
                check(jcuda.driver.JCudaDriver.cuDeviceGetAttribute(major,
                        jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev), "cuDeviceGetAttribute");
                check(jcuda.driver.JCudaDriver.cuDeviceGetAttribute(minor,
                        jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev), "cuDeviceGetAttribute");
                long[] mem = {0};
                check(jcuda.driver.JCudaDriver.cuDeviceTotalMem(mem, dev), "cuDeviceTotalMem");
                devices.add(new DeviceInfo(i, cString(name), major[0], minor[0], mem[0]));
            }
            return new DriverAnswer(version[0], null, false, devices);
        }

        private static void check(int rc, String call) {
            if (rc != jcuda.driver.CUresult.CUDA_SUCCESS) {
                throw new IllegalStateException(call + " failed: " + jcuda.driver.CUresult.stringFor(rc));
            }
        }

        private static String cString(byte[] b) {
            int n = 0;
            while (n < b.length && b[n] != 0) n++;
            return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Loads JCublas2 (only after libcublas.so.12 is known to load) and asks cuBLAS its version. */
    private static final class CublasQuery {
        static String run() {
            int[] major = {0}, minor = {0}, patch = {0};
            jcuda.jcublas.JCublas2.cublasGetProperty(0, major);   // libraryPropertyType MAJOR_VERSION
            jcuda.jcublas.JCublas2.cublasGetProperty(1, minor);   // MINOR_VERSION
            jcuda.jcublas.JCublas2.cublasGetProperty(2, patch);   // PATCH_LEVEL
            return "cuBLAS " + major[0] + "." + minor[0] + "." + patch[0] + " through JCublas";
        }
    }

    /** dlopen checks through JNA, with a file search where JNA itself is unavailable. */
    static final class NativeLibraries {
        private NativeLibraries() {}

        /** Empty when {@code name} loads; otherwise why not, in one line. */
        static Optional<String> loadError(String name) {
            try {
                com.sun.jna.NativeLibrary.getInstance(name);
                return Optional.empty();
            } catch (UnsatisfiedLinkError e) {
                return Optional.of(firstLine(e.getMessage()));
            } catch (LinkageError e) {   // JNA's own native part did not load: look for the file instead
                return findOnDisk(name).isPresent() ? Optional.empty()
                        : Optional.of(name + " not found in the library path (JNA unavailable: " + e + ")");
            }
        }

        /** Where {@code name} was loaded from, when JNA knows. */
        static Optional<String> location(String name) {
            try {
                File f = com.sun.jna.NativeLibrary.getInstance(name).getFile();
                if (f != null && f.isAbsolute()) return Optional.of(f.getPath());
                // dlopen found it on the library path: the process's mappings say where
                return mappedPath(name).or(() -> f == null ? Optional.empty() : Optional.of(f.getPath()));
            } catch (LinkageError e) {
                return Optional.empty();
            }
        }

        /** The file a loaded library {@code name} is mapped from (Linux: /proc/self/maps), if any. */
        static Optional<String> mappedPath(String name) {
            Path maps = Path.of("/proc/self/maps");
            if (!Files.isReadable(maps)) return Optional.empty();
            try (var lines = Files.lines(maps)) {
                return lines.map(l -> l.substring(l.indexOf('/') < 0 ? l.length() : l.indexOf('/')).trim())
                        .filter(p -> p.endsWith("/" + name)).findFirst();
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                return Optional.empty();
            }
        }

        private static Optional<Path> findOnDisk(String name) {
            List<String> dirs = new ArrayList<>();
            String ld = System.getenv("LD_LIBRARY_PATH");
            if (ld != null) dirs.addAll(List.of(ld.split(File.pathSeparator)));
            dirs.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu",
                    "/usr/lib/wsl/lib", "/usr/local/cuda/lib64", "/usr/local/cuda/compat"));
            for (String d : dirs) {
                if (d.isBlank()) continue;
                Path p = Path.of(d, name);
                if (Files.isRegularFile(p) || Files.isSymbolicLink(p)) return Optional.of(p);
            }
            return Optional.empty();
        }

        /** JNA's message repeats itself over several lines; the dlerror line says the most. */
        static String firstLine(String s) {
            if (s == null) return "not found";
            String one = s.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("Unable to load library"))
                    .findFirst().orElse(s.trim());
            return one.length() > 240 ? one.substring(0, 240) + "…" : one;
        }
    }
}
