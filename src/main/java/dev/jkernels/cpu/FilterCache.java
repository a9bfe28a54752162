package dev.jkernels.cpu;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Filters laid out anew for a conv kernel, kept between calls while the tensor they came from is
 * unchanged: {@link VectorConvKernel}'s filter-vector path reads K × C·R·S filters as [K/NR][C·R·S][NR]
 * panels, and transposing them costs about half as much as the conv itself (1×512×7×7 3×3 on one
 * Zen 4 core: 1.2 ms of 3.7), while inference calls it again and again with the same weights.
 *
 * <p>An entry is keyed by the filters' storage (held weakly: it goes when the tensor is collected)
 * and holds the storage's {@linkplain HeapStorage#version version} when it was made. Every write
 * to a CPU tensor changes its version (user writes, every op's outputs, free), so an entry made
 * before a write is never used after it: it is rebuilt. At most {@link #MAX_FLOATS} floats are
 * kept in all; past that the other entries are dropped. One per backend; thread-safe.
 */
final class FilterCache {
    /** 64 MiB: ResNet-50's last stage (4 × 2.4 M floats in its 3×3 layers) fits. */
    static final long MAX_FLOATS = 1L << 24;

    private record Entry(long version, int k, int crs, float[] panels) {}

    private final Map<HeapStorage, Entry> entries = new WeakHashMap<>();

    /** The panels made from {@code storage} at {@code version} for this filter shape, or null. */
    synchronized float[] get(HeapStorage storage, long version, int k, int crs) {
        Entry e = entries.get(storage);
        return e != null && e.version == version && e.k == k && e.crs == crs ? e.panels : null;
    }

    /** Keeps panels made from {@code storage} at {@code version} (read before they were made). */
    synchronized void put(HeapStorage storage, long version, int k, int crs, float[] panels) {
        if (panels.length > MAX_FLOATS) return;
        entries.remove(storage);
        long total = panels.length;
        for (Entry e : entries.values()) total += e.panels.length;
        if (total > MAX_FLOATS) entries.clear();
        entries.put(storage, new Entry(version, k, crs, panels));
    }

    /** Entries kept (for tests). */
    synchronized int size() { return entries.size(); }
}
