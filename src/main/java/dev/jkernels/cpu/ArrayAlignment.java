package dev.jkernels.cpu;

import java.lang.management.ManagementFactory;

/**
 * Where in a float[] the vector loops should start so that their full-width loads and stores do
 * not straddle cache lines. Java gives no element address, but G1 places every large array
 * (half a region or more: all the multi-megabyte tensors, where this matters) at a region
 * boundary, so element i sits at (region base + header + 4·i) and the header size is fixed by the
 * JVM's object layout: 16 bytes with compressed class pointers (the default), 24 without, 12 with
 * compact object headers. With AVX-512 and the 16-byte header, index 12 is the first aligned one.
 *
 * <p>Measured (ReLU over 4 M floats, one thread, the development machine): 57.5 GB/s starting at
 * an aligned index against 45–49 GB/s at the other phases. Only speed depends on it: the loops
 * compute every element with the same vector formula whatever the phase, and for an array the
 * guess does not fit (small arrays, another collector) they run as they did before.
 */
final class ArrayAlignment {
    private ArrayAlignment() {}

    /** The float[] header in bytes, as this JVM lays arrays out (16 if it cannot be told). */
    static final int FLOAT_ARRAY_BASE_OFFSET = floatArrayBaseOffset();

    private static int floatArrayBaseOffset() {
        try {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (flag(vm, "UseCompactObjectHeaders")) return 12;
            return flag(vm, "UseCompressedClassPointers") ? 16 : 24;
        } catch (RuntimeException | LinkageError e) {
            return 16;
        }
    }

    private static boolean flag(com.sun.management.HotSpotDiagnosticMXBean vm, String name) {
        try {
            return Boolean.parseBoolean(vm.getVMOption(name).getValue());
        } catch (IllegalArgumentException e) {   // no such option on this JVM
            return false;
        }
    }

    /**
     * The index phase (0 ≤ phase &lt; vectorBytes/4) at which elements of a region-aligned float[]
     * start a vectorBytes-aligned vector.
     */
    static int phase(int vectorBytes) {
        return Math.floorMod(-FLOAT_ARRAY_BASE_OFFSET, vectorBytes) / Float.BYTES;
    }

    /**
     * The length from which a float[] is "humongous" under G1, so placed at a region start (half a
     * region with its header); 0 under any other collector, whose arrays have no known phase.
     */
    static final int REGION_START_FLOATS = regionStartFloats();

    private static int regionStartFloats() {
        try {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (!flag(vm, "UseG1GC")) return 0;
            long region = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue());
            return (int) Math.min(Integer.MAX_VALUE, region / 2 / Float.BYTES);
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    /**
     * A scratch array of at least {@code size} + 16 floats, long enough for G1 to place it at a
     * region start (so that index {@link #phase phase(64)} begins a cache line) when that costs at
     * most 4 MiB; otherwise just size + 16 floats, phase unknown. For kept per-thread buffers that
     * the micro-kernels read two vectors at a time: a strip whose 64-byte steps straddle cache lines
     * measured 55 against 74 GFLOP/s in a 1024³ SGEMM on one Zen 2 core.
     */
    static float[] alignedScratch(long size) {
        long n = size + 16;
        if (REGION_START_FLOATS > 0 && REGION_START_FLOATS <= (1 << 20)) n = Math.max(n, REGION_START_FLOATS);
        return new float[Math.toIntExact(n)];
    }

    /** How many elements from {@code from} (at most {@code to − from}) come before the next aligned index. */
    static int head(int from, int to, int phase, int lanes) {
        return Math.min(to - from, Math.floorMod(phase - from, lanes));
    }
}
