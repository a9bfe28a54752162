package dev.jkernels.ops;

import dev.jkernels.Activation;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.Reference;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Activation forward and backward on one backend: every activation against the independent
 * reference on a dense grid plus ±90 and the kinks; backward against the reference derivative and
 * against finite differences of the backend's own forward; in-place forms; a tensor large enough
 * to take the parallel path.
 */
public abstract class AbstractActivationOpTest extends BackendTestBase {

    /** Forward of FP32 functions computed in double or with fast float intrinsics: a few ulps. */
    private static final Tolerance FORWARD = Tolerance.elementwise();
    /** f′ from a float y (sigmoid, tanh, ReLU) is quantised to float steps of y: absolute 1e-7-ish. */
    private static final Tolerance BACKWARD = new Tolerance(4e-6, 2e-5);

    List<Activation> activations() { return ActivationCatalog.all(); }

    /** A dense grid over [−12, 12], the extremes ±90 and ±1e4, the kinks, ±0 and tiny values. */
    protected float[] gridInputs() {
        List<Float> xs = new ArrayList<>();
        int steps = small() ? 480 : 2400;
        for (int i = 0; i <= steps; i++) xs.add(-12f + 24f * i / steps);
        for (float v : new float[] {-90f, 90f, -30f, 30f, -1e4f, 1e4f, -17.5f, 17.5f, 0f, -0f, 1e-30f, -1e-30f,
                1e-7f, -1e-7f, 3f, -3f, 6f, -6f, Math.nextUp(0f), Math.nextUp(6f), Math.nextDown(6f), Math.nextUp(3f),
                Math.nextDown(-3f)}) {
            xs.add(v);
        }
        float[] x = new float[xs.size()];
        for (int i = 0; i < x.length; i++) x[i] = xs.get(i);
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void forwardMatchesReference(Activation act) {
        float[] x = gridInputs();
        try (TensorScope scope = new TensorScope()) {
            Tensor tx = scope.track(backend.tensor(x, x.length));
            Tensor ty = scope.track(backend.activation(act, tx));
            float[] y = ty.toArray();
            FORWARD.assertClose(act + " forward", y, Reference.activation(act, x));
            Tolerance.assertUnchanged("x", x, tx.toArray());
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(y[i])) fail(act + "(" + x[i] + ") = " + y[i]);
            }
        }
    }

    /** sigmoid, tanh, ELU, softplus (and everything else) stay finite at ±90: no NaN, no Inf, forward or backward. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void largeMagnitudesStayFinite(Activation act) {
        float[] x = {-90f, 90f, -89.5f, 89.5f, -88.7f, 88.7f, -1000f, 1000f};
        float[] dy = {1f, 1f, -1f, -1f, 2f, 2f, 1f, 1f};
        try (TensorScope scope = new TensorScope()) {
            Tensor tx = scope.track(backend.tensor(x, 2, 4));
            Tensor ty = scope.track(backend.activation(act, tx));
            Tensor tdy = scope.track(backend.tensor(dy, 2, 4));
            Tensor tdx = scope.track(backend.zeros(2, 4));
            Tensor saved = act.kind().backwardInput() == Activation.BackwardInput.INPUT ? tx : ty;
            backend.activationBackward(act, saved, tdy, tdx);
            float[] y = ty.toArray(), dx = tdx.toArray();
            for (int i = 0; i < x.length; i++) {
                assertTrue(Float.isFinite(y[i]), act + "(" + x[i] + ") = " + y[i]);
                assertTrue(Float.isFinite(dx[i]), act + "'(" + x[i] + ") gave dx = " + dx[i]);
            }
            FORWARD.assertClose(act + " at large |x|", y, Reference.activation(act, x));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void backwardMatchesReferenceDerivative(Activation act) {
        float[] x = gridInputs();
        float[] dy = RandomData.uniform(RandomData.seedOf(act, 21), x.length, -2f, 2f);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) expected[i] = dy[i] * Reference.derivative(act, x[i]);
        try (TensorScope scope = new TensorScope()) {
            Tensor tx = scope.track(backend.tensor(x, x.length));
            Tensor ty = scope.track(backend.activation(act, tx));
            Tensor saved = act.kind().backwardInput() == Activation.BackwardInput.INPUT ? tx : ty;
            float[] savedBefore = saved.toArray();
            Tensor tdy = scope.track(backend.tensor(dy, x.length));
            Tensor tdx = scope.track(backend.tensor(RandomData.uniform(7, x.length, 40f, 50f), x.length));
            backend.activationBackward(act, saved, tdy, tdx);
            BACKWARD.assertClose(act + " backward", tdx.toArray(), expected);
            Tolerance.assertUnchanged("saved", savedBefore, saved.toArray());
            Tolerance.assertUnchanged("dy", dy, tdy.toArray());
        }
    }

    /**
     * dx against central differences of the backend's own forward, (f(x+h) − f(x−h)) / 2h in float
     * with h = 1/64, at random points kept 2h away from the kinks. Truncation (h²·f‴/6) and float
     * rounding of f (~1e-7·|f|/2h) stay below 1e-4 here; a wrong derivative is off by far more.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void backwardMatchesFiniteDifferences(Activation act) {
        int n = small() ? 257 : 2049;
        float h = 1f / 64;
        SplittableRandom rnd = new SplittableRandom(RandomData.seedOf(act, 31));
        float[] x = new float[n], xPlus = new float[n], xMinus = new float[n], ones = new float[n];
        for (int i = 0; i < n; i++) {
            float v;
            do {
                v = (float) (rnd.nextDouble() * 16 - 8);
            } while (nearKink(act, v, 2 * h));
            x[i] = v;
            xPlus[i] = v + h;   // exact: h is a power of two and |v| < 8
            xMinus[i] = v - h;
            ones[i] = 1f;
        }
        try (TensorScope scope = new TensorScope()) {
            Tensor tx = scope.track(backend.tensor(x, n));
            float[] yPlus = scope.track(backend.activation(act, scope.track(backend.tensor(xPlus, n)))).toArray();
            float[] yMinus = scope.track(backend.activation(act, scope.track(backend.tensor(xMinus, n)))).toArray();
            Tensor ty = scope.track(backend.activation(act, tx));
            Tensor saved = act.kind().backwardInput() == Activation.BackwardInput.INPUT ? tx : ty;
            Tensor tdx = scope.track(backend.zeros(n));
            backend.activationBackward(act, saved, scope.track(backend.tensor(ones, n)), tdx);
            double[] fd = new double[n];
            for (int i = 0; i < n; i++) fd[i] = ((double) yPlus[i] - yMinus[i]) / (2 * h);
            new Tolerance(2e-4, 2e-4).assertClose(act + " backward vs finite differences", tdx.toArray(), fd);
        }
    }

    private static boolean nearKink(Activation act, double x, double margin) {
        for (double k : Reference.kinks(act)) if (Math.abs(x - k) < margin) return true;
        return false;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void inPlaceForwardAndBackward(Activation act) {
        float[] x = RandomData.uniform(RandomData.seedOf(act, 41), 1031, -9f, 9f);
        float[] dy = RandomData.uniform(RandomData.seedOf(act, 42), 1031, -1f, 1f);
        double[] expectedY = Reference.activation(act, x);
        double[] expectedDx = new double[x.length];
        for (int i = 0; i < x.length; i++) expectedDx[i] = dy[i] * Reference.derivative(act, x[i]);
        try (TensorScope scope = new TensorScope()) {
            boolean fromInput = act.kind().backwardInput() == Activation.BackwardInput.INPUT;
            Tensor t = scope.track(backend.tensor(x, 1031));
            Tensor keptX = fromInput ? scope.track(backend.tensor(x, 1031)) : null;
            backend.activation(act, t, t); // y overwrites x
            FORWARD.assertClose(act + " in-place forward", t.toArray(), expectedY);
            Tensor g = scope.track(backend.tensor(dy, 1031));
            backend.activationBackward(act, fromInput ? keptX : t, g, g); // dx overwrites dy
            BACKWARD.assertClose(act + " in-place backward", g.toArray(), expectedDx);
        }
    }

    /** Large enough that a parallel backend splits it; 4-D NHWC to check the layout is kept. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void largeTensor(Activation act) {
        int[] dims = small() ? new int[] {1, 17, 31, 5} : new int[] {3, 67, 129, 11};
        int n = dims[0] * dims[1] * dims[2] * dims[3];
        float[] x = RandomData.uniform(RandomData.seedOf(act, 51), n, -10f, 10f);
        float[] dy = RandomData.uniform(RandomData.seedOf(act, 52), n, -1f, 1f);
        double[] expectedDx = new double[n];
        for (int i = 0; i < n; i++) expectedDx[i] = dy[i] * Reference.derivative(act, x[i]);
        try (TensorScope scope = new TensorScope()) {
            Tensor tx = scope.track(backend.tensor(x, dev.jkernels.Layout.NHWC, dims));
            Tensor ty = scope.track(backend.zeros(dev.jkernels.Layout.NHWC, dims));
            backend.activation(act, tx, ty);
            FORWARD.assertClose(act + " forward", ty.toArray(), Reference.activation(act, x));
            Tensor saved = act.kind().backwardInput() == Activation.BackwardInput.INPUT ? tx : ty;
            Tensor tdx = scope.track(backend.zeros(dev.jkernels.Layout.NHWC, dims));
            backend.activationBackward(act, saved, scope.track(backend.tensor(dy, dev.jkernels.Layout.NHWC, dims)), tdx);
            BACKWARD.assertClose(act + " backward", tdx.toArray(), expectedDx);
        }
    }
}
