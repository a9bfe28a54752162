package dev.jkernels.kernel;

import java.util.Locale;

/**
 * How the emulator runs the CUDA threads of a block (see cuda/emu/emu_runtime.cpp). The code is
 * what {@code jkemu_launch} takes.
 */
public enum EmulatorMode {
    /** ucontext fibers on one OS thread, {@code __syncthreads} switches fibers: the default. */
    FIBERS(0),
    /** One OS thread per CUDA thread and a real barrier: slow, but races are real (ThreadSanitizer). */
    THREADS(1),
    /** A plain loop over the threads; a kernel that reaches {@code __syncthreads} fails. */
    SERIAL(2);

    /** The system property that selects the mode; the environment variable {@value #ENV} is the fallback. */
    public static final String PROPERTY = "jkernels.emu.mode";
    public static final String ENV = "JKERNELS_EMU_MODE";

    final int code;

    EmulatorMode(int code) { this.code = code; }

    /** The mode {@value #PROPERTY} or {@value #ENV} asks for, else {@link #FIBERS}. */
    public static EmulatorMode configured() {
        String v = System.getProperty(PROPERTY);
        String source = PROPERTY;
        if (v == null || v.isBlank()) {
            v = System.getenv(ENV);
            source = ENV;
        }
        if (v == null || v.isBlank()) return FIBERS;
        try {
            return valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": expected fibers, threads or serial, got '" + v + "'");
        }
    }

    @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
}
