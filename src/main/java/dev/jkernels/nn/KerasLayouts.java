package dev.jkernels.nn;

/**
 * Converts weights and images between Keras's (TensorFlow's) layouts and PyTorch's, which the layers
 * use. All arrays are row-major; every method returns a new array and checks the length.
 *
 * <table>
 *   <caption>layouts</caption>
 *   <tr><th>what</th><th>Keras</th><th>PyTorch / jkernels</th></tr>
 *   <tr><td>Dense / Linear weight</td><td>kernel {@code [in, out]}</td><td>weight {@code [out, in]}</td></tr>
 *   <tr><td>Conv2D / Conv2d weight</td><td>kernel {@code [R, S, C/groups, K]}</td><td>weight {@code [K, C/groups, R, S]}</td></tr>
 *   <tr><td>image batch</td><td>{@code [N, H, W, C]} (channels_last)</td><td>{@code [N, C, H, W]}</td></tr>
 * </table>
 *
 * Biases are {@code [out]} / {@code [K]} in both.
 */
public final class KerasLayouts {
    private KerasLayouts() {}

    /** Keras Dense kernel {@code [in, out]} → Linear weight {@code [out, in]}. */
    public static float[] denseKernelToLinear(float[] kernel, int in, int out) {
        check("kernel", kernel, "[in, out] = [" + in + ", " + out + "]", in, out);
        float[] w = new float[kernel.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) w[o * in + i] = kernel[i * out + o];
        }
        return w;
    }

    /** Linear weight {@code [out, in]} → Keras Dense kernel {@code [in, out]}. */
    public static float[] linearToDenseKernel(float[] weight, int in, int out) {
        check("weight", weight, "[out, in] = [" + out + ", " + in + "]", in, out);
        float[] k = new float[weight.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) k[i * out + o] = weight[o * in + i];
        }
        return k;
    }

    /**
     * Keras Conv2D kernel {@code [R, S, C, K]} → Conv2d weight {@code [K, C, R, S]}; {@code c} is the
     * channels per group (the input channels when groups = 1).
     */
    public static float[] conv2dKernelToPyTorch(float[] kernel, int r, int s, int c, int k) {
        check("kernel", kernel, "[R, S, C, K] = [" + r + ", " + s + ", " + c + ", " + k + "]", r, s, c, k);
        float[] w = new float[kernel.length];
        for (int y = 0; y < r; y++)
            for (int x = 0; x < s; x++)
                for (int ch = 0; ch < c; ch++)
                    for (int f = 0; f < k; f++)
                        w[((f * c + ch) * r + y) * s + x] = kernel[((y * s + x) * c + ch) * k + f];
        return w;
    }

    /** Conv2d weight {@code [K, C, R, S]} → Keras Conv2D kernel {@code [R, S, C, K]}. */
    public static float[] pyTorchToConv2dKernel(float[] weight, int k, int c, int r, int s) {
        check("weight", weight, "[K, C, R, S] = [" + k + ", " + c + ", " + r + ", " + s + "]", k, c, r, s);
        float[] out = new float[weight.length];
        for (int f = 0; f < k; f++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < r; y++)
                    for (int x = 0; x < s; x++)
                        out[((y * s + x) * c + ch) * k + f] = weight[((f * c + ch) * r + y) * s + x];
        return out;
    }

    /** An image batch {@code [N, H, W, C]} → {@code [N, C, H, W]}. */
    public static float[] nhwcToNchw(float[] x, int n, int h, int w, int c) {
        check("x", x, "[N, H, W, C] = [" + n + ", " + h + ", " + w + ", " + c + "]", n, h, w, c);
        float[] out = new float[x.length];
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                    for (int ch = 0; ch < c; ch++)
                        out[((i * c + ch) * h + y) * w + xx] = x[((i * h + y) * w + xx) * c + ch];
        return out;
    }

    /** An image batch {@code [N, C, H, W]} → {@code [N, H, W, C]}. */
    public static float[] nchwToNhwc(float[] x, int n, int c, int h, int w) {
        check("x", x, "[N, C, H, W] = [" + n + ", " + c + ", " + h + ", " + w + "]", n, c, h, w);
        float[] out = new float[x.length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                        out[((i * h + y) * w + xx) * c + ch] = x[((i * c + ch) * h + y) * w + xx];
        return out;
    }

    private static void check(String name, float[] a, String shape, int... dims) {
        if (a == null) throw new IllegalArgumentException(name + " must not be null");
        long n = 1;
        for (int d : dims) {
            if (d < 1) throw new IllegalArgumentException(name + ": every dimension of " + shape + " must be >= 1");
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(name + ": shape " + shape + " holds more than 2^63-1 floats", e);
            }
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": shape " + shape + " needs " + n
                    + " floats, more than one Java array holds (2^31-1); got " + a.length);
        }
        if (a.length != n) {
            throw new IllegalArgumentException(name + ": shape " + shape + " needs " + n + " floats, got " + a.length);
        }
    }
}
