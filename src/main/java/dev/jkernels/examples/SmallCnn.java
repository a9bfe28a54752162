package dev.jkernels.examples;

import dev.jkernels.Backend;
import dev.jkernels.Tensor;
import dev.jkernels.nn.Conv2d;
import dev.jkernels.nn.Flatten;
import dev.jkernels.nn.FusionPolicy;
import dev.jkernels.nn.Initializer;
import dev.jkernels.nn.Linear;
import dev.jkernels.nn.ReLU;
import dev.jkernels.nn.Sequential;

import java.util.Arrays;
import java.util.Locale;

/**
 * A small MNIST-shaped CNN — Conv2d(1→32, 3×3) · ReLU · Conv2d(32→64, 3×3) · ReLU · Flatten ·
 * Linear(64·24·24 → 10) — on random input, timed with the activations fused into the convolutions
 * ({@link FusionPolicy#AUTO}: 3 launches) and as separate launches ({@link FusionPolicy#NONE}: 5).
 *
 * <p>What is timed: {@code forward} on a batch already on the backend, through to
 * {@code synchronize()}, including the allocation of the outputs (the model allocates them each
 * pass); the host → device copy of the input is outside. Warm-up runs first (JIT, caches, lazy
 * module loading), then the two policies alternate so that drift (clocks, other processes) hits
 * both alike; the median of the runs is printed. A rough end-to-end figure, not a kernel benchmark:
 * those are in {@code benchmarks/}.
 *
 * <p>Arguments: {@code [backend] [batch] [runs]}: backend {@code cpu|cuda|emulated} (default
 * {@code Backends.auto()}), batch (default 64; use 1–2 on the emulator, which runs every CUDA thread
 * on the CPU), timed runs per policy (default 5).
 */
public final class SmallCnn {
    private SmallCnn() {}

    public static void main(String[] args) {
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        if (batch < 1 || runs < 1) throw new IllegalArgumentException("batch and runs must be >= 1, got " + batch + ", " + runs);
        try (Backend backend = ExampleSupport.backend(args)) {
            run(backend, batch, runs);
        }
    }

    static void run(Backend backend, int batch, int runs) {
        Sequential model = new Sequential(
                new Conv2d(1, 32, 3).initialize(Initializer.pytorchDefault(), 1),
                new ReLU(),
                new Conv2d(32, 64, 3).initialize(Initializer.pytorchDefault(), 2),
                new ReLU(),
                new Flatten(),
                new Linear(64 * 24 * 24, 10).initialize(Initializer.pytorchDefault(), 3));
        int[] shape = {batch, 1, 28, 28};
        float[] images = ExampleSupport.randn(4, batch * 28 * 28);
        try (Sequential m = model.to(backend); Tensor x = backend.tensor(images, shape)) {
            System.out.println("input " + Arrays.toString(shape) + " NCHW → output " + m.outputShape(shape));
            System.out.print(m.fusion(FusionPolicy.AUTO).describe(shape));
            System.out.print(m.fusion(FusionPolicy.NONE).describe(shape));

            float[] fusedOut = forward(m.fusion(FusionPolicy.AUTO), x);
            float[] unfusedOut = forward(m.fusion(FusionPolicy.NONE), x);
            int warmup = 2;
            for (int i = 0; i < warmup; i++) {
                time(m.fusion(FusionPolicy.AUTO), x, backend);
                time(m.fusion(FusionPolicy.NONE), x, backend);
            }
            double[] fused = new double[runs], unfused = new double[runs];
            for (int i = 0; i < runs; i++) {
                fused[i] = time(m.fusion(FusionPolicy.AUTO), x, backend);
                unfused[i] = time(m.fusion(FusionPolicy.NONE), x, backend);
            }
            double fm = median(fused), um = median(unfused);
            System.out.printf(Locale.ROOT, "timing on %s: batch %d, %d warm-up + %d timed runs per policy, median%n",
                    backend.description(), batch, warmup, runs);
            System.out.printf(Locale.ROOT, "  fused   (AUTO, 3 launches): %9.3f ms   runs %s%n", fm, fmt(fused));
            System.out.printf(Locale.ROOT, "  unfused (NONE, 5 launches): %9.3f ms   runs %s%n", um, fmt(unfused));
            System.out.printf(Locale.ROOT, "  unfused / fused: %.3f%n", um / fm);

            double maxDiff = 0, maxRef = 0;
            boolean agree = true;
            for (int i = 0; i < fusedOut.length; i++) {
                double d = Math.abs(fusedOut[i] - unfusedOut[i]);
                maxDiff = Math.max(maxDiff, d);
                maxRef = Math.max(maxRef, Math.abs(unfusedOut[i]));
                agree &= d <= 1e-5 + 1e-4 * Math.abs(unfusedOut[i]);
            }
            System.out.printf(Locale.ROOT, "outputs %s: max |fused − unfused| = %.3g (max |output| %.3g) over %d values%n",
                    agree ? "agree" : "DIFFER", maxDiff, maxRef, fusedOut.length);
            if (!agree) throw new IllegalStateException("fused and unfused outputs differ beyond 1e-5 + 1e-4·|y|");
        }
    }

    private static float[] forward(Sequential m, Tensor x) {
        try (Tensor y = m.forward(x)) {
            return y.toArray();
        }
    }

    /** One forward pass in milliseconds, up to synchronize(); the output is freed outside the timing. */
    private static double time(Sequential m, Tensor x, Backend backend) {
        long t0 = System.nanoTime();
        Tensor y = m.forward(x);
        backend.synchronize();
        long t1 = System.nanoTime();
        y.close();
        return (t1 - t0) / 1e6;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", v[i]));
        return sb.append(']').toString();
    }
}
