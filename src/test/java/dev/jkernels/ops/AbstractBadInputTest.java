package dev.jkernels.ops;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmSpec;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.testing.BackendTestBase;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input on one backend: every case must end in {@link IllegalArgumentException} or
 * {@link IllegalStateException} (the one named), with a message naming the argument (and, for shape
 * mismatches, the expected and the actual shape), and must leave the output tensor exactly as it
 * was. Each case gets fresh tensors filled with non-zero data.
 */
public abstract class AbstractBadInputTest extends BackendTestBase {

    /** Fresh, valid tensors for one case; closed after it. */
    protected final class Fixture implements AutoCloseable {
        final TensorScope scope = new TensorScope();
        public final Backend be = backend;
        public final Tensor a = t(3, 4), b = t(4, 6), c = t(3, 6), bias6 = t(6), bias5 = t(5), square = t(4, 4), square2 = t(4, 4);
        public final Tensor a3d = t(2, 3, 4), vec = t(4);
        public final Tensor in = t4(Layout.NCHW, 1, 4, 7, 7), filters = t(6, 4, 3, 3), out = t4(Layout.NCHW, 1, 6, 5, 5);
        public final Tensor inNhwc = t4(Layout.NHWC, 1, 7, 7, 4), outNhwcTagged = t4(Layout.NHWC, 1, 6, 5, 5);
        public final Tensor square4 = t4(Layout.NCHW, 1, 4, 7, 7), pointwise = t(4, 4, 1, 1);
        public final Tensor x = t(2, 5), y = t(2, 5), yWrong = t(5, 2), dy = t(2, 5);
        private int seed;

        Tensor t(int... dims) { return t4(Layout.defaultFor(dims.length), dims); }

        Tensor t4(Layout layout, int... dims) {
            int n = 1;
            for (int d : dims) n *= d;
            return scope.track(be.tensor(RandomData.uniform(++seed, n), layout, dims));
        }

        @Override public void close() { scope.close(); }
    }

    /** One bad call: what it must throw, which tensor it must not touch, what the message must say. */
    protected record BadCase(String name, Class<? extends RuntimeException> expected, Function<Fixture, Tensor> output,
                             Consumer<Fixture> call, String... messageParts) {}

    protected static BadCase iae(String name, Function<Fixture, Tensor> output, Consumer<Fixture> call, String... parts) {
        return new BadCase(name, IllegalArgumentException.class, output, call, parts);
    }

    protected static BadCase ise(String name, Function<Fixture, Tensor> output, Consumer<Fixture> call, String... parts) {
        return new BadCase(name, IllegalStateException.class, output, call, parts);
    }

    private static final GemmSpec PLAIN = GemmSpec.plain();
    private static final GemmSpec WITH_BIAS = GemmSpec.builder().bias(true).build();
    private static final Conv2dSpec CONV = Conv2dSpec.builder().build();
    private static final Conv2dSpec CONV_BIAS = Conv2dSpec.builder().bias(true).build();

    /** The cases every backend must reject the same way. */
    protected List<BadCase> cases() {
        List<BadCase> l = new ArrayList<>();
        // ---- gemm: nulls, ranks, shapes
        l.add(iae("gemm: null spec", f -> f.c, f -> f.be.gemm(null, f.a, f.b, null, f.c), "spec"));
        l.add(iae("gemm: null a", f -> f.c, f -> f.be.gemm(PLAIN, null, f.b, null, f.c), "a must not be null"));
        l.add(iae("gemm: null b", f -> f.c, f -> f.be.gemm(PLAIN, f.a, null, null, f.c), "b must not be null"));
        l.add(iae("gemm: null c", f -> null, f -> f.be.gemm(PLAIN, f.a, f.b, null, null), "c must not be null"));
        l.add(iae("gemm: a of rank 3", f -> f.c, f -> f.be.gemm(PLAIN, f.a3d, f.b, null, f.c), "a:", "2-D", "[2, 3, 4]"));
        l.add(iae("gemm: b of rank 1", f -> f.c, f -> f.be.gemm(PLAIN, f.a, f.vec, null, f.c), "b:", "2-D", "[4]"));
        l.add(iae("gemm: K mismatch", f -> f.c, f -> f.be.gemm(PLAIN, f.a, f.c, null, f.c),
                "b: expected shape [4, 6]", "got [3, 6]"));
        l.add(iae("gemm: K mismatch with B transposed", f -> f.c,
                f -> f.be.gemm(GemmSpec.builder().transB(true).build(), f.a, f.b, null, f.c), "b: expected shape [", "[4, 6]"));
        l.add(iae("gemm: c of the wrong shape", f -> f.a, f -> f.be.gemm(PLAIN, f.a, f.b, null, f.a),
                "c: expected shape [3, 6]", "got [3, 4]"));
        l.add(iae("gemm: c aliases a", f -> f.square, f -> f.be.gemm(PLAIN, f.square, f.square2, null, f.square), "c", "a"));
        l.add(iae("gemm: c aliases b", f -> f.square2, f -> f.be.gemm(PLAIN, f.square, f.square2, null, f.square2), "c", "b"));
        l.add(iae("gemm: bias given, spec has none", f -> f.c, f -> f.be.gemm(PLAIN, f.a, f.b, f.bias6, f.c), "bias", "no bias"));
        l.add(iae("gemm: spec has bias, none given", f -> f.c, f -> f.be.gemm(WITH_BIAS, f.a, f.b, null, f.c), "bias", "[6]", "null"));
        l.add(iae("gemm: bias of the wrong length", f -> f.c, f -> f.be.gemm(WITH_BIAS, f.a, f.b, f.bias5, f.c),
                "bias: expected shape [6]", "got [5]"));
        l.add(iae("gemm: allocating form with beta != 0", f -> null,
                f -> f.be.gemm(GemmSpec.builder().beta(1f).build(), f.a, f.b, null), "beta"));
        l.add(iae("gemm: NaN alpha", f -> f.c,
                f -> f.be.gemm(GemmSpec.builder().alpha(Float.NaN).build(), f.a, f.b, null, f.c), "alpha"));
        l.add(iae("gemm: infinite beta", f -> f.c,
                f -> f.be.gemm(GemmSpec.builder().beta(Float.NEGATIVE_INFINITY).build(), f.a, f.b, null, f.c), "beta"));
        // ---- gemm: closed tensors, other backends
        l.add(ise("gemm: closed a", f -> f.c, f -> { f.a.close(); f.be.gemm(PLAIN, f.a, f.b, null, f.c); }, "a:", "closed"));
        l.add(ise("gemm: closed c", f -> null, f -> { f.c.close(); f.be.gemm(PLAIN, f.a, f.b, null, f.c); }, "c:", "closed"));
        l.add(iae("gemm: a from another backend", f -> f.c, f -> {
            try (Backend other = TestBackends.openAnother(f.be); Tensor foreign = other.zeros(3, 4)) {
                f.be.gemm(PLAIN, foreign, f.b, null, f.c);
            }
        }, "a:", "belongs to backend"));
        // ---- conv2d
        l.add(iae("conv: null input", f -> f.out, f -> f.be.conv2d(CONV, null, f.filters, null, f.out), "input"));
        l.add(iae("conv: null filters", f -> f.out, f -> f.be.conv2d(CONV, f.in, null, null, f.out), "filters"));
        l.add(iae("conv: null spec", f -> f.out, f -> f.be.conv2d(null, f.in, f.filters, null, f.out), "spec"));
        l.add(iae("conv: null activation", f -> f.out, f -> f.be.conv2dActivation(CONV, null, f.in, f.filters, null, f.out), "activation"));
        l.add(iae("conv: input of rank 2", f -> f.out, f -> f.be.conv2d(CONV, f.a, f.filters, null, f.out), "input", "4-D", "[3, 4]"));
        l.add(iae("conv: filters of rank 2", f -> f.out, f -> f.be.conv2d(CONV, f.in, f.b, null, f.out), "filters", "4-D", "[4, 6]"));
        l.add(iae("conv: filter channels != C/groups", f -> f.out, f -> {
            try (Tensor wrong = f.be.zeros(6, 3, 3, 3)) { f.be.conv2d(CONV, f.in, wrong, null, f.out); }
        }, "filters: expected shape [6, 4, 3, 3]", "[6, 3, 3, 3]"));
        l.add(iae("conv: groups do not divide C", f -> f.out,
                f -> f.be.conv2d(Conv2dSpec.builder().groups(3).build(), f.in, f.filters, null, f.out), "groups=3"));
        l.add(iae("conv: output of the wrong shape", f -> f.in, f -> f.be.conv2d(CONV, f.in, f.filters, null, f.in),
                "output: expected shape [1, 6, 5, 5]", "[1, 4, 7, 7]"));
        l.add(iae("conv: output of the wrong layout", f -> f.outNhwcTagged,
                f -> f.be.conv2d(CONV, f.in, f.filters, null, f.outNhwcTagged), "output", "NCHW", "NHWC"));
        l.add(iae("conv: input layout differs from the spec", f -> f.out,
                f -> f.be.conv2d(CONV, f.inNhwc, f.filters, null, f.out), "input", "NCHW", "NHWC"));
        l.add(iae("conv: output aliases input", f -> f.square4,
                f -> f.be.conv2d(CONV, f.square4, f.pointwise, null, f.square4), "output", "input"));
        l.add(iae("conv: window larger than the padded input", f -> null, f -> {
            try (Tensor big = f.be.zeros(6, 4, 9, 9)) { f.be.conv2d(CONV, f.in, big, null); }
        }, "does not fit"));
        l.add(iae("conv: bias given, spec has none", f -> f.out, f -> f.be.conv2d(CONV, f.in, f.filters, f.bias6, f.out), "bias"));
        l.add(iae("conv: bias of the wrong length", f -> f.out,
                f -> f.be.conv2d(CONV_BIAS, f.in, f.filters, f.bias5, f.out), "bias: expected shape [6]", "[5]"));
        l.add(ise("conv: closed filters", f -> f.out, f -> { f.filters.close(); f.be.conv2d(CONV, f.in, f.filters, null, f.out); },
                "filters", "closed"));
        // ---- activations
        l.add(iae("activation: null activation", f -> f.y, f -> f.be.activation(null, f.x, f.y), "activation"));
        l.add(iae("activation: null x", f -> f.y, f -> f.be.activation(Activation.relu(), null, f.y), "x"));
        l.add(iae("activation: y of another shape", f -> f.yWrong, f -> f.be.activation(Activation.relu(), f.x, f.yWrong),
                "y: expected shape [2, 5]", "got [5, 2]"));
        l.add(ise("activation: closed y", f -> null, f -> { f.y.close(); f.be.activation(Activation.tanh(), f.x, f.y); }, "y", "closed"));
        l.add(iae("backward: dx aliases saved", f -> f.x, f -> f.be.activationBackward(Activation.gelu(), f.x, f.dy, f.x), "dx", "saved"));
        l.add(iae("backward: dy of another shape", f -> f.y,
                f -> f.be.activationBackward(Activation.sigmoid(), f.x, f.yWrong, f.y), "dy: expected shape [2, 5]", "[5, 2]"));
        l.add(iae("backward: null dx", f -> null, f -> f.be.activationBackward(Activation.relu(), f.x, f.dy, null), "dx"));
        // ---- tensors
        l.add(iae("tensor: zero dimension", f -> null, f -> f.be.zeros(3, 0), "dimension 1", "[3, 0]"));
        l.add(iae("tensor: negative dimension", f -> null, f -> f.be.tensor(new float[2], 2, -1), "dimension 1"));
        l.add(iae("tensor: data length != shape", f -> null, f -> f.be.tensor(new float[5], 2, 3), "[2, 3]", "6", "5"));
        l.add(iae("tensor: null data", f -> null, f -> f.be.tensor((float[]) null, 2, 3), "data"));
        l.add(iae("tensor: element count overflows a long", f -> null,
                f -> f.be.zeros(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE), "overflows a long"));
        l.add(iae("tensor: NHWC layout on a 2-D shape", f -> null, f -> f.be.zeros(Layout.NHWC, 2, 3), "NHWC", "4-D"));
        l.add(iae("copy: dst of another shape", f -> f.yWrong, f -> f.be.copy(f.x, f.yWrong), "dst: expected shape [2, 5]", "[5, 2]"));
        l.add(iae("copy: dst is src", f -> f.x, f -> f.be.copy(f.x, f.x), "dst", "src"));
        return l;
    }

    @TestFactory
    Stream<DynamicTest> badInputIsRejectedAndOutputUntouched() {
        return cases().stream().map(bc -> DynamicTest.dynamicTest(bc.name(), () -> runCase(bc)));
    }

    @TestFactory
    Stream<DynamicTest> closedBackendIsRejected() {
        return Stream.of(DynamicTest.dynamicTest("closed backend", () -> {
            Backend other = TestBackends.openAnother(backend);
            Tensor a = other.zeros(2, 2);
            other.close();
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> other.gemm(PLAIN, a, a, null));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> other.zeros(3));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> other.activation(Activation.relu(), a, a));
        }));
    }

    @org.junit.jupiter.api.Test
    void atLeastThirtyDistinctCases() {
        List<BadCase> all = cases();
        assertTrue(all.size() >= 30, "only " + all.size() + " bad-input cases");
        assertEquals(all.size(), all.stream().map(BadCase::name).distinct().count(), "case names must be distinct");
    }

    private void runCase(BadCase bc) {
        try (Fixture f = new Fixture()) {
            Tensor out = bc.output().apply(f);
            float[] before = out == null ? null : out.toArray();
            RuntimeException thrown = null;
            try {
                bc.call().accept(f);
            } catch (RuntimeException e) {
                thrown = e;
            }
            if (thrown == null) throw new AssertionFailedError(bc.name() + ": no exception");
            if (!(thrown instanceof IllegalArgumentException) && !(thrown instanceof IllegalStateException)) {
                throw new AssertionFailedError(bc.name() + ": expected " + bc.expected().getSimpleName() + ", got " + thrown, thrown);
            }
            if (!bc.expected().isInstance(thrown)) {
                throw new AssertionFailedError(bc.name() + ": expected " + bc.expected().getSimpleName() + ", got " + thrown, thrown);
            }
            String msg = String.valueOf(thrown.getMessage());
            for (String part : bc.messageParts()) {
                if (!msg.contains(part)) {
                    throw new AssertionFailedError(bc.name() + ": message should mention \"" + part + "\": " + msg, thrown);
                }
            }
            if (out != null && !out.isClosed()) Tolerance.assertUnchanged(bc.name() + ": output", before, out.toArray());
        }
    }
}
