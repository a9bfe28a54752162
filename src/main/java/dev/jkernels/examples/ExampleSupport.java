package dev.jkernels.examples;

import dev.jkernels.Backend;
import dev.jkernels.Backends;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/** What the example mains share: picking the backend from an argument, data, printing. */
final class ExampleSupport {
    private ExampleSupport() {}

    /** {@code cpu}, {@code cuda}/{@code cuda:N}, {@code emulated}, or (no argument) {@link Backends#auto()}. */
    static Backend backend(String[] args) {
        if (args.length == 0 || args[0].isBlank()) {
            Backend b = Backends.auto();
            System.out.println("backend: " + b.description() + " (Backends.auto())");
            return b;
        }
        String name = args[0].trim().toLowerCase(Locale.ROOT);
        Backend b;
        if (name.equals("cpu")) b = Backends.cpu();
        else if (name.equals("emulated")) b = Backends.emulated();
        else if (name.equals("cuda")) b = Backends.cuda(0);
        else if (name.startsWith("cuda:")) b = Backends.cuda(Integer.parseInt(name.substring(5)));
        else throw new IllegalArgumentException("backend: expected cpu, cuda, cuda:N or emulated, got '" + args[0] + "'");
        System.out.println("backend: " + b.description() + " (asked for " + name + ")");
        return b;
    }

    /** Standard-normal floats, like {@code torch.randn}, from a seed. */
    static float[] randn(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i += 2) {
            // Box–Muller: two normals from two uniforms
            double u = 1.0 - r.nextDouble(), v = r.nextDouble();
            double m = Math.sqrt(-2 * Math.log(u));
            x[i] = (float) (m * Math.cos(2 * Math.PI * v));
            if (i + 1 < n) x[i + 1] = (float) (m * Math.sin(2 * Math.PI * v));
        }
        return x;
    }

    static String values(float[] x) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < x.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", x[i]));
        return sb.append(']').toString();
    }

    static String shape(int[] dims) { return Arrays.toString(dims); }
}
