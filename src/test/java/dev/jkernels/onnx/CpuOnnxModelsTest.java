package dev.jkernels.onnx;

import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ResNet-18 (batch 2) and the Fashion-MNIST CNN (all 10,000 test images) on the CPU backend, against PyTorch. */
@Tag("slow")
class CpuOnnxModelsTest extends OnnxModelsTestBase {
    @Override BackendKind kind() { return BackendKind.CPU; }

    @Test void resnet18MatchesPyTorch() throws Exception { resnet18(2); }

    @Test void fashionMnistMatchesPyTorch() throws Exception { fashionMnist(); }
}
