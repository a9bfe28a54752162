package dev.jkernels.onnx;

import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Fashion-MNIST CNN on the emulated CUDA kernels: the first 200 test images (all 10,000 take
 * too long on two cores). ResNet-18 is not run here: 1.8 GFLOP per image through the emulator is
 * minutes; it runs on CPU and on CUDA.
 */
@Tag("slow")
class EmulatedOnnxModelsTest extends OnnxModelsTestBase {
    @Override BackendKind kind() { return BackendKind.EMULATED; }

    @Override int fashionImages() { return 200; }

    @Test void fashionMnistMatchesPyTorch() throws Exception { fashionMnist(); }
}
