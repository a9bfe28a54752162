package dev.jkernels.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WorkloadsTest {

    @Test
    void thePublicListParses() {
        Workloads w = Workloads.builtIn();
        assertEquals(7, w.gemm().size());
        assertEquals(new Workloads.Gemm(1024, 1024, 1024), w.gemm().get(0));
        assertEquals(new Workloads.Gemm(128, 4096, 4096), w.gemm().get(5));
        assertEquals(7, w.conv2d().size());
        assertEquals(List.of("relu", "gelu"), w.convActivations());
        assertEquals(67_108_864L, w.activationElements());
        assertEquals(List.of("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu"), w.activations());
    }

    @Test
    void convGeometryMatchesPyTorch() {
        Workloads.Conv stem = Workloads.builtIn().conv2d().stream().filter(c -> c.name().equals("resnet-stem")).findFirst().orElseThrow();
        // (224 + 2·3 − 7) / 2 + 1 = 112, as torch.nn.functional.conv2d gives
        assertEquals(112, stem.p());
        assertEquals(112, stem.q());
        assertEquals(32L * 64 * 112 * 112, stem.outputElements());
        assertEquals(2.0 * 32 * 64 * 112 * 112 * 3 * 7 * 7, stem.flops());
        Workloads.Conv mnist = Workloads.builtIn().conv2d().get(0);
        assertEquals(26, mnist.p());
        assertEquals("64x1x28x28 k32 3x3/1 p0", mnist.shape());
        assertEquals(1, mnist.withBatch(1).n());
    }

    @Test
    void missingSectionsAreEmptyAndDefaultsApply() {
        Workloads w = Workloads.parse("{\"conv2d\": [{\"n\":1,\"c\":2,\"h\":5,\"w\":5,\"k\":3,\"r\":3,\"s\":3}]}");
        assertTrue(w.gemm().isEmpty());
        assertEquals(1, w.conv2d().get(0).stride());
        assertEquals(0, w.conv2d().get(0).pad());
        assertEquals("conv0", w.conv2d().get(0).name());
        assertEquals(0, w.activationElements());
    }

    @Test
    void badInputNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Workloads.parse("{\"gemm\": [{\"m\": 4, \"n\": 4}]}"));
        assertTrue(e.getMessage().contains("'k'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.parse("{\"gemm\": [{\"m\": 0, \"n\": 4, \"k\": 4}]}"));
        assertTrue(e.getMessage().contains("0x4x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.parse("{\"gemm\": [{\"m\": \"x\", \"n\": 4, \"k\": 4}]}"));
        assertTrue(e.getMessage().contains("'m' must be an integer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Workloads.parse("{\"conv2d\": [{\"name\":\"big\",\"n\":1,\"c\":1,\"h\":2,\"w\":2,\"k\":1,\"r\":5,\"s\":5}]}"));
        assertTrue(e.getMessage().contains("big"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Workloads.parse("[1, 2]"));
        assertThrows(IllegalArgumentException.class, () -> Workloads.parse("{not json"));
    }

    @Test
    void quickListIsSmall() {
        Workloads q = Workloads.quick();
        double flops = q.gemm().stream().mapToDouble(Workloads.Gemm::flops).sum()
                + q.conv2d().stream().mapToDouble(Workloads.Conv::flops).sum();
        assertTrue(flops < 2e9, "the quick list must stay a few seconds on two cores: " + flops);
        assertTrue(q.conv2d().stream().anyMatch(c -> c.c() == 1), "keeps a first layer with C=1");
    }
}
