package dev.jkernels.kernel;

import dev.jkernels.BinaryOp;
import dev.jkernels.Layout;
import dev.jkernels.Pool2dGeometry;
import dev.jkernels.Pool2dSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The launches of the CNN kernels: pooling ({@code cuda/pool/pool2d.cu}), batch norm and softmax
 * ({@code cuda/norm/}), binary element-wise and concat ({@code cuda/elementwise/binary.cu}).
 * Grid, block and argument order are computed here once for both launchers.
 *
 * <p>Geometry: the element-wise and one-thread-per-output kernels use 256-thread blocks and a grid
 * covering the work once, capped at {@value #MAX_BLOCKS} blocks (the grid-stride loops do the rest);
 * the block-per-row kernels (global pooling of NCHW planes, softmax along the last axis) launch one
 * block per row, capped the same way.
 */
public final class CnnKernels {
    public static final int BLOCK = 256;
    public static final int MAX_BLOCKS = 65535 * 8;

    private CnnKernels() {}

    /** Every kernel name of this class: what the build must contain. */
    public static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Pool2dSpec.Kind k : Pool2dSpec.Kind.values()) {
            names.add("jk_pool2d_" + k.cudaName());
            names.add("jk_pool2d_global_" + k.cudaName());
        }
        names.add("jk_batchnorm_inference");
        names.add("jk_softmax_rows");
        names.add("jk_softmax_cols");
        for (BinaryOp op : BinaryOp.values()) names.add("jk_binary_" + op.cudaName());
        names.add("jk_concat_copy");
        return names;
    }

    static Dim3 gridFor(long work, int block) {
        long blocks = (work + block - 1) / block;
        return Dim3.of((int) Math.max(1, Math.min(blocks, MAX_BLOCKS)));
    }

    /** NCHW global pooling runs one block per plane; everything else one thread per output. */
    public static boolean usesGlobalKernel(Pool2dGeometry g) {
        return g.layout() == Layout.NCHW && g.global() && (long) g.h() * g.w() <= Integer.MAX_VALUE;
    }

    public static KernelLaunch pool2d(Pool2dGeometry g, DeviceBuffer in, DeviceBuffer out, String op) {
        String kind = g.kind().cudaName();
        if (usesGlobalKernel(g)) {
            long planes = (long) g.n() * g.c();
            KernelArgs args = KernelArgs.builder().pointer(in).pointer(out).int64(planes).int32(g.h() * g.w()).build();
            return new KernelLaunch(op, "jk_pool2d_global_" + kind, Dim3.of((int) Math.min(planes, MAX_BLOCKS)),
                    Dim3.of(BLOCK), 0, args);
        }
        KernelArgs args = KernelArgs.builder().pointer(in).pointer(out)
                .int32(g.n()).int32(g.c()).int32(g.h()).int32(g.w()).int32(g.p()).int32(g.q())
                .int32(g.kernelH()).int32(g.kernelW()).int32(g.strideH()).int32(g.strideW())
                .int32(g.dilationH()).int32(g.dilationW())
                .int32(g.padTop()).int32(g.padLeft()).int32(g.padBottom()).int32(g.padRight())
                .int32(g.adaptive() ? 1 : 0).int32(g.countIncludePad() ? 1 : 0).int32(g.layout() == Layout.NHWC ? 1 : 0)
                .build();
        return new KernelLaunch(op, "jk_pool2d_" + kind, gridFor(g.outputCount(), BLOCK), Dim3.of(BLOCK), 0, args);
    }

    public static KernelLaunch batchNorm(DeviceBuffer x, DeviceBuffer y, DeviceBuffer gamma, DeviceBuffer beta,
                                         DeviceBuffer mean, DeviceBuffer var, float eps, long n, long inner, int channels,
                                         String op) {
        KernelArgs.Builder a = KernelArgs.builder().pointer(x).pointer(y);
        a.pointerOrNull(gamma).pointerOrNull(beta).pointer(mean).pointer(var).float32(eps).int64(n).int64(inner).int32(channels);
        return new KernelLaunch(op, "jk_batchnorm_inference", gridFor(n, BLOCK), Dim3.of(BLOCK), 0, a.build());
    }


    /** The block size of the row kernel for rows of {@code length}: a power of two in [32, 256]. */
    static int rowBlock(int length) {
        int b = 32;
        while (b < BLOCK && b < length) b <<= 1;
        return b;
    }

    public static KernelLaunch softmax(DeviceBuffer x, DeviceBuffer y, long outer, int length, long inner, boolean log,
                                       String op) {
        if (inner == 1) {
            KernelArgs args = KernelArgs.builder().pointer(x).pointer(y).int64(outer).int32(length).int32(log ? 1 : 0).build();
            return new KernelLaunch(op, "jk_softmax_rows", Dim3.of((int) Math.min(outer, MAX_BLOCKS)),
                    Dim3.of(rowBlock(length)), 0, args);
        }
        KernelArgs args = KernelArgs.builder().pointer(x).pointer(y).int64(outer).int32(length).int64(inner)
                .int32(log ? 1 : 0).build();
        return new KernelLaunch(op, "jk_softmax_cols", gridFor(outer * inner, BLOCK), Dim3.of(BLOCK), 0, args);
    }

    public static KernelLaunch binary(BinaryOp opKind, DeviceBuffer big, DeviceBuffer small, DeviceBuffer out, long n,
                                      long inner, long smallLength, String op) {
        KernelArgs args = KernelArgs.builder().pointer(big).pointer(small).pointer(out).int64(n).int64(inner)
                .int64(smallLength).build();
        return new KernelLaunch(op, "jk_binary_" + opKind.cudaName(), gridFor(n, BLOCK), Dim3.of(BLOCK), 0, args);
    }

    public static KernelLaunch concatCopy(DeviceBuffer src, DeviceBuffer dst, long outer, long rows, long dstRows,
                                          long offset, String op) {
        KernelArgs args = KernelArgs.builder().pointer(src).pointer(dst).int64(outer).int64(rows).int64(dstRows)
                .int64(offset).build();
        return new KernelLaunch(op, "jk_concat_copy", gridFor(outer * rows, BLOCK), Dim3.of(BLOCK), 0, args);
    }
}
