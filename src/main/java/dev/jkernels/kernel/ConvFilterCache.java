package dev.jkernels.kernel;

import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Layout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The filters of a conv2d transformed once into the layout a kernel wants, kept next to the filter
 * buffer and reused by every later convolution with it: the implicit GEMM's B operand
 * ({@code [groups][C/groups·R·S][⌈K/groups⌉₄]}, tap order (c, r, s) for NCHW, (r, s, c) = KRSC for
 * NHWC) and Winograd's {@code U = G·g·Gᵀ} ({@code [16][C][K]}).
 *
 * <p>An entry is valid while its filter buffer's {@link DeviceBuffer#writes() write count} is the
 * one it was made from: a host write into the tensor or an op that writes it bumps the count (the
 * next conv re-transforms). Entries are freed with their filter buffer ({@link #forget}), and all
 * of them when the backend closes. {@link #run} holds the cache's lock from the lookup to the
 * launch, so no other thread can replace (and free) the transformed filters in between. One per
 * {@link KernelBackend}; costs one extra copy of each cached filter tensor.
 */
final class ConvFilterCache implements AutoCloseable {
    static final String GEMM_B_KERNEL = "jk_conv_filter_gemm_b";
    static final String WINOGRAD_KERNEL = "jk_conv_filter_winograd_2x2_3x3";
    static final int TRANSFORM_THREADS = 256, TRANSFORM_MAX_BLOCKS = 4096;

    /** What the filters are transformed into. */
    enum Form { GEMM_B_NCHW, GEMM_B_NHWC, WINOGRAD }

    private record Key(DeviceBuffer filters, Form form, int k, int cPerGroup, int r, int s, int groups) {}

    private record Entry(DeviceBuffer prepared, long writes) {}

    private final KernelLauncher launcher;
    private final Map<Key, Entry> entries = new HashMap<>();
    private long transforms;

    ConvFilterCache(KernelLauncher launcher) { this.launcher = launcher; }

    /** K/groups rounded up to a multiple of 4 (every B row float4-aligned; conv_fast::kg_padded). */
    static int kgPadded(int kPerGroup) { return (kPerGroup + 3) & ~3; }

    static Form gemmForm(Layout layout) { return layout == Layout.NHWC ? Form.GEMM_B_NHWC : Form.GEMM_B_NCHW; }

    /**
     * Runs {@code use} with {@code filters} in {@code form} for {@code g}, transforming them first when
     * no valid entry exists. The lock is held until {@code use} returns.
     */
    synchronized void run(DeviceBuffer filters, Form form, Conv2dGeometry g, String op, Consumer<DeviceBuffer> use) {
        Key key = new Key(filters, form, g.k(), g.channelsPerGroup(), g.r(), g.s(), g.groups());
        long writes = filters.writes();
        Entry e = entries.get(key);
        if (e == null || e.writes() != writes) {
            if (e != null) {
                entries.remove(key);
                launcher.free(e.prepared());
            }
            e = new Entry(transform(filters, form, g, op), writes);
            entries.put(key, e);
        }
        use.accept(e.prepared());
    }

    private DeviceBuffer transform(DeviceBuffer filters, Form form, Conv2dGeometry g, String op) {
        long count = form == Form.WINOGRAD ? 16L * g.c() * g.k()
                : (long) g.groups() * g.channelsPerGroup() * g.r() * g.s() * kgPadded(g.filtersPerGroup());
        DeviceBuffer out = launcher.allocate(count * Float.BYTES);
        try {
            KernelArgs.Builder args = KernelArgs.builder().pointer(filters).pointer(out);
            String kernel;
            long work;
            if (form == Form.WINOGRAD) {
                kernel = WINOGRAD_KERNEL;
                args.int32(g.k()).int32(g.c());
                work = (long) g.k() * g.c();
            } else {
                kernel = GEMM_B_KERNEL;
                args.int32(g.k()).int32(g.channelsPerGroup()).int32(g.r()).int32(g.s()).int32(g.groups())
                        .int32(form == Form.GEMM_B_NHWC ? 1 : 0);
                work = count;
            }
            int blocks = (int) Math.max(1, Math.min(GemmKernels.ceilDiv(work, TRANSFORM_THREADS), TRANSFORM_MAX_BLOCKS));
            launcher.launch(new KernelLaunch(op + " (filter transform " + form + ")", kernel, Dim3.of(blocks),
                    Dim3.of(TRANSFORM_THREADS), 0, args.build()));
            transforms++;
            return out;
        } catch (RuntimeException ex) {
            launcher.free(out);
            throw ex;
        }
    }

    /** Frees the entries made from {@code filters} (called when that buffer is freed). */
    synchronized void forget(DeviceBuffer filters) {
        List<DeviceBuffer> free = new ArrayList<>();
        for (Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Entry> me = it.next();
            if (me.getKey().filters() == filters) {
                free.add(me.getValue().prepared());
                it.remove();
            }
        }
        for (DeviceBuffer b : free) launcher.free(b);
    }

    /** Live entries (for tests). */
    synchronized int size() { return entries.size(); }

    /** Transforms run so far (for tests: a cached conv runs none). */
    synchronized long transforms() { return transforms; }

    @Override public synchronized void close() {
        RuntimeException first = null;
        for (Entry e : entries.values()) {
            try {
                launcher.free(e.prepared());
            } catch (RuntimeException ex) {
                if (first == null) first = ex;
            }
        }
        entries.clear();
        if (first != null) throw first;
    }
}
