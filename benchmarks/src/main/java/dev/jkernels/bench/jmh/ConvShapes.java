package dev.jkernels.bench.jmh;

import dev.jkernels.Conv2dSpec;
import dev.jkernels.Tensor;
import dev.jkernels.bench.Workloads;

/** The public conv workloads by name, as tensors on a benchmark's backend. */
final class ConvShapes {
    private ConvShapes() {}

    record Tensors(Conv2dSpec spec, Tensor input, Tensor filters, Tensor bias, Tensor output) {}

    static Workloads.Conv find(String name, int batch) {
        return Workloads.builtIn().conv2d().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("shape: no conv named '" + name + "' in the public workloads"))
                .withBatch(batch);
    }

    static Tensors make(BackendState s, String name, int batch) {
        Workloads.Conv c = find(name, batch);
        Conv2dSpec spec = Conv2dSpec.builder().stride(c.stride()).padding(c.pad()).bias(true).build();
        return new Tensors(spec, s.random(1, c.n(), c.c(), c.h(), c.w()), s.random(2, c.k(), c.c(), c.r(), c.s()),
                s.random(3, c.k()), s.zeros(c.n(), c.k(), c.p(), c.q()));
    }
}
