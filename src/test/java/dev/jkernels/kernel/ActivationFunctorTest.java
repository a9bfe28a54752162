package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CUDA functor of activation.cuh, through both kernel variants in the emulator, against the
 * Java definition ({@link Activation#apply(double)} and {@link Activation#derivative(double)} in
 * double precision): the two definitions of each activation agree. Lengths 1..129 exercise the
 * vec4 tail; a one-block grid exercises the grid-stride loop; launches go straight to the
 * launcher with hand-built {@link KernelLaunch}es.
 */
class ActivationFunctorTest {
    private static final Tolerance TOL = new Tolerance(2e-6, 1e-5);
    private static final int[] LENGTHS = {1, 2, 3, 4, 5, 7, 13, 31, 65, 127, 129, 1031};

    private static EmulatedLauncher launcher;

    @BeforeAll static void open() { launcher = Emulator.open(EmulatorMode.FIBERS); }

    @AfterAll static void close() { if (launcher != null) launcher.close(); }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Activation.Kind k : Activation.Kind.values()) {
            for (ActivationKernels.Variant v : ActivationKernels.Variant.values()) {
                a.add(Arguments.of(k == Activation.Kind.LEAKY_RELU ? Activation.leakyRelu(0.2f)
                        : k == Activation.Kind.ELU ? Activation.elu(0.7f) : Activation.of(k), v));
            }
        }
        return a.stream();
    }

    /** x over [−10, 10] plus the kinks and large magnitudes, repeated/truncated to n. */
    static float[] inputs(int n) {
        float[] special = {0f, -0f, 3f, -3f, 6f, -6f, 1e-7f, -1e-7f, 20f, -20f, 90f, -90f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i < special.length ? special[i] : -10f + 20f * ((i * 7919) % 1000) / 999f;
        return x;
    }

    private float[] run(KernelLaunch l, DeviceBuffer out, int n) {
        launcher.launch(l);
        float[] r = new float[n];
        launcher.read(out, 0, r, 0, n);
        return r;
    }

    private DeviceBuffer upload(float[] v) {
        DeviceBuffer b = launcher.allocate((long) v.length * 4);
        launcher.write(b, 0, v, 0, v.length);
        return b;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardAndBackwardMatchJava(Activation act, ActivationKernels.Variant variant) {
        for (int n : LENGTHS) {
            float[] x = inputs(n);
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = 0.5f + (i % 5) * 0.25f;
            DeviceBuffer bx = upload(x), by = launcher.allocate(n * 4L), bg = upload(g), bdx = launcher.allocate(n * 4L);
            try {
                for (int blocks : new int[] {1, -1}) {  // one block (the loop strides), and the computed grid
                    KernelLaunch fwd = ActivationKernels.forward(act, variant, bx, by, n, "test forward");
                    if (blocks == 1) fwd = new KernelLaunch(fwd.op(), fwd.kernel(), Dim3.of(1), Dim3.of(32), 0, fwd.args());
                    float[] y = run(fwd, by, n);
                    double[] ey = new double[n];
                    for (int i = 0; i < n; i++) ey[i] = act.apply((double) x[i]);
                    TOL.assertClose(act + " " + variant + " forward n=" + n + " grid=" + fwd.grid(), y, ey);

                    boolean fromOutput = act.kind().backwardInput() == Activation.BackwardInput.OUTPUT;
                    float[] saved = fromOutput ? y : x;
                    DeviceBuffer bs = fromOutput ? by : bx;
                    KernelLaunch bwd = ActivationKernels.backward(act, variant, bs, bg, bdx, n, "test backward");
                    if (blocks == 1) bwd = new KernelLaunch(bwd.op(), bwd.kernel(), Dim3.of(1), Dim3.of(32), 0, bwd.args());
                    float[] dx = run(bwd, bdx, n);
                    double[] edx = new double[n];
                    for (int i = 0; i < n; i++) edx[i] = g[i] * act.derivative((double) saved[i]);
                    TOL.assertClose(act + " " + variant + " backward n=" + n + " grid=" + bwd.grid(), dx, edx);
                }
            } finally {
                for (DeviceBuffer b : new DeviceBuffer[] {bx, by, bg, bdx}) launcher.free(b);
            }
        }
    }

    @Test void everyModeGivesTheSameResult() {
        int n = 517;
        float[] x = inputs(n);
        float[][] results = new float[EmulatorMode.values().length][];
        for (EmulatorMode mode : EmulatorMode.values()) {
            try (EmulatedLauncher l = Emulator.open(mode)) {
                DeviceBuffer bx = l.allocate(n * 4L), by = l.allocate(n * 4L);
                l.write(bx, 0, x, 0, n);
                l.launch(ActivationKernels.forward(Activation.gelu(), ActivationKernels.Variant.VEC4, bx, by, n, "gelu"));
                results[mode.ordinal()] = new float[n];
                l.read(by, 0, results[mode.ordinal()], 0, n);
            }
        }
        for (int m = 1; m < results.length; m++) {
            for (int i = 0; i < n; i++) assertEquals(results[0][i], results[m][i], 0f, EmulatorMode.values()[m] + " at " + i);
        }
    }

    @Test void launchErrorsNameTheKernelAndWhatIsWrong() {
        DeviceBuffer b = launcher.allocate(64);
        try {
            KernelArgs tooFew = KernelArgs.builder().pointer(b).pointer(b).int64(16).build();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> launcher.launch(
                    new KernelLaunch("test", "jk_act_fwd_vec4_relu", Dim3.of(1), Dim3.of(32), 0, tooFew)));
            assertTrue(e.getMessage().contains("jk_act_fwd_vec4_relu") && e.getMessage().contains("takes 5 arguments, got 3"), e.getMessage());

            KernelArgs wrongType = KernelArgs.builder().pointer(b).pointer(b).int32(16).float32(0f).float32(0f).build();
            e = assertThrows(IllegalStateException.class, () -> launcher.launch(
                    new KernelLaunch("test", "jk_act_fwd_vec4_relu", Dim3.of(1), Dim3.of(32), 0, wrongType)));
            assertTrue(e.getMessage().contains("argument 2 is 8 bytes in the kernel, 4 bytes given"), e.getMessage());

            KernelArgs ok = KernelArgs.builder().pointer(b).pointer(b).int64(16).float32(0f).float32(0f).build();
            e = assertThrows(IllegalStateException.class, () -> launcher.launch(
                    new KernelLaunch("test", "jk_no_such_kernel", Dim3.of(1), Dim3.of(32), 0, ok)));
            assertTrue(e.getMessage().contains("no kernel named 'jk_no_such_kernel'"), e.getMessage());

            // A by-value struct is size-checked like any argument: jk::Epilogue is 64 bytes.
            KernelArgs notAnEpilogue = KernelArgs.builder().int32(1).int32(1).int32(1).pointer(b).int32(1).int32(0)
                    .pointer(b).int32(1).int32(0).pointer(b).int32(1).int64(0).build();
            e = assertThrows(IllegalStateException.class, () -> launcher.launch(
                    new KernelLaunch("test", "jk_gemm_naive", Dim3.of(1), Dim3.of(32, 8), 0, notAnEpilogue)));
            assertTrue(e.getMessage().contains("argument 11 is 64 bytes in the kernel, 8 bytes given"), e.getMessage());
        } finally {
            launcher.free(b);
        }
    }

    @Test void gridCoversTheWorkOnceAndIsCapped() {
        assertEquals(Dim3.of(1), ActivationKernels.grid(1, ActivationKernels.Variant.VEC4));
        assertEquals(Dim3.of(1), ActivationKernels.grid(1024, ActivationKernels.Variant.VEC4));
        assertEquals(Dim3.of(2), ActivationKernels.grid(1025, ActivationKernels.Variant.VEC4));
        assertEquals(Dim3.of(5), ActivationKernels.grid(1025, ActivationKernels.Variant.SCALAR));
        assertEquals(Dim3.of(ActivationKernels.MAX_BLOCKS), ActivationKernels.grid(1L << 40, ActivationKernels.Variant.VEC4));
    }
}
