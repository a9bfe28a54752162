package dev.jkernels.kernel;

import dev.jkernels.GemmSpec;
import dev.jkernels.nativeloader.CudaProbe;
import dev.jkernels.nativeloader.CudaVerdict;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasPointerMode;
import jcuda.runtime.cudaStream_t;

/**
 * {@link dev.jkernels.GemmAlgorithm#CUBLAS}: cuBLAS's SGEMM through JCublas2, the baseline the
 * hand-written kernels are measured against. One cuBLAS handle per {@link KernelBackend} (hence per
 * context and stream), bound to the launcher's stream so that it orders with the kernels.
 *
 * <p>Row-major through the transpose identity: cuBLAS is column-major, and a row-major M x N matrix
 * is the column-major N x M matrix of its transpose. So row-major {@code C = op(A)·op(B)} is computed
 * as column-major {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}: the operands swap places, keep their op flags, and
 * M and N swap. No data moves.
 *
 * <p>The math mode is set on every call from the spec's precision: {@code CUBLAS_DEFAULT_MATH} for
 * FP32 (TF32 off, explicitly: cuBLAS would otherwise follow {@code NVIDIA_TF32_OVERRIDE}, and a TF32
 * baseline is not an FP32 baseline), {@code CUBLAS_TF32_TENSOR_OP_MATH} for TF32 (the baseline of
 * the TF32 kernels; PyTorch's {@code allow_tf32 = True}). FP32_3XTF32 has no cuBLAS math mode.
 *
 * <p>cuBLAS computes {@code alpha·op(A)·op(B) + beta·C} and nothing else; a bias or an activation is
 * applied by a second kernel ({@code jk_gemm_bias_act}, in place on C), in DESIGN's order.
 * Thread-safe: one call at a time uses the handle.
 */
final class CublasGemm implements AutoCloseable {
    private final CudaLauncher launcher;
    private final cublasHandle handle = new cublasHandle();
    private boolean closed;
    private boolean mathTf32;  // the handle's math mode: set to CUBLAS_DEFAULT_MATH when created

    private CublasGemm(CudaLauncher launcher) {
        this.launcher = launcher;
        cudaStream_t stream = new cudaStream_t(launcher.enterAndGetStream());
        JCublas2.setExceptionsEnabled(true);
        call("cublasCreate", () -> JCublas2.cublasCreate(handle));
        boolean ok = false;
        try {
            call("cublasSetStream", () -> JCublas2.cublasSetStream(handle, stream));
            call("cublasSetMathMode(CUBLAS_DEFAULT_MATH)", () -> JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_DEFAULT_MATH));
            call("cublasSetPointerMode(HOST)",
                    () -> JCublas2.cublasSetPointerMode(handle, cublasPointerMode.CUBLAS_POINTER_MODE_HOST));
            ok = true;
        } finally {
            if (!ok) JCublas2.cublasDestroy(handle);
        }
    }

    /**
     * A cuBLAS handle on {@code launcher}'s context and stream.
     *
     * @throws IllegalStateException with the probe's reason when cuBLAS is not usable here (no
     *     {@code libcublas.so.12}, say); nothing of JCublas is loaded then
     */
    static CublasGemm open(CudaLauncher launcher) {
        CudaVerdict v = CudaProbe.verdict();
        if (!v.cublasUsable()) {
            throw new IllegalStateException("gemm algorithm CUBLAS: cuBLAS is not usable here: " + v.cublasReason()
                    + " (every other GemmAlgorithm runs the hand-written kernels)");
        }
        return new CublasGemm(launcher);
    }

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C} on row-major, contiguous tensors; C is not read when beta
     * is 0. {@code tf32}: in {@code CUBLAS_TF32_TENSOR_OP_MATH}, else {@code CUBLAS_DEFAULT_MATH}.
     */
    synchronized void sgemm(GemmSpec spec, boolean tf32, int m, int n, int k, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c,
                            String op) {
        if (closed) throw new IllegalStateException(op + ": the cuBLAS handle is closed");
        launcher.enterAndGetStream();
        if (tf32 != mathTf32) {
            int mode = tf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH;
            call(op + ": cublasSetMathMode(" + (tf32 ? "CUBLAS_TF32_TENSOR_OP_MATH" : "CUBLAS_DEFAULT_MATH") + ")",
                    () -> JCublas2.cublasSetMathMode(handle, mode));
            mathTf32 = tf32;
        }
        int lda = spec.transA() ? m : k;
        int ldb = spec.transB() ? k : n;
        int opA = spec.transA() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = spec.transB() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        Pointer pa = launcher.devicePointer(a, op + " a");
        Pointer pb = launcher.devicePointer(b, op + " b");
        Pointer pc = launcher.devicePointer(c, op + " c");
        Pointer alpha = Pointer.to(new float[] {spec.alpha()});
        Pointer beta = Pointer.to(new float[] {spec.beta()});
        // Column-major Cᵀ (N x M, ld N) = op(B)ᵀ (N x K) · op(A)ᵀ (K x M).
        call(op + ": cublasSgemm", () -> JCublas2.cublasSgemm(handle, opB, opA, n, m, k, alpha, pb, ldb, pa, lda, beta, pc, n));
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            launcher.enterAndGetStream();
        } catch (IllegalStateException e) {
            return;  // the launcher (and with it the context) is gone: so is the handle's state
        }
        try {
            JCublas2.cublasDestroy(handle);
        } catch (CudaException ignored) {
            // a sticky context error: nothing more to release
        }
    }

    @FunctionalInterface private interface CublasCall { int run(); }

    private static void call(String what, CublasCall c) {
        try {
            c.run();
        } catch (CudaException e) {
            throw new IllegalStateException("cuBLAS error in " + what + ": " + e.getMessage(), e);
        }
    }
}
