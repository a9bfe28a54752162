package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Precision;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A residual block: {@code act(main(x) + shortcut(x))}, the shortcut the identity or its own layers
 * (ResNet's 1×1 conv + BN projection). {@link #basic} builds ResNet's basic block.
 *
 * <p>Both paths are {@link Sequential}s planned under the policy of the {@code Sequential} that
 * holds the block: under {@link FusionPolicy#AUTO} each conv + BN (+ ReLU) of a path is one launch
 * (BN folded into the weights), and the sum and the activation run in the epilogue of the main
 * path's last convolution: a basic block with an identity shortcut is two launches. Under
 * {@link FusionPolicy#NONE} every op is its own launch (conv, BN, ReLU, ..., add, ReLU).
 * Alone ({@link #forward}) it runs under AUTO.
 */
public final class ResidualBlock implements Layer {
    private final Sequential main;
    private final Sequential shortcut; // null: identity
    private final Activation activation;

    /** {@code act(main(x) + shortcut(x))}; {@code shortcut} null or empty for the identity. */
    public ResidualBlock(List<? extends Layer> main, List<? extends Layer> shortcut, Activation activation) {
        if (main == null || main.isEmpty()) throw new IllegalArgumentException("ResidualBlock: the main path needs at least one layer");
        if (activation == null) throw new IllegalArgumentException("ResidualBlock: activation must not be null (use Activation.identity())");
        this.main = new Sequential(main);
        this.shortcut = shortcut == null || shortcut.isEmpty() ? null : new Sequential(shortcut);
        if (this.shortcut != null) {
            for (Layer l : shortcut) {
                for (Layer m : main) {
                    if (l == m) throw new IllegalArgumentException("ResidualBlock: layer " + l.name() + " is on both paths; use two layers");
                }
            }
        }
        this.activation = activation;
    }

    /**
     * ResNet's basic block (torchvision {@code BasicBlock}): conv3×3(stride) → BN → ReLU → conv3×3 →
     * BN, plus the identity, or conv1×1(stride) → BN when the stride or the channel count changes;
     * ReLU after the sum. Convs without bias, as in torchvision. Its convs take the backend's conv
     * precision (docs/precision.md).
     */
    public static ResidualBlock basic(int inChannels, int outChannels, int stride, Layout layout) {
        return basic(inChannels, outChannels, stride, layout, null);
    }

    /**
     * {@link #basic(int, int, int, Layout)} with every conv of the block (both paths) in
     * {@code precision}; null leaves it to the backend's conv default.
     */
    public static ResidualBlock basic(int inChannels, int outChannels, int stride, Layout layout, Precision precision) {
        List<Layer> m = List.of(
                Conv2d.builder(inChannels, outChannels, 3).stride(stride).padding(1).bias(false).layout(layout).precision(precision).build(),
                new BatchNorm2d(outChannels, 1e-5f, layout), new ReLU(),
                Conv2d.builder(outChannels, outChannels, 3).padding(1).bias(false).layout(layout).precision(precision).build(),
                new BatchNorm2d(outChannels, 1e-5f, layout));
        List<Layer> s = stride != 1 || inChannels != outChannels
                ? List.of(Conv2d.builder(inChannels, outChannels, 1).stride(stride).bias(false).layout(layout).precision(precision).build(),
                          new BatchNorm2d(outChannels, 1e-5f, layout))
                : List.of();
        return new ResidualBlock(m, s, Activation.relu());
    }

    public Sequential mainPath() { return main; }

    /** The shortcut's layers, or null for the identity. */
    public Sequential shortcut() { return shortcut; }

    public Activation activation() { return activation; }

    @Override public String name() {
        return "ResidualBlock(" + main.layers().size() + " layers" + (shortcut == null ? ", identity shortcut"
                : ", shortcut of " + shortcut.layers().size()) + (activation.isIdentity() ? "" : ", " + activation) + ")";
    }

    @Override public Shape outputShape(Shape input) {
        Shape m = main.outputShape(input);
        Shape s = shortcut == null ? input : shortcut.outputShape(input);
        if (!m.equals(s)) {
            throw new IllegalArgumentException("the main path gives " + m + " but the " + (shortcut == null ? "identity " : "")
                    + "shortcut gives " + s + " for input " + input + " (add a projection shortcut)");
        }
        return m;
    }

    @Override public Layout outputLayout(Layout input) {
        Layout l = main.outputLayout(input);
        if (shortcut != null) shortcut.outputLayout(input);
        return l;
    }

    @Override public Tensor forward(Tensor input) { return forwardWith(input, FusionPolicy.AUTO); }

    /** The block under {@code policy}; a new tensor the caller owns. */
    Tensor forwardWith(Tensor input, FusionPolicy policy) {
        if (input == null) throw new IllegalArgumentException(name() + ": input must not be null");
        input.ensureOpen("input");
        try {
            outputShape(input.shape());
            outputLayout(input.layout());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name() + ": " + e.getMessage(), e);
        }
        Tensor s = shortcut == null ? input : shortcut.run(input, policy, null, null);
        try {
            return main.run(input, policy, s, activation);
        } finally {
            if (s != input) s.close();
        }
    }

    /** The launches this block makes under {@code policy}. */
    int launches(FusionPolicy policy) {
        List<Sequential.Step> m = main.plan(null, policy);
        long n = Sequential.launchCount(m, policy);
        if (shortcut != null) n += Sequential.launchCount(shortcut.plan(null, policy), policy);
        if (!Sequential.fusesResidual(m, policy)) n += 1 + (activation.isIdentity() ? 0 : 1);
        return (int) n;
    }

    /** The block's plan as text lines, launches numbered from {@code first}. */
    List<String> describeLines(Shape input, FusionPolicy policy, int first) {
        List<String> lines = new ArrayList<>();
        int launch = first;
        if (shortcut != null) {
            lines.add("shortcut:");
            for (Sequential.Step st : shortcut.plan(input, policy)) lines.add("  " + renumber(st, launch, shortcut, policy));
            launch += Sequential.launchCount(shortcut.plan(null, policy), policy);
        } else {
            lines.add("shortcut: identity (no launch)");
        }
        lines.add("main:");
        List<Sequential.Step> m = main.plan(input, policy);
        boolean fused = Sequential.fusesResidual(m, policy);
        for (int i = 0; i < m.size(); i++) {
            String l = "  " + renumber(m.get(i), launch, main, policy);
            if (fused && i == m.size() - 1) {
                l += "  + residual, " + (activation.isIdentity() ? "" : activation + " ") + "in the epilogue";
            }
            lines.add(l);
        }
        launch += Sequential.launchCount(main.plan(null, policy), policy);
        if (!fused) {
            lines.add((launch++) + ": add (main + shortcut)");
            if (!activation.isIdentity()) lines.add((launch) + ": activation(" + activation + ")");
        }
        return lines;
    }

    private static String renumber(Sequential.Step st, int offset, Sequential owner, FusionPolicy policy) {
        String s = st.toString();
        if (st.launch() >= 0 && s.startsWith("launch " + st.launch() + ":")) {
            s = (offset + st.launch()) + ":" + s.substring(("launch " + st.launch() + ":").length());
        }
        return s;
    }

    @Override public ResidualBlock to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException(name() + ": backend must not be null");
        main.to(backend);
        if (shortcut != null) {
            try {
                shortcut.to(backend);
            } catch (RuntimeException | Error e) {
                main.close();
                throw e;
            }
        }
        return this;
    }

    @Override public void close() {
        try {
            main.close();
        } finally {
            if (shortcut != null) shortcut.close();
        }
    }

    @Override public String toString() { return name(); }
}
