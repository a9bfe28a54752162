package dev.jkernels.onnx;

import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ResNet-18 and the Fashion-MNIST CNN (all 10,000 images) on the GPU, against PyTorch. */
@Tag("gpu")
class CudaOnnxModelsTest extends OnnxModelsTestBase {
    @Override BackendKind kind() { return BackendKind.CUDA; }

    @Test void resnet18MatchesPyTorch() throws Exception { resnet18(2); }

    @Test void fashionMnistMatchesPyTorch() throws Exception { fashionMnist(); }
}
