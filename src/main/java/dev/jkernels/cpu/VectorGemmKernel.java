package dev.jkernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked GEMM core on the Vector API ({@code jdk.incubator.vector}), used when the JVM
 * runs with {@code --add-modules jdk.incubator.vector}; otherwise {@link GemmKernel}'s
 * auto-vectorised loops run. Only {@link CpuBackend} touches this class, and only after checking that
 * the module is there, so it is never loaded without it.
 *
 * <p>Who computes what, and why these sizes:
 * <ul>
 *   <li>The micro-kernel computes an MR × NR tile of C, NR = 2 vectors, in 2·MR vector registers
 *       that stay live over a KC slice of the reduction. Per step p it loads 2 B vectors,
 *       broadcasts MR A scalars and issues 2·MR FMAs: the FMA units, not the load or store ports,
 *       are the limit (the auto-vectorised loop stores its accumulator every 4 FMAs).
 *       <ul>
 *         <li>MR = 8 where the ISA has 32 vector registers (AVX-512, ARM): 8 × 32 floats with
 *             AVX-512, 16 accumulators + 2 B + 1 A = 19 registers.</li>
 *         <li>MR = 6 on x86 without AVX-512 (AVX2: 16 registers) on JDK 17: 6 × 16 floats,
 *             12 + 2 + 1 = 15. The 8-row tile needs 19 there, and C2 spilled accumulators to the
 *             stack inside the loop (measured on a Zen 2: half of OpenBLAS's SGEMM; 12
 *             accumulators still cover the FMA latency of 2 pipes × 5 cycles). BLIS's Haswell
 *             SGEMM kernel is 6 × 16 too.</li>
 *         <li>MR = 5 there on later JDKs: JDK 25's C2 keeps three broadcasts live, one register
 *             too many for 6 rows, and spilled an accumulator through memory on every step
 *             (measured in L1 on one Zen 2 core: 6 rows 92 GFLOP/s on JDK 17 but 41 on JDK 25;
 *             5 rows 85 and 88).</li>
 *       </ul>
 *       The kernels are written once, for 8 rows; rows 6 and 7 sit under {@code if (MR == 8)} and
 *       row 5 under {@code if (MR >= 6)}, which C2 folds (MR is a constant), so the smaller
 *       tiles' code has no trace of them.</li>
 *   <li>A is packed per MR-row block as [p][MR] (zero rows past M); B per column block as strips
 *       of NR columns, [p][NR] within a strip (zero columns past N): both are read purely
 *       sequentially by the micro-kernel.</li>
 *   <li>KC = 256: one B strip slice (256 × 32 floats = 32 KiB) stays in L1 while the 16 A panels
 *       of a task's MC = 16·MR rows (128 KiB for MR = 8, in L2) stream past it — the GotoBLAS order.</li>
 *   <li>Partial sums of each KC slice are added into the task's accumulator tile; the epilogue
 *       (alpha, beta·C, bias, activation) runs once, after the last slice.</li>
 * </ul>
 */
final class VectorGemmKernel {
    /**
     * The widest float species this CPU runs natively, pinned to one of the canonical SPECIES_N
     * constants so that C2 sees one fixed vector shape (and NR below is a compile-time constant).
     */
    static final VectorSpecies<Float> S = widestSpecies();
    /**
     * Rows of the micro-tile: 8, 6 or 5 (above). System property {@code jkernels.cpu.microRows} (5, 6, 8,
     * or {@code other}: the one this machine would not pick) overrides it, so that the tests run
     * both tiles on any machine.
     */
    static final int MR = microRows();
    static final int NR = 2 * S.length();
    static final int KC = 256;
    static final int MC = 16 * MR;
    static final int NC = Math.max(NR, 512 / NR * NR);

    private VectorGemmKernel() {}

    private static VectorSpecies<Float> widestSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return bits >= 512 ? FloatVector.SPECIES_512 : bits >= 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
    }

    /** 8 where the ISA has 32 vector registers; on x86 without AVX-512 (16 registers) 6 on JDK 17, 5 on later JDKs. */
    static int naturalMicroRows() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86");
        if (!x86 || S.vectorBitSize() >= 512) return 8;
        return Runtime.version().feature() <= 17 ? 6 : 5;
    }

    private static int microRows() {
        String forced = System.getProperty("jkernels.cpu.microRows");
        if (forced == null) return naturalMicroRows();
        return switch (forced) {
            case "5" -> 5;
            case "6" -> 6;
            case "8" -> 8;
            // the tests' second run: a tile this machine does not pick
            case "other" -> naturalMicroRows() == 8 ? (Runtime.version().feature() <= 17 ? 6 : 5) : 8;
            default -> throw new IllegalArgumentException("jkernels.cpu.microRows must be 5, 6, 8 or other, got '" + forced + "'");
        };
    }

    /** A usable Vector API here: at least 4 lanes of float (anything narrower would only be emulated). */
    static boolean supported() { return S.length() >= 4; }

    static String describe() { return "Vector API " + S + ", micro-tile " + MR + "x" + NR; }

    /**
     * Packing buffers kept by the calling thread between calls, and each worker's accumulator
     * tile: a fresh {@code new float[]} per call and task is zeroed by the JVM first, which cost
     * 5-8 % of a 1024³ product (12 MB zeroed per 7.5 ms call: 8 MB of packed panels, 16 × 256 KB
     * of accumulators). Panels up to {@link #KEEP_FLOATS} floats are kept (16 MB each, per thread
     * that calls GEMM); larger ones are allocated per call. The accumulators need no zeroing at
     * all: the first KC slice stores its sums instead of adding them.
     */
    private static final int KEEP_FLOATS = 1 << 22;
    /** Where packed B starts in its buffer: a cache line start ({@link ArrayAlignment#alignedScratch}); strips are 64-byte multiples. */
    static final int B_ALIGN = ArrayAlignment.phase(64);
    private static final ThreadLocal<float[][]> PACK = ThreadLocal.withInitial(() -> new float[2][]);
    private static final ThreadLocal<float[]> ACC = new ThreadLocal<>();

    private static float[] packBuffer(int which, long size) {
        if (size > KEEP_FLOATS) return ArrayAlignment.alignedScratch(size);
        float[][] kept = PACK.get();
        if (kept[which] == null || kept[which].length < size + 16) kept[which] = ArrayAlignment.alignedScratch(size);
        return kept[which];
    }

    static void multiply(int m, int n, int k, GemmKernel.RowBlockSource a, GemmKernel.RowSource b,
                         GemmKernel.Epilogue e, WorkerPool pool) {
        WorkerPool exec = (long) m * n * k >= GemmKernel.PARALLEL_MIN_FMAS ? pool : null;
        int nBlocks = (n + NC - 1) / NC;
        int mBlocks = (m + MR - 1) / MR;

        // A: one [k][MR] panel per MR-row block, panel ib at ib·k·MR (rows past m zero).
        float[] aPacked = packBuffer(0, (long) mBlocks * k * MR);
        GemmKernel.run(exec, mBlocks, ib -> {
            int rows = Math.min(MR, m - ib * MR), o = ib * k * MR;
            if (rows < MR) java.util.Arrays.fill(aPacked, o, o + k * MR, 0f);
            packRowBlock(a, ib * MR, rows, k, aPacked, o);
        });

        // B: per column block (block jb at jb·NC·k), strips of NR columns, each [k][NR] (columns past n zero).
        long bSize = (long) (nBlocks - 1) * NC * k + (long) roundUp(n - (nBlocks - 1) * NC, NR) * k;
        int b0 = B_ALIGN;
        float[] bPacked = packBuffer(1, bSize);
        int pChunk = 128;
        int pChunks = (k + pChunk - 1) / pChunk;
        GemmKernel.run(exec, nBlocks * pChunks, t -> {
            int jb = t / pChunks, p0 = (t % pChunks) * pChunk, pEnd = Math.min(k, p0 + pChunk);
            int j0 = jb * NC, len = Math.min(NC, n - j0), bo = b0 + jb * NC * k;
            // Row-major B is copied strip by strip straight from its rows; any other source through a row buffer.
            boolean inPlace = b instanceof GemmKernel.Strided st && st.colStride() == 1;
            float[] row = inPlace ? ((GemmKernel.Strided) b).data() : new float[len];
            for (int p = p0; p < pEnd; p++) {
                int from = 0;
                if (inPlace) {
                    GemmKernel.Strided st = (GemmKernel.Strided) b;
                    from = st.off() + p * st.rowStride() + j0;
                } else {
                    b.packRow(p, j0, len, row);
                }
                for (int s = 0; s * NR < len; s++) {
                    int w = Math.min(NR, len - s * NR), at = bo + s * NR * k + p * NR;
                    System.arraycopy(row, from + s * NR, bPacked, at, w);
                    if (w < NR) java.util.Arrays.fill(bPacked, at + w, at + NR, 0f);
                }
            }
        });

        int mTasks = (m + MC - 1) / MC;
        GemmKernel.run(exec, mTasks * nBlocks, t -> {
            int it = t / nBlocks, jb = t % nBlocks;
            int i0 = it * MC, rows = Math.min(MC, m - i0);
            int j0 = jb * NC, len = Math.min(NC, n - j0);
            tile(i0, rows, j0, len, k, aPacked, bPacked, b0 + jb * NC * k, e);
        });
    }

    /** {@link GemmKernel.RowBlockSource#packRowBlock} into {@code dst} at {@code off}. */
    private static void packRowBlock(GemmKernel.RowBlockSource a, int i0, int rows, int k, float[] dst, int off) {
        if (a instanceof GemmKernel.Strided st) {
            float[] d = st.data();
            int cs = st.colStride(), rs = st.rowStride(), base = st.off() + i0 * rs;
            if (rs == 1) {   // op(A) stored column-major: one p's rows are adjacent
                for (int p = 0; p < k; p++) System.arraycopy(d, base + p * cs, dst, off + p * MR, rows);
            } else if (cs == 1 && rows == MR) {
                // Row-major, a full block: p outer, so the writes are sequential and the reads MR
                // sequential streams (r outer wrote with a stride of MR: 15 % of a 1024³ product, JFR).
                for (int p = 0, o = off; p < k; p++, o += MR) {
                    for (int r = 0; r < MR; r++) dst[o + r] = d[base + r * rs + p];
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    for (int p = 0; p < k; p++) dst[off + p * MR + r] = d[base + r * rs + p * cs];
                }
            }
        } else {   // the interface packs GemmKernel.MR (8) rows per p: re-stride to MR
            float[] panel = new float[k * GemmKernel.MR];
            a.packRowBlock(i0, rows, k, panel);
            for (int p = 0; p < k; p++) System.arraycopy(panel, p * GemmKernel.MR, dst, off + p * MR, rows);
        }
    }

    private static int roundUp(int x, int to) { return (x + to - 1) / to * to; }

    private static void tile(int i0, int rows, int j0, int len, int k, float[] aPacked, float[] bPacked, int bOff,
                             GemmKernel.Epilogue e) {
        int rowsPad = roundUp(rows, MR), ldc = roundUp(len, NR);
        float[] acc = ACC.get();
        if (acc == null || acc.length < rowsPad * ldc) {
            acc = new float[Math.max(rowsPad * ldc, roundUp(MC, MR) * roundUp(NC, NR))];
            ACC.set(acc);
        }
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int s = 0; s < ldc / NR; s++) {
                int bo = bOff + s * NR * k + pc * NR;
                for (int r0 = 0; r0 < rowsPad; r0 += MR) {
                    microKernel(aPacked, ((i0 + r0) / MR) * k * MR + pc * MR, bPacked, bo, NR, kc, acc, r0 * ldc + s * NR, ldc, pc > 0);
                }
            }
        }
        e.storeTile(i0, rows, j0, len, acc, ldc);
    }

    /**
     * acc[MR × NR tile at co, row stride ldc] += A panel [kc][MR] · B [kc][NR] when {@code add}; =
     * when not (no zeroing needed). B's rows are {@code ldb} apart: NR for a packed strip, the plane
     * size for a 1×1 convolution's input read in place.
     *
     * <p>Rows 5–7's accumulators start as zero where the tile has those rows and as null where it
     * has not. Not a zero vector there, though no code reads them: the state a range check's
     * deoptimisation would rebuild holds every local, so C2 kept the zero vector alive through
     * the loop, spilled and reloaded on every step (measured: 64 against 89 GFLOP/s, Zen 2). A
     * null costs no register. The choice is written out at each use, not behind a helper method:
     * JDK 17's C2 does not inline a callee run fewer than 250 times ({@code MinInliningThreshold}),
     * and a helper called twice per kernel call fell under it when the kernel was compiled after
     * 124 calls; the accumulators then came back boxed, every FMA of row 5 ran the Java fallback
     * and allocated (4×128×28×28 3×3 on one core: 45 ms instead of 10, in three JVM runs of four).
     * The conv kernels follow the same rule.
     */
    static void microKernel(float[] ap, int ao, float[] bp, int bo, int ldb, int kc, float[] c, int co, int ldc, boolean add) {
        final int w = S.length();
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        FloatVector c50 = MR >= 6 ? c00 : null, c51 = c50;             // dead rows null: see above
        FloatVector c60 = MR == 8 ? c00 : null, c61 = c60, c70 = c60, c71 = c60;
        // A's index is the loop variable and B's a second one, both stepped by an add: with
        // b = bo + p·NR, a = ao + p·MR C2 recomputed both from p on every step (shifts and adds,
        // more integer work than the FMAs could hide: measured 70 against 89 GFLOP/s, 6 rows, Zen 2).
        for (int a = ao, b = bo, aEnd = ao + kc * MR; a < aEnd; a += MR, b += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + w);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a]);     c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                x = FloatVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                x = FloatVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            }
        }
        // Written out, not through a helper taking vectors: if C2 does not inline such a helper the
        // accumulators escape and every FMA above allocates a box (measured: 12 against 110 GFLOP/s).
        if (!add) {
            c00.intoArray(c, co); c01.intoArray(c, co + w);
            c10.intoArray(c, co + ldc); c11.intoArray(c, co + ldc + w);
            c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + w);
            c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + w);
            c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + w);
            if (MR >= 6) {   // row 5: folded away where MR is 5
                c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + w);
            }
            if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
                c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + w);
                c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + w);
            }
            return;
        }
        int at;
        at = co; c00.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c01.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        at = co + ldc; c10.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c11.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        at = co + 2 * ldc; c20.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c21.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        at = co + 3 * ldc; c30.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c31.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        at = co + 4 * ldc; c40.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c41.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        if (MR >= 6) {   // row 5: folded away where MR is 5
            at = co + 5 * ldc; c50.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c51.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        }
        if (MR == 8) {   // rows 6 and 7: folded away where MR is 6
            at = co + 6 * ldc; c60.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c61.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
            at = co + 7 * ldc; c70.add(FloatVector.fromArray(S, c, at)).intoArray(c, at); c71.add(FloatVector.fromArray(S, c, at + w)).intoArray(c, at + w);
        }
    }

}
