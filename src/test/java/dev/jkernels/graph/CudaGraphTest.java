package dev.jkernels.graph;

import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The graph's ResNet block (fused and unfused, against the double-precision reference) on the GPU. */
@Tag("gpu")
class CudaGraphTest {
    @Test void resnetBlockFusedAndUnfusedMatchTheReference() { GraphTest.checkBlock(BackendKind.CUDA); }
}
