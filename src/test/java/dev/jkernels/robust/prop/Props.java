package dev.jkernels.robust.prop;

import dev.jkernels.Settings;
import org.opentest4j.AssertionFailedError;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The property runner: a seeded stream of cases, a fixed number per property in CI, or as many as
 * fit in {@code -Djkernels.props.minutes=M} per property (the long mode). Every run prints its seed;
 * a failure names the case's own seed, and {@code -Djkernels.props.case=<case seed>} reruns just that
 * case.
 *
 * <p>Settings (system properties): {@code jkernels.props.seed} (the run seed; random when unset),
 * {@code jkernels.props.tries} (multiplies every property's CI count), {@code jkernels.props.minutes}
 * (long mode), {@code jkernels.props.sanitize} (long mode under the ASan build of the emulator, in a
 * child JVM: see {@link SanitizedChild}).
 */
public final class Props {
    private Props() {}

    /** One case: draw what it needs from {@code r}, check, throw on failure. */
    @FunctionalInterface
    public interface Case {
        void run(SplittableRandom r) throws Exception;
    }

    /** The run's seed: {@code -Djkernels.props.seed}, else fixed once per JVM from the clock. */
    public static long seed() { return SeedHolder.SEED; }

    private static final class SeedHolder {
        static final long SEED = Long.getLong("jkernels.props.seed", System.nanoTime() ^ 0x9E3779B97F4A7C15L * System.currentTimeMillis());
    }

    /** Minutes per property in the long mode, or 0 in CI mode. */
    public static double minutes() {
        String v = System.getProperty("jkernels.props.minutes");
        return v == null || v.isBlank() ? 0 : Double.parseDouble(v.trim());
    }

    public static boolean longMode() { return minutes() > 0; }

    /** Whether the long mode runs the emulator under ASan in a child JVM. */
    public static boolean sanitize() { return Settings.parseBoolean("jkernels.props.sanitize", System.getProperty("jkernels.props.sanitize", "false")); }

    private static double triesFactor() {
        String v = System.getProperty("jkernels.props.tries");
        return v == null || v.isBlank() ? 1 : Double.parseDouble(v.trim());
    }

    /**
     * Runs {@code property}: {@code ciTries} cases (times {@code jkernels.props.tries}), or for
     * {@link #minutes()} in the long mode. Returns the number of cases run.
     */
    public static long run(String property, int ciTries, Case body) {
        long seed = seed();
        String only = System.getProperty("jkernels.props.case");
        if (only != null && !only.isBlank()) {
            long caseSeed = Long.parseLong(only.trim());
            System.out.println("[props] " + property + ": the single case " + caseSeed);
            runCase(property, 0, caseSeed, seed, body);
            return 1;
        }
        double minutes = minutes();
        long tries = minutes > 0 ? Long.MAX_VALUE : Math.max(1, Math.round(ciTries * triesFactor()));
        long deadline = minutes > 0 ? System.nanoTime() + (long) (minutes * 60e9) : Long.MAX_VALUE;
        System.out.println("[props] " + property + ": seed " + seed + (minutes > 0 ? ", long mode " + minutes + " min" : ", " + tries + " tries")
                + " (rerun with -Djkernels.props.seed=" + seed + ")");
        SplittableRandom master = new SplittableRandom(seed ^ property.hashCode() * 0xC2B2AE3D27D4EB4FL);
        long t0 = System.nanoTime();
        long i = 0;
        for (; i < tries && System.nanoTime() < deadline; i++) runCase(property, i, master.nextLong(), seed, body);
        System.out.println(String.format(Locale.ROOT, "[props] %s: %d cases passed in %.1f s (seed %d)", property, i,
                (System.nanoTime() - t0) / 1e9, seed));
        return i;
    }

    private static void runCase(String property, long index, long caseSeed, long seed, Case body) {
        try {
            body.run(new SplittableRandom(caseSeed));
        } catch (Throwable t) {
            throw new AssertionFailedError(property + ": case " + index + " failed (case seed " + caseSeed + ", run seed " + seed
                    + "; rerun it alone with -Djkernels.props.case=" + caseSeed + "): " + t, t);
        }
    }
}
