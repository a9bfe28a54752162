package dev.jkernels.nn;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Seeded uniform weight initialisers. Each draws weights from U(−w, w) and the bias from U(−b, b)
 * (b = 0 means zeros), with the bounds below. fan_in and fan_out are PyTorch's and Keras's alike:
 * Linear [out, in]: fan_in = in, fan_out = out; Conv2d [K, C/groups, R, S]: fan_in = (C/groups)·R·S,
 * fan_out = K·R·S.
 *
 * <table>
 *   <caption>bounds</caption>
 *   <tr><th>initialiser</th><th>weight bound w</th><th>bias bound b</th><th>matches</th></tr>
 *   <tr><td>{@link #pytorchDefault()}</td><td>1/√fan_in (Kaiming-uniform with a = √5)</td>
 *       <td>1/√fan_in</td><td>{@code torch.nn.Linear}/{@code Conv2d}'s {@code reset_parameters}</td></tr>
 *   <tr><td>{@link #kerasDefault()}</td><td>√(6/(fan_in + fan_out)) (Glorot-uniform)</td><td>0</td>
 *       <td>Keras {@code Dense}/{@code Conv2D} defaults: {@code glorot_uniform}, {@code zeros}</td></tr>
 *   <tr><td>{@link #kaimingUniform(double)}</td><td>√(6/((1 + a²)·fan_in))</td><td>0</td>
 *       <td>{@code torch.nn.init.kaiming_uniform_(w, a, mode='fan_in')} then {@code zeros_(b)}</td></tr>
 *   <tr><td>{@link #glorotUniform()}</td><td>√(6/(fan_in + fan_out))</td><td>0</td>
 *       <td>{@code torch.nn.init.xavier_uniform_}, Keras {@code GlorotUniform}</td></tr>
 * </table>
 *
 * <p>The distributions match; the random streams do not (this uses {@link SplittableRandom}), so the
 * same seed gives the same weights here every time, not the same weights as PyTorch or Keras.
 */
public final class Initializer {
    private static final AtomicLong DEFAULT_SEEDS = new AtomicLong(0x6a6b65726e656c73L);

    private final String name;
    private final double kaimingA;   // NaN for Glorot
    private final boolean biasFromFanIn;

    private Initializer(String name, double kaimingA, boolean biasFromFanIn) {
        this.name = name;
        this.kaimingA = kaimingA;
        this.biasFromFanIn = biasFromFanIn;
    }

    /** PyTorch's default for Linear and Conv2d: w = b = 1/√fan_in. */
    public static Initializer pytorchDefault() { return new Initializer("pytorch_default", Math.sqrt(5), true); }

    /** Keras's default for Dense and Conv2D: Glorot-uniform weights, zero bias. */
    public static Initializer kerasDefault() { return new Initializer("keras_default", Double.NaN, false); }

    /** Kaiming (He) uniform for ReLU: a = 0, w = √(6/fan_in); zero bias. */
    public static Initializer kaimingUniform() { return kaimingUniform(0); }

    /** Kaiming (He) uniform for a leaky slope {@code a}: w = √(6/((1 + a²)·fan_in)); zero bias. */
    public static Initializer kaimingUniform(double a) {
        if (!Double.isFinite(a)) throw new IllegalArgumentException("kaimingUniform: a must be finite, got " + a);
        return new Initializer("kaiming_uniform(a=" + a + ")", a, false);
    }

    /** Glorot (Xavier) uniform: w = √(6/(fan_in + fan_out)); zero bias. */
    public static Initializer glorotUniform() { return new Initializer("glorot_uniform", Double.NaN, false); }

    /** The weight bound w. */
    public double weightBound(int fanIn, int fanOut) {
        checkFans(fanIn, fanOut);
        if (Double.isNaN(kaimingA)) return Math.sqrt(6.0 / ((double) fanIn + fanOut));
        return Math.sqrt(6.0 / ((1 + kaimingA * kaimingA) * fanIn));
    }

    /** The bias bound b (0: zeros). */
    public double biasBound(int fanIn, int fanOut) {
        checkFans(fanIn, fanOut);
        return biasFromFanIn ? 1.0 / Math.sqrt(fanIn) : 0.0;
    }

    /**
     * Fills {@code weight} from U(−w, w), then {@code bias} (may be null) from U(−b, b), from one
     * stream seeded with {@code seed}.
     */
    public void fill(float[] weight, float[] bias, int fanIn, int fanOut, long seed) {
        if (weight == null) throw new IllegalArgumentException("weight must not be null");
        double w = weightBound(fanIn, fanOut);
        double b = biasBound(fanIn, fanOut);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < weight.length; i++) weight[i] = uniform(rng, w);
        if (bias != null) {
            for (int i = 0; i < bias.length; i++) bias[i] = b == 0 ? 0f : uniform(rng, b);
        }
    }

    /** U(−bound, bound) rounded to float, clamped so rounding never leaves the interval. */
    private static float uniform(SplittableRandom rng, double bound) {
        float v = (float) ((2 * rng.nextDouble() - 1) * bound);
        float fb = (float) bound;
        if (fb > bound) fb = Math.nextDown(fb);
        return Math.max(-fb, Math.min(fb, v));
    }

    private static void checkFans(int fanIn, int fanOut) {
        if (fanIn < 1 || fanOut < 1) {
            throw new IllegalArgumentException("fan_in and fan_out must be >= 1, got " + fanIn + " and " + fanOut);
        }
    }

    /** The seed a layer built without one gets: successive layers get successive, distinct seeds. */
    static long nextDefaultSeed() {
        long z = DEFAULT_SEEDS.getAndAdd(0x9e3779b97f4a7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override public String toString() { return name; }
}
