package dev.jkernels.cpu;

import dev.jkernels.Activation;
import dev.jkernels.Conv2dGeometry;
import dev.jkernels.Layout;
import jdk.incubator.vector.FloatVector;

/**
 * conv2d on the Vector API GEMM micro-kernel ({@link VectorGemmKernel#microKernel}: an MR × NR tile
 * of C in registers, NR = 2 vectors, MR = 8, 6 or 5 by the vector register count and the JDK, see
 * {@link VectorGemmKernel#MR}), with the im2col operand packed one L1-sized strip at a time,
 * right before the micro-kernel reads it — never materialised (except the few strips of a late
 * layer at batch 1, below).
 *
 * <p>Who computes what:
 * <ul>
 *   <li><b>NCHW</b>: per image and group, C[K/g, P·Q] = filters[K/g, C/g·R·S] · im2col[C/g·R·S, P·Q].
 *       The filters (A) are packed once per call as MR-row panels when batch × pixels ≥ 256, and
 *       read in place, MR rows at a time, below that (at batch 1 a late layer's filters outweigh
 *       its activations). A task is (image, group, up to
 *       MC = 16·MR filters, up to 8 strips of NR output pixels); for each KC = 256 slice of the
 *       reduction it packs one strip of im2col (KC × NR floats = 32 KiB with AVX-512: L1) from the
 *       input and runs every MR-filter panel over it. When the filters are split over several
 *       tasks and the pixels are few (a late layer at batch 1: 512 filters, 7×7 pixels) the
 *       strips are packed once per call instead, up to 16 MiB, and a task takes all of them
 *       (per task, packing a 7×7 map's strips, runs of 7, cost as much as their FMAs). 1×1
 *       stride-1 convolutions need no im2col at all: row c of B is input channel c, so the
 *       micro-kernel reads full strips in place
 *       ({@link #microKernelRowsB}; packing them, NR floats from each of 256 channel planes,
 *       cost a third of the layer).</li>
 *   <li><b>NHWC</b>, natively: C[P·Q, K/g] = im2col[P·Q, R·S·C/g] · filtersᵀ, rows are output pixels
 *       and each output row is contiguous in K, as NHWC stores it. The reduction runs in (r, s, c)
 *       order so that each pixel's slice is a contiguous run of input channels. The filters,
 *       reordered and transposed, are packed once per call as strips of NR output channels (B, one
 *       task per strip); a task packs its pixels' im2col rows per KC slice as [p][8] panels (A).</li>
 *   <li>The epilogue (bias, activation) runs per output row of the task's tile, right after its
 *       last KC slice, while the tile is still in L2 ({@link GemmKernel.Epilogue#store}, vector
 *       activation): the fused conv costs one pass over data in cache, not one over memory. The
 *       implicit path stores its tiles straight into the output with the bias added in registers.</li>
 *   <li>Tasks are spread over the pool for every shape, batch 1 included: tile widths shrink until
 *       there are at least four tasks per thread.</li>
 * </ul>
 */
final class VectorConvKernel {
    private VectorConvKernel() {}

    static final int MR = VectorGemmKernel.MR;
    /**
     * The species and its lane count, read from static finals inside every kernel, never copied to
     * a local first: a local live across a loop is read from the interpreter's frame when C2
     * compiles the loop on-stack (OSR), so the species was not a constant there, every broadcast's
     * intrinsic failed and each vector was boxed (LogCompilation: no broadcast intrinsified, 58 KB
     * of code; 4×128×28×28 3×3 on one core under G1 5× slower, 460 MB allocated per 53 ms).
     */
    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorGemmKernel.S;
    private static final int L = S.length();
    static final int NR = VectorGemmKernel.NR;
    static final int KC = 256;
    static final int MC = VectorGemmKernel.MC;
    private static final int MAX_STRIPS = 8;
    /** Input channels up to which NCHW convs always take the implicit path ({@link #implicitNchw}). */
    static final int SMALL_C = 4;
    /** Which NCHW path: "auto" (by shape), "implicit" or "packed" (system property {@code jkernels.cpu.conv}, for benchmarks and tests). */
    static final String NCHW_PATH = System.getProperty("jkernels.cpu.conv", "auto");

    /**
     * The implicit path for NCHW, groups = 1: always for first layers (C ≤ 4, where packing is the
     * whole cost), and for R·S &gt; 1 when output rows are long enough that rounding them up to
     * tiles of NR pixels wastes at most a quarter (Q ≥ 24 with AVX-512) and C·R·S ≤ 2304; 1×1 and short rows
     * (7×7, 14×14 maps) stay on the packed strips, which have no such waste.
     */
    static boolean implicitApplies(Conv2dGeometry g) {
        if (g.groups() != 1 || g.layout() != Layout.NCHW || NCHW_PATH.equals("packed")) return false;
        // Its padded phase planes hold c·sw·hl·wq floats: huge strides or paddings (issue 12: 2^29)
        // would overflow that int size; the packed path has no such buffer.
        long qvMax = (long) ceilDiv(g.q(), NR) * NR;
        long wqMax = qvMax + ((long) (g.s() - 1) * g.dilationW()) / g.strideW() + 1;
        long hlMax = (long) (g.p() - 1) * g.strideH() + (long) (g.r() - 1) * g.dilationH() + 1;
        if ((long) g.c() * g.strideW() * hlMax * wqMax + NR > (1L << 28)) return false;
        if (NCHW_PATH.equals("implicit") || g.c() <= SMALL_C) return true;
        int qv = ceilDiv(g.q(), NR) * NR;
        // C·R·S ≤ 2304: the 8 filter rows a micro-kernel call streams (8·C·R·S floats) stay in L2.
        return g.r() * g.s() > 1 && 4 * (qv - g.q()) <= qv && (long) g.c() * g.r() * g.s() <= 2304;
    }

    /**
     * {@code filters}: the storage {@code w} is the array of, or null (then nothing is cached);
     * {@code cache}: where layouts made from it are kept while it is unchanged.
     */
    static void conv(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act, float[] out,
                     WorkerPool pool, HeapStorage filters, FilterCache cache) {
        WorkerPool exec = g.flops() >= 2.0 * GemmKernel.PARALLEL_MIN_FMAS ? pool : null;
        if (g.layout() == Layout.NHWC) {
            nhwc(g, in, w, bias, act, out, exec, pool.threads());
        } else if (implicitApplies(g)) {
            implicitNchw(g, in, w, bias, act, out, exec, pool.threads());
        } else if (filterVectorApplies(g)) {
            filterVectorNchw(g, in, w, bias, act, out, exec, filters, cache);
        } else {
            nchw(g, in, w, bias, act, out, exec, pool.threads());
        }
    }

    private static int roundUp(int x, int to) { return (x + to - 1) / to * to; }

    /**
     * Each worker's accumulator tile and packing buffer, kept between tasks and calls and never
     * zeroed (the first KC slice stores its sums, packing writes every element it reads): a
     * {@code new float[]} per task is zeroed by the JVM, 64 KiB per task of a 1×1 layer. Up to
     * 16 MiB each (the strips packed ahead, on the calling thread), as {@link VectorGemmKernel} keeps.
     */
    private static final ThreadLocal<float[][]> KEPT = ThreadLocal.withInitial(() -> new float[3][]);
    private static final int KEEP_FLOATS = 1 << 22;
    /** The longest reduction (taps) for which the implicit path stores its tiles straight into the output. */
    private static final int DIRECT_STORE_TAPS = 256;
    /** The most floats of im2col strips packed ahead per call (16 MiB: a late layer's at batch 8; 4 MiB measured 25-55 % slower at batch 4-8). */
    private static final int PREPACK_FLOATS = 1 << 22;
    /** Output pixels (batch × P·Q) from which the packed path packs the filters as MR-row panels. */
    private static final int PACK_FILTERS_MIN = 256;

    private static float[] kept(int which, int size) {
        if (size > KEEP_FLOATS) return ArrayAlignment.alignedScratch(size);
        float[][] k = KEPT.get();
        if (k[which] == null || k[which].length < size + 16) k[which] = ArrayAlignment.alignedScratch(size);
        return k[which];
    }

    /** Where packed strips start in their buffers (1 and 2): a cache line start, see {@link VectorGemmKernel#B_ALIGN}. */
    private static final int B_ALIGN = VectorGemmKernel.B_ALIGN;

    private static int ceilDiv(long a, long b) { return (int) ((a + b - 1) / b); }

    // --------------------------------------------------------------------------------------- NCHW

    private static void nchw(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act, float[] out,
                             WorkerPool exec, int threads) {
        int kpg = g.filtersPerGroup(), crs = g.channelsPerGroup() * g.r() * g.s(), pq = g.p() * g.q();
        int groups = g.groups();
        int strips = ceilDiv(pq, NR);
        int mc = Math.min(MC, roundUp(kpg, MR)), mTasks, perTask, colTasks;
        boolean direct = g.r() == 1 && g.s() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padTop() == 0
                && g.padLeft() == 0 && g.p() == g.h() && g.q() == g.w();
        int slices = ceilDiv(crs, KC);
        long stripFloats = (long) crs * NR, packedFloats = (long) g.n() * groups * strips * stripFloats;
        // Few pixels and many filters (a late layer at batch 1): each strip is packed once per call,
        // not once per filter task (packing a 7×7 map's strip, runs of 7, cost as much as its FMAs).
        boolean prepack = !direct && kpg > MC && packedFloats <= PREPACK_FLOATS;
        long base;
        while (true) {   // narrower tiles until there are four tasks per thread (or tiles are minimal)
            mTasks = ceilDiv(kpg, mc);
            mc = roundUp(ceilDiv(kpg, mTasks), MR);   // even tasks: 128 filters at MR = 6 as 66 + 62, not 96 + 32
            base = (long) g.n() * groups * mTasks;
            perTask = prepack ? Math.min(MAX_STRIPS, strips)
                    : Math.max(1, Math.min(MAX_STRIPS, (int) (strips * base / (4L * threads))));
            colTasks = ceilDiv(strips, perTask);
            if (base * colTasks >= 4L * threads || mc <= 4 * MR) break;
            mc = roundUp(mc / 2, MR);
        }
        final int mc_ = mc, mTasks_ = mTasks, perTask_ = perTask, colTasks_ = colTasks;
        StripPacker packer = new StripPacker(g, in);
        float[] packed = prepack ? kept(2, (int) packedFloats) : null;
        // The filters as MR-row panels ([group][kb][p][MR], rows past K/groups zero) when each
        // filter element is used for at least PACK_FILTERS_MIN output pixels: the micro-kernel then
        // broadcasts from one index, not from MR row pointers (more than x86 has integer registers:
        // 1×1 over 56×56 on one Zen 2 core 52 → 72 GFLOP/s). A late layer at batch 1 (512×4608
        // filters, 7×7 pixels) reads them in place: packing cost more than the conv there.
        int kbPerGroup = ceilDiv(kpg, MR);
        float[] wp = (long) g.n() * pq >= PACK_FILTERS_MIN ? new float[groups * kbPerGroup * crs * MR] : null;
        if (wp != null) {
            GemmKernel.run(exec, groups * kbPerGroup, t -> {
                int grp = t / kbPerGroup, f0 = (t % kbPerGroup) * MR, dst = t * crs * MR;
                for (int f = f0; f < Math.min(kpg, f0 + MR); f++) {
                    int src = (grp * kpg + f) * crs;
                    for (int pp = 0; pp < crs; pp++) wp[dst + pp * MR + f - f0] = w[src + pp];
                }
            });
        }
        if (prepack) {
            GemmKernel.run(exec, (int) (packedFloats / stripFloats) * slices, t -> {
                int sl = t % slices, st = t / slices, ig = st / strips, s = st % strips;
                int pc = sl * KC;
                packer.pack(ig / groups, ig % groups, pc, Math.min(KC, crs - pc), s * NR, packed,
                        B_ALIGN + (int) (st * stripFloats) + pc * NR);
            });
        }
        GemmKernel.run(exec, (int) (base * colTasks_), t -> {
            int ct = t % colTasks_, rest = t / colTasks_;
            int mt = rest % mTasks_, ig = rest / mTasks_;
            int image = ig / groups, grp = ig % groups;
            int i0 = mt * mc_, rows = Math.min(mc_, kpg - i0), rowsPad = roundUp(rows, MR);
            int s0 = ct * perTask_, ns = Math.min(perTask_, strips - s0);
            int j0 = s0 * NR, len = Math.min(ns * NR, pq - j0), ldc = ns * NR;
            float[] acc = kept(0, rowsPad * ldc);
            float[] strip = prepack ? packed : kept(1, Math.min(KC, crs) * NR);
            for (int pc = 0; pc < crs; pc += KC) {
                int kc = Math.min(KC, crs - pc);
                for (int s = 0; s < ns; s++) {
                    int js = j0 + s * NR;
                    if (direct && js + NR <= pq) {
                        // 1×1 stride 1: row c of B is input channel c, read in place (stride P·Q).
                        int bo = ((image * g.c() + grp * g.channelsPerGroup()) + pc) * pq + js;
                        for (int r0 = 0; r0 < rowsPad; r0 += MR) {
                            if (wp != null) {
                                VectorGemmKernel.microKernel(wp, ((grp * kbPerGroup + (i0 + r0) / MR) * crs + pc) * MR, in, bo, pq,
                                        kc, acc, r0 * ldc + s * NR, ldc, pc > 0);
                            } else {
                                microKernelRowsB(w, (grp * kpg + i0 + r0) * crs + pc, crs, Math.min(MR, rows - r0), in, bo, pq,
                                        kc, acc, r0 * ldc + s * NR, ldc, pc > 0);
                            }
                        }
                        continue;
                    }
                    int so = B_ALIGN;
                    if (prepack) {
                        so += (int) ((ig * strips + s0 + s) * stripFloats) + pc * NR;
                    } else {
                        packer.pack(image, grp, pc, kc, js, strip, so);
                    }
                    for (int r0 = 0; r0 < rowsPad; r0 += MR) {
                        // A straight from the filter rows: K·C·R·S floats are read, never repacked
                        // (packing 512×4608 filters per call cost more than the conv at batch 1).
                        if (wp != null) {
                            VectorGemmKernel.microKernel(wp, ((grp * kbPerGroup + (i0 + r0) / MR) * crs + pc) * MR, strip, so, NR,
                                    kc, acc, r0 * ldc + s * NR, ldc, pc > 0);
                        } else {
                            microKernelRows(w, (grp * kpg + i0 + r0) * crs + pc, crs, Math.min(MR, rows - r0), strip, so, kc,
                                    acc, r0 * ldc + s * NR, ldc, pc > 0);
                        }
                    }
                }
            }
            GemmKernel.Epilogue e = new GemmKernel.Epilogue(out, (image * g.k() + grp * kpg) * pq, pq, 1, 1f, 0f,
                    bias, grp * kpg, true, act, true);
            e.storeTile(i0, rows, j0, len, acc, ldc);
        });
    }

    /**
     * {@link VectorGemmKernel#microKernel} with A read in place: A(r, p) = a[ao + r·lda + p] for the
     * first {@code rows} rows (rows past them repeat the last one; their sums are never stored).
     * MR scalar streams, each contiguous in p, feed the broadcasts. Written out for the same
     * reason as the original: a helper taking vectors would box them.
     */
    private static void microKernelRows(float[] a, int ao, int lda, int rows, float[] bp, int bo, int kc, float[] c, int co,
                                        int ldc, boolean add) {
        int last = rows - 1;
        int a0 = ao, a1 = ao + Math.min(1, last) * lda, a2 = ao + Math.min(2, last) * lda, a3 = ao + Math.min(3, last) * lda;
        int a4 = ao + Math.min(4, last) * lda, a5 = ao + Math.min(5, last) * lda, a6 = ao + Math.min(6, last) * lda;
        int a7 = ao + Math.min(7, last) * lda;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        FloatVector c50 = MR >= 6 ? c00 : null, c51 = c50;             // dead rows null: see microKernel
        FloatVector c60 = MR == 8 ? c00 : null, c61 = c60, c70 = c60, c71 = c60;
        for (int p = 0, b = bo; p < kc; p++, b += NR) {   // b stepped, not bo + p·NR: see VectorGemmKernel#microKernel
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                x = FloatVector.broadcast(S, a[a5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                x = FloatVector.broadcast(S, a[a6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, a[a7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            }
        }
        if (!add) {
            c00.intoArray(c, co); c01.intoArray(c, co + L);
            c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L);
            c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
            c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
            c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
                c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
            }
            return;
        }
        int at;
        at = co; c00.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c01.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + ldc; c10.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c11.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + 2 * ldc; c20.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c21.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + 3 * ldc; c30.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c31.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + 4 * ldc; c40.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c41.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        if (MR >= 6) {   // row 5: folded away where MR is 5
            at = co + 5 * ldc; c50.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c51.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        }
        if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
            at = co + 6 * ldc; c60.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c61.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
            at = co + 7 * ldc; c70.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c71.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        }
    }

    /** {@link #microKernelRows} with B read in place: B(p, j) = b[bo + p·ldb + j] (1×1 stride-1 convolutions). */
    private static void microKernelRowsB(float[] a, int ao, int lda, int rows, float[] b, int bo, int ldb, int kc,
                                         float[] c, int co, int ldc, boolean add) {
        int last = rows - 1;
        int a0 = ao, a1 = ao + Math.min(1, last) * lda, a2 = ao + Math.min(2, last) * lda, a3 = ao + Math.min(3, last) * lda;
        int a4 = ao + Math.min(4, last) * lda, a5 = ao + Math.min(5, last) * lda, a6 = ao + Math.min(6, last) * lda;
        int a7 = ao + Math.min(7, last) * lda;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        FloatVector c50 = MR >= 6 ? c00 : null, c51 = c50;             // dead rows null: see microKernel
        FloatVector c60 = MR == 8 ? c00 : null, c61 = c60, c70 = c60, c71 = c60;
        for (int p = 0, bp = bo; p < kc; p++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                x = FloatVector.broadcast(S, a[a5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                x = FloatVector.broadcast(S, a[a6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, a[a7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            }
        }
        if (!add) {
            c00.intoArray(c, co); c01.intoArray(c, co + L);
            c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L);
            c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
            c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
            c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
                c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
            }
            return;
        }
        int at;
        at = co; c00.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c01.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + ldc; c10.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c11.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + 2 * ldc; c20.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c21.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + 3 * ldc; c30.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c31.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        at = co + 4 * ldc; c40.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c41.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        if (MR >= 6) {   // row 5: folded away where MR is 5
            at = co + 5 * ldc; c50.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c51.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        }
        if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
            at = co + 6 * ldc; c60.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c61.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
            at = co + 7 * ldc; c70.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c71.add(FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
        }
    }

    /** Packs im2col rows [pc, pc + kc) × output pixels [j0, j0 + NR) of one NCHW image and group as [p][NR]. */
    private static final class StripPacker {
        private final float[] in;
        private final int c, h, w, r, s, p, q, cpg, sh, sw, dh, dw, pt, pl;
        private final boolean contiguous;   // stride 1 along x: runs of input are runs of output

        StripPacker(Conv2dGeometry g, float[] in) {
            this.in = in;
            c = g.c(); h = g.h(); w = g.w(); r = g.r(); s = g.s(); p = g.p(); q = g.q(); cpg = g.channelsPerGroup();
            sh = g.strideH(); sw = g.strideW(); dh = g.dilationH(); dw = g.dilationW(); pt = g.padTop(); pl = g.padLeft();
            contiguous = sw == 1;
        }

        void pack(int image, int grp, int pc, int kc, int j0, float[] dst, int dstOff) {
            int pq = p * q, cols = Math.min(NR, pq - j0);
            int plane = h * w;
            int imageBase = (image * c + grp * cpg) * plane;
            int rs = r * s;
            int ch = pc / rs, rr = (pc / s) % r, ss = pc % s;
            for (int pp = 0; pp < kc; pp++) {
                int o = dstOff + pp * NR;
                int base = imageBase + ch * plane;
                int dy = rr * dh - pt, dx = ss * dw - pl;
                int oy = j0 / q, ox = j0 % q;
                int j = 0;
                while (j < cols) {
                    int run = Math.min(cols - j, q - ox);
                    int y = oy * sh + dy;
                    if (y < 0 || y >= h) {
                        java.util.Arrays.fill(dst, o + j, o + j + run, 0f);
                    } else {
                        int row = base + y * w;
                        if (contiguous) {
                            int x0 = ox + dx;                                  // input x of the run's first pixel
                            int lo = Math.max(0, -x0), hi = Math.min(run, w - x0); // [lo, hi): inside the image
                            if (hi <= lo) {
                                java.util.Arrays.fill(dst, o + j, o + j + run, 0f);
                            } else {
                                if (lo > 0) java.util.Arrays.fill(dst, o + j, o + j + lo, 0f);
                                System.arraycopy(in, row + x0 + lo, dst, o + j + lo, hi - lo);
                                if (hi < run) java.util.Arrays.fill(dst, o + j + hi, o + j + run, 0f);
                            }
                        } else {
                            for (int t = 0; t < run; t++) {
                                int x = (ox + t) * sw + dx;
                                dst[o + j + t] = x >= 0 && x < w ? in[row + x] : 0f;
                            }
                        }
                    }
                    j += run;
                    ox = 0;
                    oy++;
                }
                if (cols < NR) java.util.Arrays.fill(dst, o + cols, o + NR, 0f);
                if (++ss == s) { ss = 0; if (++rr == r) { rr = 0; ch++; } }
            }
        }
    }

    // ------------------------------------- NCHW late layers: vectors along the filters (AVX-512)

    /** Output pixels per register tile of {@link #filterVectorNchw}: one row's run of 7, which divides every map width of a 224² network (7, 14, 28, 56). */
    static final int ROW_TILE = 7;

    /**
     * Whether {@link #filterVectorNchw} takes an NCHW conv that the implicit path does not: groups 1,
     * stride 1 along x, R·S &gt; 1, 32 vector registers (its 14 accumulators), and its pixel tiles
     * (runs of 7 within a row) wasting at least a twentieth less than the strips (runs of NR over
     * the whole map). A 7×7 map uses 49 of the strips' 64 lanes, all 49 of its tiles' (ResNet's
     * last stage, 1×512×7×7 3×3, on one Zen 4 core: the strips took 3.7-4.3 ms).
     */
    static boolean filterVectorApplies(Conv2dGeometry g) {
        if (MR != 8 || L != 16 || g.groups() != 1 || g.layout() != Layout.NCHW || g.strideW() != 1 || g.r() * g.s() == 1) return false;
        if (NCHW_PATH.equals("packed") || NCHW_PATH.equals("implicit")) return false;
        // Its zero-padded input, n·c·hp·wp floats, indexed by int.
        long planes = (long) g.n() * g.c() * filterVectorPaddedRows(g) * filterVectorPaddedWidth(g);
        if (planes + NR > (1L << 28)) return false;
        if (NCHW_PATH.equals("filters")) return true;
        long q = g.q(), pq = (long) g.p() * g.q();
        long tileLanes = ROW_TILE * (long) ceilDiv(q, ROW_TILE), stripLanes = (long) NR * ceilDiv(pq, NR);
        // q / tileLanes ≥ 1.05 · pq / stripLanes, and filters long enough that transposing them
        // (one load and one store per float) stays small beside their n·P·Q FMAs each.
        return 20 * q * stripLanes >= 21 * pq * tileLanes && (long) g.n() * pq >= 36 && g.k() >= NR;
    }

    private static int filterVectorPaddedWidth(Conv2dGeometry g) {
        // A tile's 7 pixels read 7 + (S − 1)·dw columns from its start; the last tile of a row starts
        // at most at Q − 1 (its pixels past the row read columns never stored).
        return ceilDiv(g.q(), ROW_TILE) * ROW_TILE + (g.s() - 1) * g.dilationW();
    }

    private static int filterVectorPaddedRows(Conv2dGeometry g) {
        return (g.p() - 1) * g.strideH() + (g.r() - 1) * g.dilationH() + 1;
    }

    /**
     * C[pixels, filters] = im2col[pixels, C·R·S] · filtersᵀ per image, the vectors along the filters:
     * each register tile is 7 output pixels of one row × NR filters (14 accumulators), over the whole
     * reduction. A(pixel, tap) is broadcast straight from a zero-padded copy of the input (7
     * consecutive floats from one index per tap: no im2col), B(tap, filter) is read from the filters
     * transposed to [tap][NR] panels, one per task of NR filters, packed by that task (C·R·S·NR
     * floats, 590 KB at 512 channels 3×3: L2) just before its tiles read it, or taken from the
     * {@link FilterCache} when the same unchanged filters were transposed before. Each tile goes
     * through a small [pixel][NR] buffer into the output with its bias; the activation then runs over
     * the task's block of each image (NR·P·Q contiguous floats, in L1).
     */
    private static void filterVectorNchw(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act,
                                         float[] out, WorkerPool exec, HeapStorage filters, FilterCache cache) {
        int n = g.n(), c = g.c(), h = g.h(), wd = g.w(), k = g.k(), r = g.r(), s = g.s(), p = g.p(), q = g.q();
        int crs = c * r * s, pq = p * q, sh = g.strideH(), dh = g.dilationH(), dw = g.dilationW();
        int hp = filterVectorPaddedRows(g), wp = filterVectorPaddedWidth(g), plane = hp * wp;
        int padT = g.padTop(), padL = g.padLeft();
        float[] padded = new float[n * c * plane + NR];
        GemmKernel.run(exec, n * c, t -> {
            int src = t * h * wd, dst = t * plane;
            for (int yp = 0; yp < hp; yp++) {
                int y = yp - padT;
                if (y < 0 || y >= h) continue;
                int x0 = Math.max(0, -padL), x1 = Math.min(wd, wp - padL);   // input columns that land in the plane
                if (x1 > x0) System.arraycopy(in, src + y * wd + x0, padded, dst + yp * wp + x0 + padL, x1 - x0);
            }
        });
        int[] tap = new int[crs];   // offset of tap (c, r, s) from a tile's first pixel
        for (int ch = 0, t = 0; ch < c; ch++) {
            for (int rr = 0; rr < r; rr++) {
                for (int ss = 0; ss < s; ss++, t++) tap[t] = ch * plane + rr * dh * wp + ss * dw;
            }
        }
        int kBlocks = ceilDiv(k, NR), rowTiles = ceilDiv(q, ROW_TILE);
        long version = filters != null ? filters.version() : 0;
        float[] cached = filters != null ? cache.get(filters, version, k, crs) : null;
        boolean keep = filters != null && cached == null && (long) kBlocks * crs * NR <= FilterCache.MAX_FLOATS;
        float[] panels = cached != null ? cached : keep ? new float[kBlocks * crs * NR] : null;
        GemmKernel.run(exec, kBlocks, kb -> {
            int k0 = kb * NR, rows = Math.min(NR, k - k0);
            float[] wt = panels != null ? panels : kept(1, crs * NR);
            int wo = panels != null ? kb * crs * NR : 0;
            if (cached == null) transposeFilters(w, k0, rows, crs, wt, wo);
            float[] tile = kept(2, ROW_TILE * NR);
            for (int image = 0; image < n; image++) {
                int block = (image * k + k0) * pq;   // the task's filters: rows·pq contiguous floats of the output
                for (int oy = 0; oy < p; oy++) {
                    for (int tx = 0; tx < rowTiles; tx++) {
                        int ox = tx * ROW_TILE, pix = Math.min(ROW_TILE, q - ox);
                        microKernelFilterVectors(padded, image * c * plane + oy * sh * wp + ox, tap, crs, wt, wo, tile);
                        int o = block + oy * q + ox;
                        for (int f = 0; f < rows; f++) {
                            float add = bias != null ? bias[k0 + f] : 0f;
                            for (int i = 0; i < pix; i++) out[o + f * pq + i] = tile[i * NR + f] + add;
                        }
                    }
                }
                // The activation over the whole block at once, while it is in L1 (per filter row, or
                // through the GEMM epilogue's 16-aligned rows, it cost the fused conv 5 % over conv
                // then the activation with GELU).
                if (!act.isIdentity()) ActivationRanges.forward(act, out, out, block, block + rows * pq, true);
            }
        });
        if (keep) cache.put(filters, version, k, crs, panels);
    }

    /**
     * Filters k0 … k0 + rows − 1 as one [tap][NR] panel at wt[wo …] (filters past them zero):
     * 16 × 16 blocks in registers, the last taps and a short last block one float at a time.
     */
    private static void transposeFilters(float[] w, int k0, int rows, int crs, float[] wt, int wo) {
        int t16 = rows == NR ? crs / L * L : 0;
        for (int half = 0; half < NR; half += L) {
            for (int t0 = 0; t0 < t16; t0 += L) transpose16(w, (k0 + half) * crs + t0, crs, wt, wo + t0 * NR + half);
        }
        if (t16 < crs) {
            for (int f = 0; f < NR; f++) {
                int src = (k0 + f) * crs;
                for (int t = t16; t < crs; t++) wt[wo + t * NR + f] = f < rows ? w[src + t] : 0f;
            }
        }
    }

    // The lane rotations and upper-half masks of transpose16's four stages (blocks of 1, 2, 4, 8 lanes).
    @SuppressWarnings("unchecked")
    private static final jdk.incubator.vector.VectorShuffle<Float>[] UP = new jdk.incubator.vector.VectorShuffle[4], DOWN = new jdk.incubator.vector.VectorShuffle[4];
    @SuppressWarnings("unchecked")
    private static final jdk.incubator.vector.VectorMask<Float>[] HI = new jdk.incubator.vector.VectorMask[4];
    static {
        if (L == 16) {
            for (int st = 1, b = 0; st < 16; st *= 2, b++) {
                int[] u = new int[16], d = new int[16];
                boolean[] m = new boolean[16];
                for (int l = 0; l < 16; l++) { u[l] = (l - st) & 15; d[l] = (l + st) & 15; m[l] = (l & st) != 0; }
                UP[b] = jdk.incubator.vector.VectorShuffle.fromArray(S, u, 0);
                DOWN[b] = jdk.incubator.vector.VectorShuffle.fromArray(S, d, 0);
                HI[b] = jdk.incubator.vector.VectorMask.fromArray(S, m, 0);
            }
        }
    }

    /**
     * dst[d + t·NR + f] = w[src + f·ld + t] for a 16 × 16 block (16 filters' 16 taps): sixteen row
     * loads, the off-diagonal blocks of 8, 4, 2 and 1 swapped in registers (one lane rotation and
     * one blend per vector and stage), sixteen stores. Element by element the transposition took
     * 0.8-1.6 ns a float on a Zen 4 core (a strided store each), as long as the conv; this 0.45.
     */
    private static void transpose16(float[] w, int src, int ld, float[] dst, int d) {
        FloatVector v0=FloatVector.fromArray(S,w,src),v1=FloatVector.fromArray(S,w,src+ld),v2=FloatVector.fromArray(S,w,src+2*ld),v3=FloatVector.fromArray(S,w,src+3*ld),
          v4=FloatVector.fromArray(S,w,src+4*ld),v5=FloatVector.fromArray(S,w,src+5*ld),v6=FloatVector.fromArray(S,w,src+6*ld),v7=FloatVector.fromArray(S,w,src+7*ld),
          v8=FloatVector.fromArray(S,w,src+8*ld),v9=FloatVector.fromArray(S,w,src+9*ld),va=FloatVector.fromArray(S,w,src+10*ld),vb=FloatVector.fromArray(S,w,src+11*ld),
          vc=FloatVector.fromArray(S,w,src+12*ld),vd=FloatVector.fromArray(S,w,src+13*ld),ve=FloatVector.fromArray(S,w,src+14*ld),vf=FloatVector.fromArray(S,w,src+15*ld);
        FloatVector t;
        jdk.incubator.vector.VectorShuffle<Float> u; jdk.incubator.vector.VectorShuffle<Float> dn; jdk.incubator.vector.VectorMask<Float> m;
        u=UP[3]; dn=DOWN[3]; m=HI[3];
        t=v0.blend(v8.rearrange(u),m); v8=v0.rearrange(dn).blend(v8,m); v0=t;
        t=v1.blend(v9.rearrange(u),m); v9=v1.rearrange(dn).blend(v9,m); v1=t;
        t=v2.blend(va.rearrange(u),m); va=v2.rearrange(dn).blend(va,m); v2=t;
        t=v3.blend(vb.rearrange(u),m); vb=v3.rearrange(dn).blend(vb,m); v3=t;
        t=v4.blend(vc.rearrange(u),m); vc=v4.rearrange(dn).blend(vc,m); v4=t;
        t=v5.blend(vd.rearrange(u),m); vd=v5.rearrange(dn).blend(vd,m); v5=t;
        t=v6.blend(ve.rearrange(u),m); ve=v6.rearrange(dn).blend(ve,m); v6=t;
        t=v7.blend(vf.rearrange(u),m); vf=v7.rearrange(dn).blend(vf,m); v7=t;
        u=UP[2]; dn=DOWN[2]; m=HI[2];
        t=v0.blend(v4.rearrange(u),m); v4=v0.rearrange(dn).blend(v4,m); v0=t;
        t=v1.blend(v5.rearrange(u),m); v5=v1.rearrange(dn).blend(v5,m); v1=t;
        t=v2.blend(v6.rearrange(u),m); v6=v2.rearrange(dn).blend(v6,m); v2=t;
        t=v3.blend(v7.rearrange(u),m); v7=v3.rearrange(dn).blend(v7,m); v3=t;
        t=v8.blend(vc.rearrange(u),m); vc=v8.rearrange(dn).blend(vc,m); v8=t;
        t=v9.blend(vd.rearrange(u),m); vd=v9.rearrange(dn).blend(vd,m); v9=t;
        t=va.blend(ve.rearrange(u),m); ve=va.rearrange(dn).blend(ve,m); va=t;
        t=vb.blend(vf.rearrange(u),m); vf=vb.rearrange(dn).blend(vf,m); vb=t;
        u=UP[1]; dn=DOWN[1]; m=HI[1];
        t=v0.blend(v2.rearrange(u),m); v2=v0.rearrange(dn).blend(v2,m); v0=t;
        t=v1.blend(v3.rearrange(u),m); v3=v1.rearrange(dn).blend(v3,m); v1=t;
        t=v4.blend(v6.rearrange(u),m); v6=v4.rearrange(dn).blend(v6,m); v4=t;
        t=v5.blend(v7.rearrange(u),m); v7=v5.rearrange(dn).blend(v7,m); v5=t;
        t=v8.blend(va.rearrange(u),m); va=v8.rearrange(dn).blend(va,m); v8=t;
        t=v9.blend(vb.rearrange(u),m); vb=v9.rearrange(dn).blend(vb,m); v9=t;
        t=vc.blend(ve.rearrange(u),m); ve=vc.rearrange(dn).blend(ve,m); vc=t;
        t=vd.blend(vf.rearrange(u),m); vf=vd.rearrange(dn).blend(vf,m); vd=t;
        u=UP[0]; dn=DOWN[0]; m=HI[0];
        t=v0.blend(v1.rearrange(u),m); v1=v0.rearrange(dn).blend(v1,m); v0=t;
        t=v2.blend(v3.rearrange(u),m); v3=v2.rearrange(dn).blend(v3,m); v2=t;
        t=v4.blend(v5.rearrange(u),m); v5=v4.rearrange(dn).blend(v5,m); v4=t;
        t=v6.blend(v7.rearrange(u),m); v7=v6.rearrange(dn).blend(v7,m); v6=t;
        t=v8.blend(v9.rearrange(u),m); v9=v8.rearrange(dn).blend(v9,m); v8=t;
        t=va.blend(vb.rearrange(u),m); vb=va.rearrange(dn).blend(vb,m); va=t;
        t=vc.blend(vd.rearrange(u),m); vd=vc.rearrange(dn).blend(vd,m); vc=t;
        t=ve.blend(vf.rearrange(u),m); vf=ve.rearrange(dn).blend(vf,m); ve=t;
        v0.intoArray(dst,d); v1.intoArray(dst,d+NR); v2.intoArray(dst,d+2*NR); v3.intoArray(dst,d+3*NR);
        v4.intoArray(dst,d+4*NR); v5.intoArray(dst,d+5*NR); v6.intoArray(dst,d+6*NR); v7.intoArray(dst,d+7*NR);
        v8.intoArray(dst,d+8*NR); v9.intoArray(dst,d+9*NR); va.intoArray(dst,d+10*NR); vb.intoArray(dst,d+11*NR);
        vc.intoArray(dst,d+12*NR); vd.intoArray(dst,d+13*NR); ve.intoArray(dst,d+14*NR); vf.intoArray(dst,d+15*NR);
    }
    /**
     * One tile of {@link #filterVectorNchw}: C(i, f) = Σ_t x[xo + tap[t] + i]·wt[t·NR + f] for the
     * 7 pixels i and NR filters f, written to tile[i·NR + f]. Per tap: two vector loads of filters,
     * seven broadcasts from consecutive floats (one index register), fourteen FMAs. Written out, as
     * the other micro-kernels: a helper taking vectors would box them.
     */
    private static void microKernelFilterVectors(float[] x, int xo, int[] tap, int taps, float[] wt, int wo0, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
        for (int t = 0, wo = wo0; t < taps; t++, wo += NR) {
            int b = xo + tap[t];
            FloatVector w0 = FloatVector.fromArray(S, wt, wo), w1 = FloatVector.fromArray(S, wt, wo + L);
            FloatVector v;
            v = FloatVector.broadcast(S, x[b]); c00 = v.fma(w0, c00); c01 = v.fma(w1, c01);
            v = FloatVector.broadcast(S, x[b + 1]); c10 = v.fma(w0, c10); c11 = v.fma(w1, c11);
            v = FloatVector.broadcast(S, x[b + 2]); c20 = v.fma(w0, c20); c21 = v.fma(w1, c21);
            v = FloatVector.broadcast(S, x[b + 3]); c30 = v.fma(w0, c30); c31 = v.fma(w1, c31);
            v = FloatVector.broadcast(S, x[b + 4]); c40 = v.fma(w0, c40); c41 = v.fma(w1, c41);
            v = FloatVector.broadcast(S, x[b + 5]); c50 = v.fma(w0, c50); c51 = v.fma(w1, c51);
            v = FloatVector.broadcast(S, x[b + 6]); c60 = v.fma(w0, c60); c61 = v.fma(w1, c61);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR); c61.intoArray(tile, 6 * NR + L);
    }

    // ------------------------------------------------ NCHW implicit GEMM (first layers, long rows)

    /**
     * Implicit GEMM, no im2col packing at all: each image is copied once into zero-padded planes,
     * split by stride phase (plane φ holds padded columns φ, φ + sw, φ + 2sw, …), so every filter tap
     * (c, r, s) reads NR contiguous floats of one output row at a fixed offset. The micro-kernel
     * (MR filters × NR pixels of a row, the same 2·MR vector accumulators) takes its B vectors straight
     * from those planes through a table of tap offsets, over the whole reduction in registers. For
     * first layers (C·R·S of 9 to a few hundred) packing a strip cost more than its FMAs; for 3×3
     * layers with long rows it cost about as much (one copy per tap and strip).
     */
    private static void implicitNchw(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act,
                                      float[] out, WorkerPool exec, int threads) {
        int c = g.c(), h = g.h(), wd = g.w(), k = g.k(), r = g.r(), s = g.s(), p = g.p(), q = g.q();
        int sh = g.strideH(), sw = g.strideW(), dh = g.dilationH(), dw = g.dilationW();
        int crs = c * r * s, pq = p * q;
        int tiles = ceilDiv(q, NR), qv = tiles * NR;
        // Longer reductions keep the accumulator: with 3×3 over 64+ channels the FMAs hide the
        // round trip (storing straight into the output measured 0-15 % slower there on 2 threads).
        boolean direct = crs <= DIRECT_STORE_TAPS && tiles * NR <= 2 * q;
        // Stride 1 through the accumulator: tiles run over the task's rows back to back in planes
        // exactly as wide as the filters read (Q + S − 1), not one set of tiles per row, so a row of
        // 56 costs 58 lanes, not 64 (28: 30, not 32). The accumulator rows are compacted to Q
        // per output row before the epilogue.
        boolean flat = !direct && sh == 1 && sw == 1;
        int wq = flat ? q + (s - 1) * dw : qv + ((s - 1) * dw) / sw + 1;   // columns per phase plane
        // Each task pads (R − 1)·dh + 1 − sh input rows more than its share: first layers take four
        // tasks per thread (the 7×7/2 stem at eight measured 10-15 % slower: a third more rows),
        // others eight (4×128×28×28 3×3 measured 6 % slower at four: larger planes), or four where
        // flat tiles over longer tasks save a twentieth of the tiles (1×64×56×56 3×3 on 2 threads:
        // 3-row tasks take 6 tiles flat or not, 7-row tasks 13 instead of 14).
        long perThread = c <= SMALL_C ? 4 : 8;
        if (flat && perThread == 8 && 20 * flatTileCount(g, 4 * threads, wq) < 19 * flatTileCount(g, 8 * threads, wq)) perThread = 4;
        int rowsPer = rowsPerTask(g, perThread * threads);
        int rowBlocks = ceilDiv(p, rowsPer);
        int kBlocks = ceilDiv(k, MR);
        // Each task pads only the input rows its output rows read: hl rows per plane.
        int hl = (rowsPer - 1) * sh + (r - 1) * dh + 1;
        int planeSize = hl * wq, localSize = c * sw * planeSize + NR;
        int[] tap = new int[crs];                                   // offset of tap (c, r, s) from a row's start
        for (int ch = 0, t = 0; ch < c; ch++) {
            for (int rr = 0; rr < r; rr++) {
                for (int ss = 0; ss < s; ss++, t++) {
                    int x = ss * dw;
                    tap[t] = (ch * sw + x % sw) * planeSize + rr * dh * wq + x / sw;
                }
            }
        }
        // The filters as MR-row panels [kb][tap][MR] (rows past K zero), packed once per call: the
        // micro-kernels then broadcast MR consecutive floats from one index. Read in place, the MR
        // row pointers were more than the x86 integer registers (C2 kept some on the stack and spent
        // about three integer instructions per broadcast; 3×3 layers on one Zen 2 core measured
        // 50 against 63 GFLOP/s). K·C·R·S floats, small beside the conv.
        float[] wp = new float[kBlocks * crs * MR];
        for (int f = 0; f < k; f++) {
            int dst = (f / MR) * crs * MR + f % MR, src = f * crs;
            for (int t = 0; t < crs; t++) wp[dst + t * MR] = w[src + t];
        }
        int rem = q % NR;
        boolean half = rem > 0 && rem <= VectorGemmKernel.S.length();
        int full = half ? tiles - 1 : tiles, xo = full * NR;
        GemmKernel.run(exec, g.n() * rowBlocks, t -> {
            int image = t / rowBlocks, oy0 = (t % rowBlocks) * rowsPer, oy1 = Math.min(p, oy0 + rowsPer);
            // The task's padded planes in the worker's kept buffer, zeroed here (the padding must
            // read 0): a fresh array per task (86 KB for a 56×56×64 layer) was zeroed by the JVM
            // as well, in memory new to the cache, and made most of the CPU backend's garbage.
            float[] pl = kept(1, localSize);
            java.util.Arrays.fill(pl, 0, localSize, 0f);
            int yp0 = oy0 * sh;
            for (int ch = 0; ch < c; ch++) {
                int src = (image * c + ch) * h * wd;
                for (int yl = 0; yl < hl; yl++) {
                    int y = yp0 + yl - g.padTop();
                    if (y < 0 || y >= h) continue;
                    int rowSrc = src + y * wd;
                    if (sw == 1) {
                        int n = Math.min(wd, wq - g.padLeft());
                        if (n > 0) System.arraycopy(in, rowSrc, pl, ch * planeSize + yl * wq + g.padLeft(), n);
                    } else {
                        // Phase by phase (padded column xp = x + padLeft goes to plane xp % sw at xp / sw):
                        // no division per element, which took a quarter of the 7×7/2 stem (JFR).
                        int padL = g.padLeft();
                        for (int ph = 0; ph < sw; ph++) {
                            int x = Math.floorMod(ph - padL, sw);
                            int dst = (ch * sw + ph) * planeSize + yl * wq, xq = (x + padL) / sw;
                            for (; x < wd && xq < wq; x += sw, xq++) pl[dst + xq] = in[rowSrc + x];
                        }
                    }
                }
            }
            // One tile per MR filters covers all the task's output rows, laid out as the output
            // stores them (row oy at (oy − oy0)·q): a tile's NR lanes past the end of a row spill
            // into the next row's start, which that row's own tile then overwrites (rows in order),
            // so the tile goes out in one contiguous copy per filter, not one per output row.
            int span = (oy1 - oy0) * q, tileRows = oy1 - oy0;
            int flatTiles = flat ? flatTiles(tileRows, wq, q) : 0;
            int ldc = flat ? flatTiles * NR : roundUp(span + NR, NR);   // flat tiles end past the last row, never spill
            float[] acc = kept(0, MR * ldc);
            GemmKernel.Epilogue e = new GemmKernel.Epilogue(out, image * k * pq, pq, 1, 1f, 0f, bias, 0, true, act, true);
            for (int kb = 0; kb < kBlocks; kb++) {
                int k0 = kb * MR, rows = Math.min(MR, k - k0);
                if (direct && rows == MR) {
                    // Straight into the output, bias added in registers: with 9 to 147 taps the
                    // tile's trips through the accumulator (store, + bias, copy out) cost about as
                    // much as its FMAs. Only the last row's spill would cross into another task's
                    // rows: that row goes through acc (a spill reaches at most one row: NR·tiles ≤ 2q).
                    // A row's last ≤ half tile (112 = 3.5 tiles in the 224² stem) goes through the
                    // one-vector kernel, before the full tiles, which overwrite its spill.
                    int o = (image * k + k0) * pq + oy0 * q, ao = kb * crs * MR, last = (tileRows - 1) * sh * wq;
                    if (tileRows > 1) {
                        if (half) microKernelTapsHalf(wp, ao, pl, xo, tap, out, o + xo, pq, tileRows - 1, sh * wq, q, bias, k0);
                        if (full > 0) microKernelTapsBias(wp, ao, pl, 0, tap, out, o, pq, tileRows - 1, full, sh * wq, q, bias, k0);
                    }
                    if (half) microKernelTapsHalf(wp, ao, pl, last + xo, tap, acc, xo, ldc, 1, 0, 0, bias, k0);
                    if (full > 0) microKernelTapsBias(wp, ao, pl, last, tap, acc, 0, ldc, 1, full, 0, 0, bias, k0);
                    for (int f = 0; f < MR; f++) {
                        System.arraycopy(acc, f * ldc, out, o + f * pq + (tileRows - 1) * q, q);
                        if (!act.isIdentity() && span < pq) ActivationRanges.forward(act, out, out, o + f * pq, o + f * pq + span, true);
                    }
                    continue;
                }
                if (flat) {
                    microKernelTaps(wp, kb * crs * MR, pl, tap, acc, ldc, 1, flatTiles, 0, 0);
                    for (int f = 0; f < rows; f++) {   // row y from y·(Q + S − 1) to y·Q (in order: no overlap)
                        for (int y = 1; y < tileRows; y++) System.arraycopy(acc, f * ldc + y * wq, acc, f * ldc + y * q, q);
                    }
                } else {
                    microKernelTaps(wp, kb * crs * MR, pl, tap, acc, ldc, tileRows, tiles, sh * wq, q);
                }
                e.storeTile(k0, rows, oy0 * q, span, acc, ldc);
            }
            if (direct && span == pq && !act.isIdentity() && k >= MR) {
                // A task holding whole images (first layers at batch > 1): one activation call over
                // all its full MR-filter blocks, not one per filter (2048 calls of 676 floats made
                // the fused ReLU of 64×1×28×28 cost as much as a pass over memory).
                int o = image * k * pq;
                ActivationRanges.forward(act, out, out, o, o + k / MR * MR * pq, true);
            }
        });
    }

    /** Output rows per task of {@link #implicitNchw} for about {@code tasks} tasks (whole images' rows split evenly). */
    private static int rowsPerTask(Conv2dGeometry g, long tasks) {
        return Math.max(1, (int) Math.min(g.p(), (long) g.n() * g.p() / tasks));
    }

    /** NR-wide tiles covering {@code rows} output rows of q pixels laid back to back in planes wq wide. */
    private static int flatTiles(int rows, int wq, int q) { return ceilDiv((long) (rows - 1) * wq + q, NR); }

    /** The flat tiles all of {@link #implicitNchw}'s tasks compute with about {@code tasks} tasks and planes wq wide. */
    private static long flatTileCount(Conv2dGeometry g, long tasks, int wq) {
        int rowsPer = rowsPerTask(g, tasks), p = g.p(), q = g.q(), rest = p % rowsPer;
        long perImage = (long) (p / rowsPer) * flatTiles(rowsPer, wq, q) + (rest > 0 ? flatTiles(rest, wq, q) : 0);
        return g.n() * perImage;
    }

    /**
     * The micro-kernel's MR × NR tile with B read through tap offsets: B(t, j) = b[bo + tap[t] + j];
     * A(r, t) = a[ao + t·MR + r], the filters packed as MR-row panels (rows past K zero). Stores (not
     * adds) every tile of {@code tileRows} output rows × {@code tiles} tiles per row (tile (y, x): B
     * at y·bRow + x·NR, C at y·cRow + x·NR), one {@link #tapTile} call each.
     */
    private static void microKernelTaps(float[] a, int ao, float[] b, int[] tap, float[] c, int ldc,
                                        int tileRows, int tiles, int bRow, int cRow) {
        for (int ty = 0; ty < tileRows; ty++) {
            for (int tx = 0; tx < tiles; tx++) tapTile(a, ao, b, ty * bRow + tx * NR, tap, c, ty * cRow + tx * NR, ldc);
        }
    }

    /**
     * One tile of {@link #microKernelTaps}, in a method of its own as {@link VectorGemmKernel#microKernel}
     * is: no values of the tile loops stay live (and compete for the 16 AVX2 registers) around its loop.
     */
    private static void tapTile(float[] a, int ao, float[] b, int bo, int[] tap, float[] c, int co, int ldc) {
        final int kc = tap.length;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        FloatVector c50 = MR >= 6 ? c00 : null, c51 = c50;             // dead rows null: see microKernel
        FloatVector c60 = MR == 8 ? c00 : null, c61 = c60, c70 = c60, c71 = c60;
        for (int ai = ao, aEnd = ao + kc * MR, p = 0; ai < aEnd; ai += MR, p++) {
            int at = bo + tap[p];
            FloatVector b0 = FloatVector.fromArray(S, b, at), b1 = FloatVector.fromArray(S, b, at + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                x = FloatVector.broadcast(S, a[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                x = FloatVector.broadcast(S, a[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, a[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            }
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
        if (MR >= 6) {   // row 5: folded away where MR is 5
            c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
        }
        if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
            c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
            c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
        }
    }

    /**
     * {@link #microKernelTaps} for a full block of MR filters, B from {@code bBase}, C from
     * {@code cBase}, adding bias[biasOff + r] to row r (when not null) before the store. A method of
     * its own: with the extra arguments in {@link #microKernelTaps} itself, 2-thread 3×3 layers on
     * the accumulator path measured 10-15 % slower (more values live across its loop nest).
     */
    private static void microKernelTapsBias(float[] a, int ao, float[] b, int bBase, int[] tap, float[] c,
                                            int cBase, int ldc, int tileRows, int tiles, int bRow, int cRow, float[] bias,
                                            int biasOff) {
        if (tap.length >= LONG_TAPS) {
            for (int ty = 0; ty < tileRows; ty++) {
                for (int tx = 0; tx < tiles; tx++) {
                    tapTileBias(a, ao, b, bBase + ty * bRow + tx * NR, tap, c, cBase + ty * cRow + tx * NR, ldc, bias, biasOff);
                }
            }
            return;
        }
        final int kc = tap.length;
        for (int ty = 0; ty < tileRows; ty++) {
            for (int tx = 0; tx < tiles; tx++) {
                int bo = bBase + ty * bRow + tx * NR, co = cBase + ty * cRow + tx * NR;
                FloatVector c00 = FloatVector.fromArray(S, ZEROS, 0), c01 = c00, c10 = c00, c11 = c00;
                FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
                FloatVector c50 = MR >= 6 ? c00 : null, c51 = c50;             // dead rows null: see microKernel
                FloatVector c60 = MR == 8 ? c00 : null, c61 = c60, c70 = c60, c71 = c60;
                for (int ai = ao, aEnd = ao + kc * MR, p = 0; ai < aEnd; ai += MR, p++) {
                    int at = bo + tap[p];
                    FloatVector b0 = FloatVector.fromArray(S, b, at), b1 = FloatVector.fromArray(S, b, at + L);
                    FloatVector x;
                    x = FloatVector.broadcast(S, a[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
                    x = FloatVector.broadcast(S, a[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
                    x = FloatVector.broadcast(S, a[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
                    x = FloatVector.broadcast(S, a[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
                    x = FloatVector.broadcast(S, a[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
                    if (MR >= 6) {   // row 5: folded away where MR is 5
                        x = FloatVector.broadcast(S, a[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
                    }
                    if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                        x = FloatVector.broadcast(S, a[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                        x = FloatVector.broadcast(S, a[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
                    }
                }
                if (bias != null) {
                    FloatVector x;
                    x = FloatVector.broadcast(S, bias[biasOff]); c00 = c00.add(x); c01 = c01.add(x);
                    x = FloatVector.broadcast(S, bias[biasOff + 1]); c10 = c10.add(x); c11 = c11.add(x);
                    x = FloatVector.broadcast(S, bias[biasOff + 2]); c20 = c20.add(x); c21 = c21.add(x);
                    x = FloatVector.broadcast(S, bias[biasOff + 3]); c30 = c30.add(x); c31 = c31.add(x);
                    x = FloatVector.broadcast(S, bias[biasOff + 4]); c40 = c40.add(x); c41 = c41.add(x);
                    if (MR >= 6) {   // row 5: folded away where MR is 5
                        x = FloatVector.broadcast(S, bias[biasOff + 5]); c50 = c50.add(x); c51 = c51.add(x);
                    }
                    if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                        x = FloatVector.broadcast(S, bias[biasOff + 6]); c60 = c60.add(x); c61 = c61.add(x);
                        x = FloatVector.broadcast(S, bias[biasOff + 7]); c70 = c70.add(x); c71 = c71.add(x);
                    }
                }
                c00.intoArray(c, co); c01.intoArray(c, co + L);
                c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L);
                c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
                c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
                c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
                if (MR >= 6) {   // row 5: folded away where MR is 5
                    c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
                }
                if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                    c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
                    c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
                }
            }
        }
    }

    /**
     * Reductions from which {@link #microKernelTapsBias} calls {@link #tapTileBias} per tile; shorter
     * ones (a 3×3 first layer: 9 taps) run the tile loops and the reduction in one method, where a
     * call per tile cost a third of the 64×1×28×28 conv (measured 16 against 25 GFLOP/s, one Zen 2 core).
     * So the short path repeats {@link #tapTileBias}'s body inside the tile loops, on purpose.
     */
    private static final int LONG_TAPS = 32;

    /**
     * One tile of {@link #microKernelTapsBias}, a method of its own for the reason {@link #tapTile} is:
     * with the tile loops around it, C2 kept two of the 7×7/2 stem's accumulators on the stack,
     * added to in memory on every step (38 GFLOP/s on one Zen 2 core).
     */
    private static void tapTileBias(float[] a, int ao, float[] b, int bo, int[] tap, float[] c, int co, int ldc,
                                    float[] bias, int biasOff) {
        final int kc = tap.length;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        FloatVector c50 = MR >= 6 ? c00 : null, c51 = c50;             // dead rows null: see microKernel
        FloatVector c60 = MR == 8 ? c00 : null, c61 = c60, c70 = c60, c71 = c60;
        for (int ai = ao, aEnd = ao + kc * MR, p = 0; ai < aEnd; ai += MR, p++) {
            int at = bo + tap[p];
            FloatVector b0 = FloatVector.fromArray(S, b, at), b1 = FloatVector.fromArray(S, b, at + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                x = FloatVector.broadcast(S, a[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                x = FloatVector.broadcast(S, a[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, a[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            }
        }
        if (bias != null) {
            FloatVector x;
            x = FloatVector.broadcast(S, bias[biasOff]); c00 = c00.add(x); c01 = c01.add(x);
            x = FloatVector.broadcast(S, bias[biasOff + 1]); c10 = c10.add(x); c11 = c11.add(x);
            x = FloatVector.broadcast(S, bias[biasOff + 2]); c20 = c20.add(x); c21 = c21.add(x);
            x = FloatVector.broadcast(S, bias[biasOff + 3]); c30 = c30.add(x); c31 = c31.add(x);
            x = FloatVector.broadcast(S, bias[biasOff + 4]); c40 = c40.add(x); c41 = c41.add(x);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                x = FloatVector.broadcast(S, bias[biasOff + 5]); c50 = c50.add(x); c51 = c51.add(x);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                x = FloatVector.broadcast(S, bias[biasOff + 6]); c60 = c60.add(x); c61 = c61.add(x);
                x = FloatVector.broadcast(S, bias[biasOff + 7]); c70 = c70.add(x); c71 = c71.add(x);
            }
        }
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
        if (MR >= 6) {   // row 5: folded away where MR is 5
            c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
        }
        if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
            c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
            c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
        }
    }

    /** {@link #microKernelTapsBias} one vector wide (MR filters × NR/2 pixels), one tile per row. */
    private static void microKernelTapsHalf(float[] a, int ao, float[] b, int bBase, int[] tap, float[] c,
                                            int cBase, int ldc, int tileRows, int bRow, int cRow, float[] bias,
                                            int biasOff) {
        final int kc = tap.length;
        for (int ty = 0; ty < tileRows; ty++) {
            int bo = bBase + ty * bRow, co = cBase + ty * cRow;
            FloatVector c0 = FloatVector.fromArray(S, ZEROS, 0), c1 = c0, c2 = c0, c3 = c0, c4 = c0;
            FloatVector c5 = MR >= 6 ? c0 : null, c6 = MR == 8 ? c0 : null, c7 = c6;
            for (int ai = ao, aEnd = ao + kc * MR, p = 0; ai < aEnd; ai += MR, p++) {
                FloatVector b0 = FloatVector.fromArray(S, b, bo + tap[p]);
                c0 = FloatVector.broadcast(S, a[ai]).fma(b0, c0);
                c1 = FloatVector.broadcast(S, a[ai + 1]).fma(b0, c1);
                c2 = FloatVector.broadcast(S, a[ai + 2]).fma(b0, c2);
                c3 = FloatVector.broadcast(S, a[ai + 3]).fma(b0, c3);
                c4 = FloatVector.broadcast(S, a[ai + 4]).fma(b0, c4);
                if (MR >= 6) {   // row 5: folded away where MR is 5
                    c5 = FloatVector.broadcast(S, a[ai + 5]).fma(b0, c5);
                }
                if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                    c6 = FloatVector.broadcast(S, a[ai + 6]).fma(b0, c6);
                    c7 = FloatVector.broadcast(S, a[ai + 7]).fma(b0, c7);
                }
            }
            if (bias != null) {
                c0 = c0.add(bias[biasOff]); c1 = c1.add(bias[biasOff + 1]); c2 = c2.add(bias[biasOff + 2]);
                c3 = c3.add(bias[biasOff + 3]); c4 = c4.add(bias[biasOff + 4]);
                if (MR >= 6) {   // row 5: folded away where MR is 5
                    c5 = c5.add(bias[biasOff + 5]);
                }
                if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                    c6 = c6.add(bias[biasOff + 6]); c7 = c7.add(bias[biasOff + 7]);
                }
            }
            c0.intoArray(c, co); c1.intoArray(c, co + ldc); c2.intoArray(c, co + 2 * ldc); c3.intoArray(c, co + 3 * ldc);
            c4.intoArray(c, co + 4 * ldc);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                c5.intoArray(c, co + 5 * ldc);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                c6.intoArray(c, co + 6 * ldc); c7.intoArray(c, co + 7 * ldc);
            }
        }
    }

    /**
     * The tap kernels that loop over tiles themselves start their accumulators from a load of
     * this array, not from {@code FloatVector.zero}: a zero constant is hoisted out of their tile
     * loops and then lives through the inner loop in a spilled register, reloaded and stored on
     * every step (16 vector registers on AVX2). A load from an array the loop nest writes to (as
     * far as C2 knows) stays where it is. Written out at each use rather than behind a helper,
     * for the reason {@link VectorGemmKernel#microKernel} gives.
     */
    private static final float[] ZEROS = new float[16];

    // --------------------------------------------------------------------------------------- NHWC

    private static void nhwc(Conv2dGeometry g, float[] in, float[] w, float[] bias, Activation act, float[] out,
                             WorkerPool exec, int threads) {
        int kpg = g.filtersPerGroup(), cpg = g.channelsPerGroup(), rsc = g.r() * g.s() * cpg, pq = g.p() * g.q();
        int groups = g.groups(), strips = ceilDiv(kpg, NR), kpgPad = strips * NR;
        // B: per group, filtersᵀ in (r, s, c) order as strips of NR output channels, [p][NR] within a strip.
        // One task per strip, not per group: a late layer's 512×4608 filters are one group, and
        // packing them on one thread took a third of the conv at 2 threads.
        float[][] bPacked = new float[groups][];
        for (int grp = 0; grp < groups; grp++) bPacked[grp] = groups == 1 ? kept(2, kpgPad * rsc) : new float[kpgPad * rsc + B_ALIGN];
        GemmKernel.run(exec, groups * strips, t -> {
            int grp = t / strips, st = t % strips, k0 = st * NR, k1 = Math.min(kpg, k0 + NR);
            float[] panel = bPacked[grp];
            if (k1 - k0 < NR) {   // columns past K/groups: never stored, zeroed to keep stale (denormal) floats out of the FMAs
                for (int pp = 0; pp < rsc; pp++) java.util.Arrays.fill(panel, B_ALIGN + k0 * rsc + pp * NR + (k1 - k0), B_ALIGN + k0 * rsc + (pp + 1) * NR, 0f);
            }
            for (int k = k0; k < k1; k++) {
                int fb = (grp * kpg + k) * cpg * g.r() * g.s();
                int so = B_ALIGN + (k / NR) * NR * rsc + k % NR;
                for (int rr = 0; rr < g.r(); rr++) {
                    for (int ss = 0; ss < g.s(); ss++) {
                        for (int c = 0; c < cpg; c++) {
                            int pp = (rr * g.s() + ss) * cpg + c;
                            panel[so + pp * NR] = w[fb + (c * g.r() + rr) * g.s() + ss];
                        }
                    }
                }
            }
        });
        int stripsPerTask = Math.min(strips, MAX_STRIPS);
        int colTasks = ceilDiv(strips, stripsPerTask);
        long perImage = (long) groups * colTasks;
        int mc = Math.min(MC, roundUp(pq, MR));
        long wanted = 4L * threads;
        while (mc > MR && (long) g.n() * perImage * ceilDiv(pq, mc) < wanted) mc = roundUp(mc / 2, MR);
        int mTasks = ceilDiv(pq, mc);
        final int mcf = mc;
        GemmKernel.run(exec, (int) (g.n() * perImage * mTasks), t -> {
            int mt = t % mTasks, rest = t / mTasks;
            int ct = (int) (rest % colTasks), ig = (int) (rest / colTasks);
            int image = ig / groups, grp = ig % groups;
            int i0 = mt * mcf, rows = Math.min(mcf, pq - i0), rowsPad = roundUp(rows, MR);
            int s0 = ct * stripsPerTask, ns = Math.min(stripsPerTask, strips - s0);
            int j0 = s0 * NR, len = Math.min(ns * NR, kpg - j0), ldc = ns * NR;
            float[] acc = kept(0, rowsPad * ldc);
            int kcMax = Math.min(KC, rsc);
            float[] aBlock = kept(1, rowsPad * kcMax);
            float[] bp = bPacked[grp];
            for (int pc = 0; pc < rsc; pc += KC) {
                int kc = Math.min(KC, rsc - pc);
                packPixels(g, in, image, grp, i0, rows, rowsPad, pc, kc, aBlock);
                for (int s = 0; s < ns; s++) {
                    int bo = B_ALIGN + (s0 + s) * NR * rsc + pc * NR;
                    for (int r0 = 0; r0 < rowsPad; r0 += MR) {
                        VectorGemmKernel.microKernel(aBlock, r0 * kc, bp, bo, NR, kc, acc, r0 * ldc + s * NR, ldc, pc > 0);
                    }
                }
            }
            GemmKernel.Epilogue e = new GemmKernel.Epilogue(out, image * pq * g.k() + grp * kpg, g.k(), 1, 1f, 0f,
                    bias, grp * kpg, false, act, true);
            e.storeTile(i0, rows, j0, len, acc, ldc);
        });
    }

    /**
     * Packs the im2col rows of output pixels [i0, i0 + rows) of one NHWC image and group, reduction
     * columns [pc, pc + kc) in (r, s, c) order, as [p][8] panels (panel b at b·8·kc); rows past
     * {@code rows} are zero.
     */
    private static void packPixels(Conv2dGeometry g, float[] in, int image, int grp, int i0, int rows, int rowsPad,
                                   int pc, int kc, float[] dst) {
        int cpg = g.channelsPerGroup(), cIn = g.c(), q = g.q();
        int imageBase = image * g.h() * g.w() * cIn + grp * cpg;
        for (int i = 0; i < rowsPad; i++) {
            int o = (i / MR) * MR * kc + i % MR;
            if (i >= rows) {
                for (int pp = 0; pp < kc; pp++) dst[o + pp * MR] = 0f;
                continue;
            }
            int pix = i0 + i, oy = pix / q, ox = pix % q;
            int pp = 0, p = pc;
            while (pp < kc) {
                int rs = p / cpg, c = p % cpg;
                int rr = rs / g.s(), ss = rs % g.s();
                int run = Math.min(cpg - c, kc - pp);
                int y = oy * g.strideH() - g.padTop() + rr * g.dilationH();
                int x = ox * g.strideW() - g.padLeft() + ss * g.dilationW();
                if (y < 0 || y >= g.h() || x < 0 || x >= g.w()) {
                    for (int t = 0; t < run; t++) dst[o + (pp + t) * MR] = 0f;
                } else {
                    int src = imageBase + (y * g.w() + x) * cIn + c;
                    for (int t = 0; t < run; t++) dst[o + (pp + t) * MR] = in[src + t];
                }
                pp += run;
                p += run;
            }
        }
    }
}
