package dev.jkernels.cpu;

import dev.jkernels.Activation;

/**
 * The CPU GEMM core: {@code C(i,j) = act(alpha·Σₚ A(i,p)·B(p,j) + beta·C(i,j) + bias)} with A, B
 * and C given as sources/destinations, so that GEMM and conv2d (im2col gathered on the fly) share it.
 *
 * <p>How it is laid out, and why:
 * <ul>
 *   <li>B is packed once into one {@code float[]} per (column block, reduction row p), NC ≤ 512 wide;
 *       the accumulator is one {@code float[]} per row of C's tile. The inner loop is then
 *       {@code acc[j] = fma(a3, b3[j], … fma(a0, b0[j], acc[j]))} over arrays all indexed from 0
 *       with the same j, which C2 (JDK 17 and later) turns into AVX2/AVX-512 FMAs. The same loop over one big array
 *       with two different offsets is not vectorised by C2 (measured: 7 against 57 GFLOP/s on one
 *       core), which is why nothing here uses offsets in the inner loop.</li>
 *   <li>A is packed per block of MR = 8 rows as [p][r], so the 8 broadcast scalars for one p are
 *       adjacent. 8 rows × 2 KiB accumulators stay in L1 while one B row (2 KiB) is reused 8 times;
 *       16 rows measured slower (the accumulators spill out of L1).</li>
 *   <li>The reduction is cut in KC = 256 slices: 256 B rows of 2 KiB = 512 KiB stay in L2 while
 *       every row block of the task walks over them.</li>
 *   <li>A task is an (MC = 128 rows) × (one column block) tile of C, with its own accumulators; the
 *       epilogue runs once per element after the whole reduction, in the fixed order accumulate →
 *       alpha·acc + beta·C → + bias → activation → store.</li>
 * </ul>
 */
final class GemmKernel {
    static final int MR = 8;
    static final int MC = 128;
    static final int NC = 512;
    static final int KC = 256;
    /** storeTile rounds rows up to this many floats: a multiple of every vector length (512 bits). */
    static final int VECTOR_ROUND = 16;
    /** Below this many multiply-adds a GEMM runs on the calling thread. */
    static final long PARALLEL_MIN_FMAS = 1L << 18;

    private GemmKernel() {}

    /** Rows of op(A): packs rows [i0, i0+rows) (rows ≤ MR), all k columns, into dst[p·MR + r]. */
    interface RowBlockSource {
        void packRowBlock(int i0, int rows, int k, float[] dst);
    }

    /** Rows of op(B): copies row p, columns [j0, j0+len), into dst[0, len). */
    interface RowSource {
        void packRow(int p, int j0, int len, float[] dst);
    }

    /** A matrix in an array: element (i, j) at {@code off + i·rowStride + j·colStride}. */
    record Strided(float[] data, int off, int rowStride, int colStride) implements RowBlockSource, RowSource {
        @Override public void packRowBlock(int i0, int rows, int k, float[] dst) {
            for (int r = 0; r < rows; r++) {
                int base = off + (i0 + r) * rowStride;
                for (int p = 0; p < k; p++) dst[p * MR + r] = data[base + p * colStride];
            }
        }

        @Override public void packRow(int p, int j0, int len, float[] dst) {
            int base = off + p * rowStride + j0 * colStride;
            if (colStride == 1) {
                System.arraycopy(data, base, dst, 0, len);
            } else {
                for (int j = 0; j < len; j++) dst[j] = data[base + j * colStride];
            }
        }

        Strided transposed() { return new Strided(data, off, colStride, rowStride); }
    }

    /**
     * Where results go and what the epilogue does: C(i, j) lives at {@code off + i·rowStride +
     * j·colStride} of {@code c}; the bias is indexed by j ({@code biasPerRow} false) or by i.
     */
    record Epilogue(float[] c, int off, int rowStride, int colStride, float alpha, float beta,
                    float[] bias, int biasOff, boolean biasPerRow, Activation activation, boolean vectorActivation) {

        Epilogue transposed() {
            return new Epilogue(c, off, colStride, rowStride, alpha, beta, bias, biasOff, !biasPerRow, activation,
                    vectorActivation);
        }

        /**
         * Writes the tile rows [i0, i0+rows) × columns [j0, j0+len) from {@code acc} (row r at
         * r·ldc, ldc ≥ len and a multiple of 16), which it overwrites. With alpha 1, beta 0 and the
         * vector activation, bias goes in row by row and the activation runs over each row's len
         * rounded up to 16 (whole vectors: no tail handling); else row by row through
         * {@link #store(int, int, int, float[], int)}.
         */
        void storeTile(int i0, int rows, int j0, int len, float[] acc, int ldc) {
            if (alpha != 1f || beta != 0f || !vectorActivation) {
                for (int r = 0; r < rows; r++) store(i0 + r, j0, len, acc, r * ldc);
                return;
            }
            if (bias != null) {
                for (int r = 0; r < rows; r++) {
                    int o = r * ldc;
                    if (biasPerRow) {
                        float rowBias = bias[biasOff + i0 + r];
                        for (int j = 0; j < len; j++) acc[o + j] += rowBias;
                    } else {
                        int bo = biasOff + j0;
                        for (int j = 0; j < len; j++) acc[o + j] += bias[bo + j];
                    }
                }
            }
            if (!activation.isIdentity()) {
                // Per row, over len rounded up to whole vectors (never past ldc when ldc is a multiple
                // of the vector length): no tails, and none of the tile's padding columns, which for
                // the transcendental kinds cost as much as real ones (measured: up to a third more).
                int lenV = Math.min(ldc, (len + VECTOR_ROUND - 1) / VECTOR_ROUND * VECTOR_ROUND);
                if (lenV == ldc) {   // rows back to back: one call for the tile (each call is a method-handle dispatch)
                    ActivationRanges.forward(activation, acc, acc, 0, rows * ldc, true);
                } else {
                    for (int r = 0; r < rows; r++) ActivationRanges.forward(activation, acc, acc, r * ldc, r * ldc + lenV, true);
                }
            }
            for (int r = 0; r < rows; r++) {
                int base = off + (i0 + r) * rowStride + j0 * colStride;
                if (colStride == 1) {
                    System.arraycopy(acc, r * ldc, c, base, len);
                } else {
                    for (int j = 0; j < len; j++) c[base + j * colStride] = acc[r * ldc + j];
                }
            }
        }

        /** Writes row i, columns [j0, j0+len), from the accumulator row. */
        void store(int i, int j0, int len, float[] acc) { store(i, j0, len, acc, 0); }

        /**
         * Writes row i, columns [j0, j0+len), from {@code acc[accOff, accOff+len)}, which it
         * overwrites: each step runs over the whole row while it is in L1 (alpha, beta·C, bias as
         * plain loops C2 vectorises, then the activation's array form), then one copy out.
         */
        void store(int i, int j0, int len, float[] acc, int accOff) {
            int base = off + i * rowStride + j0 * colStride;
            int end = accOff + len;
            if (alpha != 1f) for (int j = accOff; j < end; j++) acc[j] *= alpha;
            if (beta != 0f) {
                for (int j = 0; j < len; j++) acc[accOff + j] += beta * c[base + j * colStride];
            }
            if (bias != null) {
                if (biasPerRow) {
                    float rowBias = bias[biasOff + i];
                    for (int j = accOff; j < end; j++) acc[j] += rowBias;
                } else {
                    int bo = biasOff + j0 - accOff;
                    for (int j = accOff; j < end; j++) acc[j] += bias[bo + j];
                }
            }
            if (!activation.isIdentity()) ActivationRanges.forward(activation, acc, acc, accOff, end, vectorActivation);
            if (colStride == 1) {
                System.arraycopy(acc, accOff, c, base, len);
            } else {
                for (int j = 0; j < len; j++) c[base + j * colStride] = acc[accOff + j];
            }
        }
    }

    /** C = epilogue(op(A)·op(B)) for op(A) m×k, op(B) k×n; parallel on {@code pool} when large enough. */
    static void multiply(int m, int n, int k, RowBlockSource a, RowSource b, Epilogue e, WorkerPool pool) {
        boolean parallel = (long) m * n * k >= PARALLEL_MIN_FMAS;
        WorkerPool exec = parallel ? pool : null;

        // Column blocks of equal width (a multiple of 16 floats where possible), at most NC.
        int nBlocks = (n + NC - 1) / NC;
        int nc = nBlocks == 1 ? n : Math.min(NC, ((n + nBlocks - 1) / nBlocks + 15) & ~15);
        nBlocks = (n + nc - 1) / nc;
        int mBlocks = (m + MR - 1) / MR;

        // Pack A: one [k][MR] panel per MR-row block.
        float[][] aPacked = new float[mBlocks][];
        run(exec, mBlocks, ib -> {
            float[] panel = new float[k * MR];
            a.packRowBlock(ib * MR, Math.min(MR, m - ib * MR), k, panel);
            aPacked[ib] = panel;
        });

        // Pack B: one array per (column block, p).
        final int ncf = nc;
        float[][][] bPacked = new float[nBlocks][k][];
        int pChunk = 64;
        int pChunks = (k + pChunk - 1) / pChunk;
        run(exec, nBlocks * pChunks, t -> {
            int jb = t / pChunks, p0 = (t % pChunks) * pChunk;
            int j0 = jb * ncf, len = Math.min(ncf, n - j0);
            for (int p = p0; p < Math.min(k, p0 + pChunk); p++) {
                float[] row = new float[len];
                b.packRow(p, j0, len, row);
                bPacked[jb][p] = row;
            }
        });

        int mTasks = (m + MC - 1) / MC;
        final int nBlocksF = nBlocks;
        run(exec, mTasks * nBlocks, t -> {
            int it = t / nBlocksF, jb = t % nBlocksF;
            int i0 = it * MC, rows = Math.min(MC, m - i0);
            int j0 = jb * ncf, len = Math.min(ncf, n - j0);
            tile(i0, rows, j0, len, k, aPacked, bPacked[jb], e);
        });
    }

    static void run(WorkerPool exec, int count, java.util.function.IntConsumer body) {
        if (exec == null) {
            for (int i = 0; i < count; i++) body.accept(i);
        } else {
            exec.forEach(count, body);
        }
    }

    /** One MC×NC tile: the whole reduction in KC slices, then the epilogue. */
    private static void tile(int i0, int rows, int j0, int len, int k, float[][] aPacked, float[][] bRows, Epilogue e) {
        float[][] acc = new float[rows][len];
        for (int pc = 0; pc < k; pc += KC) {
            int pEnd = Math.min(k, pc + KC);
            for (int r0 = 0; r0 < rows; r0 += MR) {
                float[] ap = aPacked[(i0 + r0) / MR];
                int mr = Math.min(MR, rows - r0);
                int p = pc;
                for (; p + 4 <= pEnd; p += 4) {
                    float[] b0 = bRows[p], b1 = bRows[p + 1], b2 = bRows[p + 2], b3 = bRows[p + 3];
                    int ao = p * MR;
                    for (int r = 0; r < mr; r++) {
                        axpy4(ap[ao + r], ap[ao + MR + r], ap[ao + 2 * MR + r], ap[ao + 3 * MR + r],
                                b0, b1, b2, b3, acc[r0 + r], len);
                    }
                }
                for (; p < pEnd; p++) {
                    float[] bRow = bRows[p];
                    int ao = p * MR;
                    for (int r = 0; r < mr; r++) axpy(ap[ao + r], bRow, acc[r0 + r], len);
                }
            }
        }
        for (int r = 0; r < rows; r++) e.store(i0 + r, j0, len, acc[r]);
    }

    /**
     * acc[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j], as a chain of four FMAs: one load and one
     * store of acc per four FMAs instead of per one (the store port is what limits the single-row
     * loop). Measured on one core: 80 against 57 GFLOP/s. Eight rows at once is no longer
     * vectorised by C2 (7 GFLOP/s), so four it is.
     */
    private static void axpy4(float a0, float a1, float a2, float a3, float[] b0, float[] b1, float[] b2, float[] b3,
                              float[] acc, int len) {
        for (int j = 0; j < len; j++) {
            acc[j] = Math.fma(a3, b3[j], Math.fma(a2, b2[j], Math.fma(a1, b1[j], Math.fma(a0, b0[j], acc[j]))));
        }
    }

    /** acc[j] += a·b[j]: both arrays from index 0, so C2 vectorises it into FMAs. */
    private static void axpy(float a, float[] b, float[] acc, int len) {
        for (int j = 0; j < len; j++) acc[j] = Math.fma(a, b[j], acc[j]);
    }
}
