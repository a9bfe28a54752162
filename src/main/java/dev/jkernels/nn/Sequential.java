package dev.jkernels.nn;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Layout;
import dev.jkernels.Shape;
import dev.jkernels.Tensor;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Layers run one after another, like PyTorch's {@code nn.Sequential} and Keras's {@code Sequential},
 * with the activations folded into the launch before them.
 *
 * <p><b>Fusion</b> ({@link FusionPolicy#AUTO}, the default): each of
 * <ul>
 *   <li>a {@link Linear} or {@link Conv2d} built with an activation, and</li>
 *   <li>a Linear or Conv2d without one, directly followed by an {@link ActivationLayer}</li>
 * </ul>
 * runs as one launch: a GEMM with the bias + activation epilogue, or {@code conv2dActivation}. A layer
 * that has its own activation is never folded with a following activation layer too: that one stays a
 * launch of its own. {@link FusionPolicy#NONE} runs every activation as a separate launch. Either way
 * the results agree within FP32 rounding. {@link #describe(int...)} prints the plan.
 *
 * <p><b>Memory.</b> {@link #to(Backend)} uploads every layer's weights; {@link #close()} frees them.
 * A forward pass checks every layer's input shape before any launch, frees every intermediate tensor
 * as soon as the next step has consumed it (also when a step fails), and returns only the output.
 * Activation layers that are not folded run in place on intermediates; {@link Flatten} re-labels the
 * intermediate's memory instead of copying it.
 *
 * <p><b>Batch inference</b>: {@link #predict(float[], int...)} and
 * {@link #predict(FloatBuffer, int...)} take a host batch and its shape and return the output as a
 * {@code float[]} (its shape is {@link #outputShape(Shape)}).
 */
public final class Sequential implements Layer {

    /** What a planned step does. */
    public enum StepKind {
        /** One GEMM launch ({@link Linear}), with the bias and activation in its epilogue. */
        GEMM,
        /** One convolution launch ({@link Conv2d}): {@code conv2d}, or {@code conv2dActivation} when fused. */
        CONV2D,
        /** One element-wise activation launch. */
        ACTIVATION,
        /** {@link Flatten}: no launch, the intermediate's memory is re-labelled. */
        RESHAPE,
        /** Any other layer: its own {@code forward}, with whatever launches it makes. */
        LAYER,
        /**
         * A {@link ResidualBlock}: its own plan (main path, shortcut), the sum and the activation after it
         * fused into the main path's last convolution under {@link FusionPolicy#AUTO}.
         */
        BLOCK
    }

    /**
     * One step of the plan: the layers it covers, what it launches, and (when planned for an input
     * shape) the shapes in and out. Immutable.
     */
    public static final class Step {
        private final StepKind kind;
        private final List<Integer> layers;
        private final Activation activation;
        private final boolean builtInActivation;
        private final int launch;
        private final Shape input, output;
        private final Layer layer;
        private final BatchNorm2d foldedBn;
        /** The activation layer whose activation this step applies (folded or alone), or null. */
        private final ActivationLayer activationLayer;

        private Step(StepKind kind, List<Integer> layers, Activation activation, boolean builtInActivation,
                     int launch, Shape input, Shape output, Layer layer) {
            this(kind, layers, activation, builtInActivation, launch, input, output, layer, null, null);
        }

        private Step(StepKind kind, List<Integer> layers, Activation activation, boolean builtInActivation,
                     int launch, Shape input, Shape output, Layer layer, BatchNorm2d foldedBn,
                     ActivationLayer activationLayer) {
            this.foldedBn = foldedBn;
            this.activationLayer = activationLayer;
            this.kind = kind;
            this.layers = List.copyOf(layers);
            this.activation = activation;
            this.builtInActivation = builtInActivation;
            this.launch = launch;
            this.input = input;
            this.output = output;
            this.layer = layer;
        }

        public StepKind kind() { return kind; }

        /** The indices of the layers this step runs (two when an activation layer was folded in). */
        public List<Integer> layers() { return layers; }

        /** The activation this step applies (the epilogue's for GEMM/CONV2D; identity for none; null for RESHAPE/LAYER). */
        public Activation activation() { return activation; }

        /** True when the activation is the one the Linear/Conv2d was built with (not an activation layer's). */
        public boolean builtInActivation() { return builtInActivation; }

        /** True for a GEMM/CONV2D launch that applies a non-identity activation in its epilogue. */
        public boolean fused() {
            return (kind == StepKind.GEMM || kind == StepKind.CONV2D) && activation != null && !activation.isIdentity();
        }

        /** The {@link BatchNorm2d} folded into this CONV2D step's weights and bias, or null. */
        public BatchNorm2d foldedBatchNorm() { return foldedBn; }

        /** The launch number (0, 1, …) or −1 for a step without a launch of its own (RESHAPE). */
        public int launch() { return launch; }

        /** The input shape, or null when planned without one. */
        public Shape input() { return input; }

        /** The output shape, or null when planned without an input shape. */
        public Shape output() { return output; }

        /** The activation as it runs on {@code b}: PReLU layers bind their uploaded slopes. */
        Activation activationOn(Backend b) {
            return activationLayer == null ? activation : activationLayer.activationOn(b);
        }

        private String activationLabel() {
            return activationLayer == null ? String.valueOf(activation) : activationLayer.activationLabel();
        }

        /** The op as the backend sees it, e.g. {@code gemm(transB, bias, relu)} or {@code conv2dActivation(relu)}. */
        public String op() {
            switch (kind) {
                case GEMM: {
                    Linear l = (Linear) layer;
                    return "gemm(transB" + (l.hasBias() ? ", bias" : "") + (activation.isIdentity() ? "" : ", " + activationLabel())
                            + l.precision().map(p -> ", " + p).orElse("") + ")";
                }
                case CONV2D: return (activation.isIdentity() ? "conv2d" : "conv2dActivation(" + activationLabel() + ")")
                        + ((Conv2d) layer).precision().map(p -> " [" + p + "]").orElse("") + (foldedBn != null ? " [BN folded]" : "");
                case BLOCK: return "residual block";
                case ACTIVATION: return "activation(" + activationLabel() + ")";
                case RESHAPE: return "reshape (no launch)";
                default: return "forward(" + layer.name() + ")";
            }
        }

        @Override public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(launch >= 0 ? "launch " + launch : "no launch").append(": ").append(op()).append("  layer");
            if (layers.size() > 1) sb.append('s');
            for (int i = 0; i < layers.size(); i++) sb.append(i == 0 ? " #" : "+#").append(layers.get(i));
            if (input != null) sb.append("  ").append(input).append(" → ").append(output);
            return sb.toString();
        }
    }

    /** Sees every tensor a forward pass creates; for the leak tests. */
    interface TensorTracker {
        void created(Tensor t);

        /** {@code to} took over {@code from}'s memory; {@code from} must not be closed. */
        void moved(Tensor from, Tensor to);
    }

    private final List<Layer> layers;
    private volatile FusionPolicy fusion = FusionPolicy.AUTO;
    private volatile Backend backend;
    volatile TensorTracker tracker;

    public Sequential(Layer... layers) {
        this(layers == null ? null : Arrays.asList(layers));
    }

    public Sequential(List<? extends Layer> layers) {
        if (layers == null) throw new IllegalArgumentException("Sequential: layers must not be null");
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) == null) throw new IllegalArgumentException("Sequential: layer #" + i + " is null");
            for (int j = 0; j < i; j++) {
                if (layers.get(j) == layers.get(i)) {
                    throw new IllegalArgumentException("Sequential: layer #" + i + " (" + layers.get(i).name()
                            + ") is the same object as layer #" + j + "; use two layers");
                }
            }
        }
        this.layers = Collections.unmodifiableList(new ArrayList<>(layers));
    }

    /** Sets the fusion policy (default {@link FusionPolicy#AUTO}); returns this. */
    public Sequential fusion(FusionPolicy policy) {
        if (policy == null) throw new IllegalArgumentException("Sequential: fusion policy must not be null");
        this.fusion = policy;
        return this;
    }

    public FusionPolicy fusion() { return fusion; }

    public List<Layer> layers() { return layers; }

    public Layer layer(int index) { return layers.get(index); }

    public int size() { return layers.size(); }

    /**
     * Uploads every layer's weights to {@code backend}; {@link #predict} runs there. Returns this. If
     * an upload fails, every layer's uploaded weights are freed before the exception is rethrown.
     */
    @Override public Sequential to(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("Sequential: backend must not be null");
        try {
            for (Layer l : layers) l.to(backend);
            prepareFolds(backend);
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        this.backend = backend;
        return this;
    }

    /** The backend given to {@link #to(Backend)}, or null. */
    public Backend backend() { return backend; }

    /** Frees every layer's uploaded weights (the host weights stay). */
    @Override public void close() {
        RuntimeException first = null;
        for (Layer l : layers) {
            try {
                l.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        try {
            closeFolds();
        } catch (RuntimeException e) {
            if (first == null) first = e;
            else first.addSuppressed(e);
        }
        backend = null;
        if (first != null) throw first;
    }

    @Override public String name() {
        StringBuilder sb = new StringBuilder("Sequential(");
        for (int i = 0; i < layers.size(); i++) sb.append(i == 0 ? "" : ", ").append(layers.get(i).name());
        return sb.append(')').toString();
    }

    // ---- shapes ----------------------------------------------------------------------------------

    @Override public Shape outputShape(Shape input) { return check(input, null)[layers.size()]; }

    @Override public Layout outputLayout(Layout input) {
        Layout l = input;
        for (int i = 0; i < layers.size(); i++) {
            try {
                l = layers.get(i).outputLayout(l);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where(i) + e.getMessage(), e);
            }
        }
        return l;
    }

    /** The output shape for an input of {@code inputShape}. */
    public Shape outputShape(int... inputShape) { return outputShape(Shape.of(inputShape)); }

    /**
     * Every layer's input and output shape, checked in order before any work: element i is layer i's
     * input, the last is the model's output. With {@code layout} non-null, layouts are checked too.
     */
    private Shape[] check(Shape input, Layout layout) {
        if (input == null) throw new IllegalArgumentException("Sequential: input shape must not be null");
        Shape[] shapes = new Shape[layers.size() + 1];
        shapes[0] = input;
        Layout l = layout;
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            try {
                shapes[i + 1] = layer.outputShape(shapes[i]);
                if (l != null) l = layer.outputLayout(l);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where(i) + e.getMessage() + "; shapes so far: " + chain(shapes, i), e);
            }
        }
        return shapes;
    }

    private String where(int i) {
        Layer layer = layers.get(i);
        String type = layer.getClass().getSimpleName();
        String name = String.valueOf(layer.name());
        return "Sequential: layer #" + i + " " + name + (name.startsWith(type) ? "" : " [" + type + "]") + ": ";
    }

    private static String chain(Shape[] shapes, int upTo) {
        StringBuilder sb = new StringBuilder("input ").append(shapes[0]);
        for (int i = 0; i < upTo; i++) sb.append(" → #").append(i).append(' ').append(shapes[i + 1]);
        return sb.toString();
    }

    // ---- the plan --------------------------------------------------------------------------------

    /** The plan under the current policy, without shapes. */
    public List<Step> plan() { return plan(null); }

    /** The plan under the current policy for an input of {@code input} (checked), with every step's shapes. */
    public List<Step> plan(Shape input) { return plan(input, fusion); }

    /** The plan under {@code policy} (a {@link ResidualBlock} plans its paths under its container's policy). */
    List<Step> plan(Shape input, FusionPolicy policy) {
        Shape[] shapes = input == null ? null : check(input, null);
        List<Step> steps = new ArrayList<>();
        int launch = 0;
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            Shape in = shapes == null ? null : shapes[i];
            if (layer instanceof Linear || layer instanceof Conv2d) {
                StepKind kind = layer instanceof Linear ? StepKind.GEMM : StepKind.CONV2D;
                Activation own = layer instanceof Linear ? ((Linear) layer).activation() : ((Conv2d) layer).activation();
                Shape out = shapes == null ? null : shapes[i + 1];
                if (policy == FusionPolicy.AUTO) {
                    BatchNorm2d bn = kind == StepKind.CONV2D && i + 1 < layers.size() ? foldableBn((Conv2d) layer, layers.get(i + 1)) : null;
                    if (bn != null) {
                        // conv → BN (→ activation): one launch, BN folded into the weights and bias.
                        boolean act = own.isIdentity() && i + 2 < layers.size() && layers.get(i + 2) instanceof ActivationLayer;
                        Activation a = act ? ((ActivationLayer) layers.get(i + 2)).activation() : Activation.identity();
                        List<Integer> covered = act ? List.of(i, i + 1, i + 2) : List.of(i, i + 1);
                        Shape outN = shapes == null ? null : shapes[i + covered.size()];
                        steps.add(new Step(kind, covered, a, false, launch++, in, outN, layer, bn,
                                act ? (ActivationLayer) layers.get(i + 2) : null));
                        i += covered.size() - 1;
                    } else if (!own.isIdentity()) {
                        steps.add(new Step(kind, List.of(i), own, true, launch++, in, out, layer));
                    } else if (i + 1 < layers.size() && layers.get(i + 1) instanceof ActivationLayer) {
                        ActivationLayer next = (ActivationLayer) layers.get(i + 1);
                        Shape out2 = shapes == null ? null : shapes[i + 2];
                        steps.add(new Step(kind, List.of(i, i + 1), next.activation(), false, launch++, in, out2, layer, null, next));
                        i++;
                    } else {
                        steps.add(new Step(kind, List.of(i), own, false, launch++, in, out, layer));
                    }
                } else {
                    steps.add(new Step(kind, List.of(i), Activation.identity(), false, launch++, in, out, layer));
                    if (!own.isIdentity()) {
                        steps.add(new Step(StepKind.ACTIVATION, List.of(i), own, true, launch++, out, out, layer));
                    }
                }
            } else if (layer instanceof ActivationLayer) {
                steps.add(new Step(StepKind.ACTIVATION, List.of(i), ((ActivationLayer) layer).activation(), false,
                        launch++, in, in, layer, null, (ActivationLayer) layer));
            } else if (layer instanceof ResidualBlock) {
                ResidualBlock block = (ResidualBlock) layer;
                steps.add(new Step(StepKind.BLOCK, List.of(i), null, false, launch, in,
                        shapes == null ? null : shapes[i + 1], layer));
                launch += block.launches(policy);
            } else if (layer instanceof Flatten) {
                steps.add(new Step(StepKind.RESHAPE, List.of(i), null, false, -1, in,
                        shapes == null ? null : shapes[i + 1], layer));
            } else {
                steps.add(new Step(StepKind.LAYER, List.of(i), null, false, launch++, in,
                        shapes == null ? null : shapes[i + 1], layer));
            }
        }
        return Collections.unmodifiableList(steps);
    }

    /**
     * The BN after {@code conv} that folds into it: a {@link BatchNorm2d} of the conv's output channels
     * and layout, after a conv without a built-in activation (the activation would sit between them).
     */
    private static BatchNorm2d foldableBn(Conv2d conv, Layer next) {
        if (!(next instanceof BatchNorm2d bn)) return null;
        if (!conv.activation().isIdentity() || bn.numFeatures() != conv.outChannels() || bn.layout() != conv.layout()) return null;
        return bn;
    }

    /** The plan as text, without shapes: the layers, which were fused, and the launches. */
    public String describe() { return describe((Shape) null); }

    /** The plan as text for an input of {@code inputShape}, with every launch's shapes. */
    public String describe(int... inputShape) { return describe(Shape.of(inputShape)); }

    public String describe(Shape input) {
        List<Step> steps = plan(input);
        long launches = launchCount(steps, fusion);
        StringBuilder sb = new StringBuilder();
        sb.append("Sequential: ").append(layers.size()).append(layers.size() == 1 ? " layer" : " layers")
                .append(", fusion ").append(fusion).append(", ").append(launches).append(launches == 1 ? " launch" : " launches");
        if (input != null) sb.append(", input ").append(input);
        sb.append('\n').append("layers:\n");
        int width = 1; // a %-0s format is an error: a layer may be named ""
        for (Layer l : layers) width = Math.max(width, String.valueOf(l.name()).length());
        for (int i = 0; i < layers.size(); i++) {
            Step s = stepOf(steps, i);
            sb.append(String.format("  #%-3d %-" + width + "s  ", i, layers.get(i).name())).append(layerNote(s, i)).append('\n');
        }
        sb.append("launches:\n");
        int opWidth = 1, layersWidth = 1;
        for (Step s : steps) {
            opWidth = Math.max(opWidth, s.op().length());
            layersWidth = Math.max(layersWidth, layerList(s).length());
        }
        for (Step s : steps) {
            String line = "  " + (s.launch() >= 0 ? String.format("%-3d", s.launch()) : " - ") + ' '
                    + String.format("%-" + opWidth + "s  %-" + layersWidth + "s  ", s.op(), layerList(s)) + operands(s);
            sb.append(line.stripTrailing()).append('\n');
            if (s.kind() == StepKind.BLOCK) {
                for (String l : ((ResidualBlock) s.layer).describeLines(s.input(), fusion, s.launch())) sb.append("        ").append(l).append('\n');
            }
        }
        return sb.toString();
    }

    /** The launches a plan makes (a residual block makes several). */
    static long launchCount(List<Step> steps, FusionPolicy policy) {
        long n = 0;
        for (Step s : steps) {
            if (s.kind() == StepKind.BLOCK) n += ((ResidualBlock) s.layer).launches(policy);
            else if (s.launch() >= 0) n++;
        }
        return n;
    }

    private static String layerList(Step s) {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < s.layers().size(); j++) sb.append(j == 0 ? "#" : "+#").append(s.layers().get(j));
        return sb.toString();
    }

    /** The step that runs layer {@code layer} (the GEMM/conv step when its built-in activation runs apart). */
    private static Step stepOf(List<Step> steps, int layer) {
        for (Step s : steps) if (s.layers().contains(layer)) return s;
        throw new AssertionError("layer " + layer + " not in the plan");
    }

    private String layerNote(Step s, int i) {
        switch (s.kind()) {
            case GEMM:
            case CONV2D: {
                if (s.foldedBatchNorm() != null) {
                    int conv = s.layers().get(0);
                    if (conv == i) {
                        return "launch " + s.launch() + ", BN #" + s.layers().get(1) + " folded into its weights and bias"
                                + (s.layers().size() == 3 ? ", #" + s.layers().get(2) + " (" + s.activationLabel() + ") in the epilogue" : "");
                    }
                    return s.layers().get(1) == i ? "folded into #" + conv + "'s weights and bias (no launch)"
                            : "launch " + s.launch() + ", folded into #" + conv + " (" + s.activationLabel() + " in the epilogue)";
                }
                if (s.layers().size() == 2) {
                    return s.layers().get(0) == i
                            ? "launch " + s.launch() + ", fused with #" + s.layers().get(1) + " (" + s.activationLabel() + " in the epilogue)"
                            : "launch " + s.launch() + ", folded into #" + s.layers().get(0);
                }
                if (s.fused()) return "launch " + s.launch() + ", built-in " + s.activation() + " fused into the epilogue";
                Activation own = layers.get(i) instanceof Linear ? ((Linear) layers.get(i)).activation() : ((Conv2d) layers.get(i)).activation();
                if (!own.isIdentity()) return "launch " + s.launch() + ", then launch " + (s.launch() + 1) + " for its " + own + " (not fused)";
                return "launch " + s.launch();
            }
            case ACTIVATION: return "launch " + s.launch() + " (not fused)";
            case RESHAPE: return "no launch (re-labels the intermediate)";
            case BLOCK: {
                int n = ((ResidualBlock) s.layer).launches(fusion);
                return (n == 1 ? "launch " + s.launch() : "launches " + s.launch() + "–" + (s.launch() + n - 1)) + " (residual block, below)";
            }
            default: return "launch " + s.launch() + " (runs its own forward)";
        }
    }

    private static String operands(Step s) {
        switch (s.kind()) {
            case GEMM: {
                Linear l = (Linear) s.layer;
                String w = "W" + l.weightShape() + "ᵀ" + (l.hasBias() ? " + b[" + l.outFeatures() + "]" : "");
                return s.input() == null ? "x·" + w : "x" + s.input() + " · " + w + " → " + s.output();
            }
            case CONV2D: {
                Conv2d c = (Conv2d) s.layer;
                String w = "W" + c.weightShape() + (c.hasBias() ? " + b[" + c.outChannels() + "]" : "");
                String geo = "stride " + c.spec().strideH() + "x" + c.spec().strideW() + ", padding " + c.spec().padding()
                        + (c.spec().dilationH() * c.spec().dilationW() != 1 ? ", dilation " + c.spec().dilationH() + "x" + c.spec().dilationW() : "")
                        + (c.groups() != 1 ? ", groups " + c.groups() : "") + ", " + c.layout();
                return (s.input() == null ? "x ⊛ " + w : "x" + s.input() + " ⊛ " + w + " → " + s.output()) + " (" + geo + ")";
            }
            case ACTIVATION:
            case RESHAPE:
            case LAYER:
            default:
                return s.input() == null ? "" : s.input() + " → " + s.output();
        }
    }

    // ---- running ---------------------------------------------------------------------------------

    /**
     * Runs the plan on {@code input}'s backend and returns the output (the caller closes it). Every
     * layer's shape and layout is checked first; intermediates are freed as soon as they are consumed.
     *
     * @throws IllegalArgumentException naming the layer's index, type and expected/actual shapes
     * @throws IllegalStateException when weights are not on the input's backend
     */
    @Override public Tensor forward(Tensor input) { return run(input, fusion, null, null); }

    /**
     * The forward pass under {@code policy}, then {@code act(· + residual)} when {@code residual} is not
     * null (a {@link ResidualBlock}'s main path): under AUTO, when the plan ends in a convolution
     * without an activation of its own, the sum and the activation run in that convolution's epilogue
     * (one launch); otherwise as an add and an activation launch after the plan.
     */
    Tensor run(Tensor input, FusionPolicy policy, Tensor residual, Activation tailActivation) {
        if (input == null) throw new IllegalArgumentException("Sequential: input must not be null");
        input.ensureOpen("input");
        check(input.shape(), input.layout());
        Backend b = input.backend();
        List<Step> steps = plan(null, policy);
        TensorTracker t = tracker;
        Activation tail = tailActivation == null ? Activation.identity() : tailActivation;
        boolean fuseTail = residual != null && fusesResidual(steps, policy);
        if (steps.isEmpty()) {
            Tensor out = created(t, residual == null ? b.copyOf(input) : b.add(input, residual));
            return residual == null ? out : finishResidual(b, out, null, tail);
        }
        Tensor cur = input;
        boolean owned = false;
        try {
            for (int si = 0; si < steps.size(); si++) {
                Step s = steps.get(si);
                Tensor next;
                boolean moved = false;
                switch (s.kind()) {
                    case GEMM: next = ((Linear) s.layer).forwardWith(cur, s.activationOn(b)); break;
                    case CONV2D: {
                        Conv2d conv = s.foldedBatchNorm() == null ? (Conv2d) s.layer
                                : folded((Conv2d) s.layer, s.foldedBatchNorm(), b);
                        next = fuseTail && si == steps.size() - 1 ? conv.forwardWith(cur, tail, residual)
                                : conv.forwardWith(cur, s.activationOn(b));
                        break;
                    }
                    case ACTIVATION:
                        if (owned) {
                            b.activation(s.activationOn(b), cur, cur);
                            next = cur;
                        } else {
                            next = b.activation(s.activationOn(b), cur);
                        }
                        break;
                    case RESHAPE:
                        if (owned) {
                            next = Flatten.flattenInPlace(cur, s.layer.outputShape(cur.shape()));
                            moved = true;
                        } else {
                            next = s.layer.forward(cur);
                        }
                        break;
                    case BLOCK: next = ((ResidualBlock) s.layer).forwardWith(cur, policy); break;
                    default:
                        if (owned && s.layer instanceof BatchNorm2d bn) {
                            bn.forwardInPlace(cur);
                            next = cur;
                        } else if (owned && s.layer instanceof Softmax sm) {
                            sm.forwardInPlace(cur);
                            next = cur;
                        } else {
                            next = s.layer.forward(cur);
                        }
                        // A layer that hands back its input must not make us close the caller's tensor.
                        if (next == cur && !owned) next = b.copyOf(cur);
                        break;
                }
                if (next != cur) {
                    if (moved) {
                        if (t != null) t.moved(cur, next);
                    } else {
                        created(t, next);
                        if (owned) cur.close();
                    }
                }
                cur = next;
                owned = true;
            }
            return residual == null || fuseTail ? cur : finishResidual(b, cur, residual, tail);
        } catch (RuntimeException | Error e) {
            if (owned) cur.close();
            throw e;
        }
    }

    /** True when the plan's last step is a conv that can take the residual sum and activation in its epilogue. */
    static boolean fusesResidual(List<Step> steps, FusionPolicy policy) {
        if (policy != FusionPolicy.AUTO || steps.isEmpty()) return false;
        Step last = steps.get(steps.size() - 1);
        return last.kind() == StepKind.CONV2D && last.activation().isIdentity();
    }

    /** {@code out = act(out + residual)} in place on an owned intermediate (residual null: already added). */
    private static Tensor finishResidual(Backend b, Tensor out, Tensor residual, Activation act) {
        try {
            if (residual != null) b.add(out, residual, out);
            if (!act.isIdentity()) b.activation(act, out, out);
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    // ---- batch norm folding ------------------------------------------------------------------------

    /** A conv with a BN folded in, on one backend, made from these versions of the two layers' weights. */
    private record Folded(Conv2d conv, long convVersion, long bnVersion, Backend backend) {}

    private final java.util.Map<Conv2d, Folded> folds = new java.util.IdentityHashMap<>();

    /**
     * The conv with {@code bn} folded into its weights and bias ({@code W' = W·γ/σ},
     * {@code b' = (b − μ)·γ/σ + β}), uploaded to {@code backend}: made once (by {@link #to} or the
     * first forward pass) and remade only when either layer's weights change.
     */
    Conv2d folded(Conv2d conv, BatchNorm2d bn, Backend backend) {
        synchronized (folds) {
            Folded f = folds.get(conv);
            if (f != null && f.convVersion == conv.weightsVersion() && f.bnVersion == bn.version() && f.backend == backend
                    && f.conv.backend() == backend) {
                return f.conv;
            }
            Conv2d copy = foldedCopy(conv, bn);
            copy.to(backend);
            if (f != null) f.conv.close();
            folds.put(conv, new Folded(copy, conv.weightsVersion(), bn.version(), backend));
            return copy;
        }
    }

    /** The folded convolution's host weights, computed in double. */
    static Conv2d foldedCopy(Conv2d conv, BatchNorm2d bn) {
        double[][] ss = bn.scaleShift();
        float[] w = conv.weight(), b = conv.bias();
        int k = conv.outChannels(), per = w.length / k;
        float[] w2 = new float[w.length], b2 = new float[k];
        for (int o = 0; o < k; o++) {
            for (int j = 0; j < per; j++) w2[o * per + j] = (float) (w[o * per + j] * ss[0][o]);
            b2[o] = (float) ((b == null ? 0 : b[o]) * ss[0][o] + ss[1][o]);
        }
        dev.jkernels.Conv2dSpec sp = conv.spec();
        Conv2d copy = Conv2d.builder(conv.inChannels(), conv.outChannels(), conv.kernelH(), conv.kernelW())
                .stride(sp.strideH(), sp.strideW()).padding(sp.padding()).dilation(sp.dilationH(), sp.dilationW())
                .groups(sp.groups()).bias(true).layout(sp.layout()).precision(sp.precision().orElse(null))
                .allowPrecisionFallback(sp.allowsPrecisionFallback()).build();
        return copy.setWeights(w2, b2);
    }

    /** Folds every conv+BN pair of the AUTO plan onto {@code backend} now (at build time, not in a forward pass). */
    private void prepareFolds(Backend backend) {
        for (Step s : plan(null, FusionPolicy.AUTO)) {
            if (s.foldedBatchNorm() != null) folded((Conv2d) s.layer, s.foldedBatchNorm(), backend);
        }
    }

    private void closeFolds() {
        synchronized (folds) {
            RuntimeException first = null;
            for (Folded f : folds.values()) {
                try {
                    f.conv.close();
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            folds.clear();
            if (first != null) throw first;
        }
    }

    private static Tensor created(TensorTracker t, Tensor x) {
        if (t != null) t.created(x);
        return x;
    }

    // ---- batch inference -------------------------------------------------------------------------

    /**
     * Runs the model on the backend given to {@link #to(Backend)} over a host batch of shape
     * {@code inputShape} (row-major; 4-D input in the first convolution's layout, NCHW when there is
     * none) and returns the output, of shape {@link #outputShape(int...)}. Shapes are checked layer
     * by layer before anything is copied; every tensor made on the way is freed.
     */
    public float[] predict(float[] batch, int... inputShape) {
        if (batch == null) throw new IllegalArgumentException("Sequential.predict: batch must not be null");
        return predict(batch, null, inputLayoutFor(inputShape), inputShape);
    }

    /** As {@link #predict(float[], int...)} with the layout of a 4-D input named. */
    public float[] predict(float[] batch, Layout layout, int... inputShape) {
        if (batch == null) throw new IllegalArgumentException("Sequential.predict: batch must not be null");
        return predict(batch, null, layout, inputShape);
    }

    /** As {@link #predict(float[], int...)} from {@code batch}'s remaining floats; its position is not moved. */
    public float[] predict(FloatBuffer batch, int... inputShape) {
        if (batch == null) throw new IllegalArgumentException("Sequential.predict: batch must not be null");
        return predict(null, batch, inputLayoutFor(inputShape), inputShape);
    }

    public float[] predict(FloatBuffer batch, Layout layout, int... inputShape) {
        if (batch == null) throw new IllegalArgumentException("Sequential.predict: batch must not be null");
        return predict(null, batch, layout, inputShape);
    }

    private float[] predict(float[] array, FloatBuffer buffer, Layout layout, int... inputShape) {
        Backend b = backend;
        if (b == null) throw new IllegalStateException("Sequential.predict: call to(backend) first");
        if (inputShape == null) throw new IllegalArgumentException("Sequential.predict: inputShape must not be null");
        if (layout == null) throw new IllegalArgumentException("Sequential.predict: layout must not be null");
        Shape shape = Shape.of(inputShape);
        long have = array != null ? array.length : buffer.remaining();
        if (have != shape.elementCount()) {
            throw new IllegalArgumentException("Sequential.predict: batch: input shape " + shape + " needs "
                    + shape.elementCount() + " floats, got " + have);
        }
        Tensor.checkLayout(shape, layout);
        Shape out = check(shape, layout)[layers.size()];
        out.elementCountAsInt("Sequential.predict: output");
        TensorTracker t = tracker;
        try (Tensor x = created(t, array != null ? b.tensor(array, layout, inputShape) : b.tensor(buffer, layout, inputShape));
             Tensor y = forward(x)) {
            return y.toArray();
        }
    }

    /** The layout a 4-D host batch is read in: the first convolution's, if nothing reshapes before it. */
    private Layout inputLayoutFor(int[] inputShape) {
        if (inputShape == null || inputShape.length != 4) return Layout.PLAIN;
        for (Layer l : layers) {
            if (l instanceof Conv2d) return ((Conv2d) l).layout();
            if (l instanceof PoolLayer p) return p.layout();
            if (l instanceof BatchNorm2d bn) return bn.layout();
            if (l instanceof ResidualBlock rb) return rb.mainPath().inputLayoutFor(inputShape);
            if (!(l instanceof ActivationLayer)) break;
        }
        return Layout.NCHW;
    }

    @Override public String toString() { return name(); }
}
