package dev.jkernels.robust.prop;

import org.opentest4j.AssertionFailedError;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Crash containment for the long mode: runs a property in a child JVM whose emulated backend is
 * the AddressSanitizer + UBSan build of the library (cuda/tests/build-emu-asan.sh), with ASan
 * preloaded and every launch traced. An out-of-bounds access by a kernel kills only the child; the
 * parent, a JUnit test, fails naming the kernel of the last launch and quoting the sanitizer's
 * report. The JVM's own signal handlers stay in charge ({@code handle_segv=0}): the JVM uses SIGSEGV
 * itself; leak checking is off (the JVM does not free at exit).
 */
final class SanitizedChild {
    private SanitizedChild() {}

    private static final String TRACE_PREFIX = "[jkernels-emu] launch ";

    /** Runs {@code property} in the child; returns its case count, or throws the failure. */
    static long run(String property) throws IOException, InterruptedException {
        Path lib = asanLibrary();
        String libasan = command("g++", "-print-file-name=libasan.so").trim();
        if (!Path.of(libasan).isAbsolute() || !Files.exists(Path.of(libasan))) {
            throw new IllegalStateException("no libasan.so for g++ (got '" + libasan + "'): apt-get install libasan8");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("-Xss")) cmd.add(a);
        }
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        for (String p : new String[] {"jkernels.props.minutes", "jkernels.props.tries", "jkernels.props.case", "jkernels.emulator.mode"}) {
            String v = System.getProperty(p);
            if (v != null) cmd.add("-D" + p + "=" + v);
        }
        cmd.add("-Djkernels.props.seed=" + Props.seed());
        cmd.add("-Djkernels.emulator.library=" + lib);
        cmd.add("-Djkernels.emulator.traceLaunches=true");
        cmd.add(PropertyMain.class.getName());
        cmd.add(property);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LD_PRELOAD", libasan);
        pb.environment().put("ASAN_OPTIONS", "detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0"
                + ":allow_user_segv_handler=1:halt_on_error=1:abort_on_error=0:exitcode=86");
        pb.environment().put("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
        System.out.println("[props] " + property + ": in a child JVM on the ASan emulator library " + lib);
        Process child = pb.start();
        Deque<String> tail = new ArrayDeque<>();
        String lastLaunch = null, report = null;
        long cases = -1, launches = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(TRACE_PREFIX)) {
                    lastLaunch = line.substring(TRACE_PREFIX.length());
                    launches++;
                    continue;
                }
                if (report == null && (line.contains("ERROR: AddressSanitizer") || line.contains("runtime error:"))) report = line;
                if (line.startsWith("[props]")) System.out.println(line);
                if (line.startsWith("[props-child] cases ")) cases = Long.parseLong(line.substring(20).trim());
                tail.addLast(line);
                if (tail.size() > 60) tail.removeFirst();
            }
        }
        double minutes = Props.minutes();
        if (!child.waitFor((long) (minutes * 60) + 900, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionFailedError(property + " under the sanitizer: the child JVM hangs (last launch: " + lastLaunch + ")");
        }
        int rc = child.exitValue();
        if (rc != 0) {
            String kernel = lastLaunch == null ? "(no launch yet)" : lastLaunch.split(" ", 2)[0];
            throw new AssertionFailedError(property + " under the sanitizer: the child JVM failed (exit " + rc + ")"
                    + (report != null ? " in kernel " + kernel + ": " + report.replaceFirst("^=+\\d+=+", "").trim()
                    : ", last launch " + kernel) + "\nlast launch: " + lastLaunch + "\n" + String.join("\n", tail));
        }
        System.out.println("[props] " + property + ": the child ran " + cases + " cases, " + launches + " emulated launches under ASan");
        return cases;
    }

    /** {@code -Djkernels.props.asanLibrary}, else built (or copied from the native cache) by cuda/tests/build-emu-asan.sh. */
    private static Path asanLibrary() throws IOException, InterruptedException {
        String given = System.getProperty("jkernels.props.asanLibrary");
        if (given != null && !given.isBlank()) return Path.of(given);
        Path script = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolve("cuda/tests/build-emu-asan.sh");
            if (Files.isRegularFile(s)) { script = s; break; }
        }
        if (script == null) throw new IllegalStateException("cuda/tests/build-emu-asan.sh not found above " + Path.of("").toAbsolutePath());
        String out = command("bash", script.toString()).trim();
        return Path.of(out.substring(out.lastIndexOf('\n') + 1).trim());
    }

    private static String command(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + ")");
        return out;
    }
}
