package dev.jkernels;

import dev.jkernels.ops.AbstractBadInputTest;
import dev.jkernels.testing.TestBackends;

import java.util.List;

/**
 * Bad input on the CPU backend: every shared case of {@link AbstractBadInputTest}, plus the CPU's
 * own limits (one Java array per tensor) and a second CPU backend's tensors.
 */
class BadInputTest extends AbstractBadInputTest {
    @Override protected Backend createBackend() { return TestBackends.open(BackendKind.CPU); }

    @Override protected List<BadCase> cases() {
        List<BadCase> l = super.cases();
        l.add(iae("cpu: element count overflows an int", f -> null, f -> f.be.zeros(65536, 32768), "2147483648"));
        l.add(iae("cpu: element count just over one Java array", f -> null, f -> f.be.zeros(Integer.MAX_VALUE), "2147483647"));
        l.add(iae("cpu: c from a second CPU backend", f -> null, f -> {
            try (Backend second = Backends.cpu(1); Tensor c = second.zeros(3, 6)) {
                f.be.gemm(GemmSpec.plain(), f.a, f.b, null, c);
            }
        }, "c:", "belongs to backend"));
        l.add(iae("cpu: cuBLAS algorithm asked of the CPU", f -> f.c,
                f -> f.be.gemm(GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).build(), f.a, f.b, null, f.c), "CUBLAS"));
        return l;
    }
}
