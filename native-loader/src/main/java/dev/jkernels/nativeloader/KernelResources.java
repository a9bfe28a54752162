package dev.jkernels.nativeloader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * The native artefacts the build puts on the classpath, under {@value #BASE}:
 * <ul>
 *   <li>{@value #FATBIN}: every kernel, SASS for the build's targets plus PTX (see {@link #fatbin()});</li>
 *   <li>{@value #PTXAS_SUMMARY}: {@code ptxas -v} output, registers and shared memory per kernel;</li>
 *   <li>{@value #BUILD_INFO}: {@code nvcc.version} (e.g. {@code 13.0}), {@code cuda.targets}
 *       (e.g. {@code sm_75,sm_80,sm_86,sm_89,sm_90}), {@code built.at};</li>
 *   <li>{@value #EMULATOR_LINUX_X86_64}: the same kernels compiled for the CPU (the emulator).</li>
 * </ul>
 * Any of them may be absent (a build without nvcc has no fatbin); every accessor says so with an
 * empty {@link Optional} rather than an exception. The small resources are read once per process
 * and cached; the fatbin (hundreds of MB with every kernel variant) is read on each call to
 * {@link #fatbin()} and never kept, since a launcher loads it once. All methods are thread-safe.
 * Looked up through this class's class loader.
 */
public final class KernelResources {
    /** The classpath folder holding every native artefact. */
    public static final String BASE = "dev/jkernels/native/";
    public static final String FATBIN = BASE + "jkernels.fatbin";
    public static final String PTXAS_SUMMARY = BASE + "jkernels-ptxas.txt";
    public static final String BUILD_INFO = BASE + "build.properties";
    public static final String EMULATOR_LINUX_X86_64 = BASE + "linux-x86_64/libjkernels-emu.so";

    /** Keys of {@link #buildInfo()}. */
    public static final String KEY_NVCC_VERSION = "nvcc.version";
    public static final String KEY_CUDA_TARGETS = "cuda.targets";
    public static final String KEY_BUILT_AT = "built.at";

    private KernelResources() {}

    // Holder idiom: each resource is loaded on first use, exactly once, without locks afterwards.
    private static final class Ptxas { static final String TEXT = readText(PTXAS_SUMMARY); }
    private static final class Info { static final Properties PROPS = readProperties(BUILD_INFO); }

    private static final Object EMULATOR_LOCK = new Object();
    private static volatile Optional<Path> emulator;   // null until first asked

    /**
     * The kernel fatbin's bytes, read from the classpath now (not cached: it is large, and a
     * launcher needs it once), if this build has one.
     */
    public static Optional<byte[]> fatbin() { return Optional.ofNullable(readBytes(FATBIN)); }

    /** Whether this build carries the kernel fatbin (i.e. nvcc was present when it was built); reads nothing. */
    public static boolean hasFatbin() { return url(FATBIN) != null; }

    /** The fatbin's size in bytes, or 0 when absent, without reading it into memory. */
    public static long fatbinSize() {
        java.net.URL u = url(FATBIN);
        if (u == null) return 0;
        try {
            java.net.URLConnection c = u.openConnection();
            c.setUseCaches(false);
            long n = c.getContentLengthLong();
            if (n >= 0) return n;
            try (InputStream in = c.getInputStream()) {
                return in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read classpath resource " + FATBIN, e);
        }
    }

    /** The {@code ptxas -v} summary of the kernels, if the build kept it. */
    public static Optional<String> ptxasSummary() { return Optional.ofNullable(Ptxas.TEXT); }

    /** A copy of the build info; empty when the build wrote none. */
    public static Properties buildInfo() {
        Properties copy = new Properties();
        copy.putAll(Info.PROPS);
        return copy;
    }

    /** The nvcc version the kernels were built with ({@code "13.0"}), if recorded. */
    public static Optional<String> nvccVersion() { return property(KEY_NVCC_VERSION); }

    /** The SASS targets in the fatbin ({@code "sm_75,sm_80,…"}), if recorded. */
    public static Optional<String> cudaTargets() { return property(KEY_CUDA_TARGETS); }

    private static Optional<String> property(String key) {
        String v = Info.PROPS.getProperty(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** Where a resource was found (a jar or a folder URL), for reports; empty when absent. */
    public static Optional<String> location(String resource) {
        return Optional.ofNullable(url(resource)).map(java.net.URL::toString);
    }

    private static java.net.URL url(String resource) {
        ClassLoader cl = KernelResources.class.getClassLoader();
        return cl == null ? ClassLoader.getSystemResource(resource) : cl.getResource(resource);
    }

    /** The classpath name of the emulator library for this platform, or empty when none is built for it. */
    public static Optional<String> emulatorResourceName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return Optional.of(EMULATOR_LINUX_X86_64);
        }
        return Optional.empty();
    }

    /**
     * The emulator library as a file that {@code dlopen} (JNA) can load: extracted from the classpath
     * once per process to a temporary file that is deleted when the JVM exits. Empty when the
     * platform is not linux x86-64 or the build has no emulator library.
     *
     * @throws UncheckedIOException when the library is present but cannot be written to a temporary file
     */
    public static Optional<Path> emulatorLibrary() {
        Optional<Path> e = emulator;
        if (e != null) return e;
        synchronized (EMULATOR_LOCK) {
            if (emulator == null) emulator = extractEmulator();
            return emulator;
        }
    }

    /** Whether this build has an emulator library for this platform (without extracting it). */
    public static boolean hasEmulatorLibrary() {
        return emulatorResourceName().map(n -> url(n) != null).orElse(false);
    }

    private static Optional<Path> extractEmulator() {
        Optional<String> name = emulatorResourceName();
        if (name.isEmpty()) return Optional.empty();
        try (InputStream in = open(name.get())) {
            if (in == null) return Optional.empty();
            Path file = Files.createTempFile("libjkernels-emu-", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(file);
        } catch (IOException ex) {
            throw new UncheckedIOException("could not extract the emulator library " + name.get() + " to a temporary file", ex);
        }
    }

    private static InputStream open(String name) {
        ClassLoader cl = KernelResources.class.getClassLoader();
        return cl == null ? ClassLoader.getSystemResourceAsStream(name) : cl.getResourceAsStream(name);
    }

    private static byte[] readBytes(String name) {
        try (InputStream in = open(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException ex) {
            throw new UncheckedIOException("could not read classpath resource " + name, ex);
        }
    }

    private static String readText(String name) {
        byte[] b = readBytes(name);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static Properties readProperties(String name) {
        Properties p = new Properties();
        try (InputStream in = open(name)) {
            if (in != null) p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new UncheckedIOException("could not read classpath resource " + name, ex);
        }
        return p;
    }
}
