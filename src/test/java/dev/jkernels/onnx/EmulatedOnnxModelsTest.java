package dev.jkernels.onnx;

import dev.jkernels.BackendKind;
import dev.jkernels.nn.FusionPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Fashion-MNIST CNN on the emulated CUDA kernels: the first 200 test images (all 10,000 take
 * too long on two cores), and ResNet-18 on one 32×32 image (the same graph and weights; at 224×224 one
 * image takes 68 s through the emulator on two cores, so the full-size batch runs on CPU and CUDA).
 */
@Tag("slow")
class EmulatedOnnxModelsTest extends OnnxModelsTestBase {
    @Override BackendKind kind() { return BackendKind.EMULATED; }

    @Override int fashionImages() { return 200; }

    @Test void fashionMnistMatchesPyTorch() throws Exception { fashionMnist(); }

    /** Fused only: 20 s through the emulator (mostly the 512-channel layers), the unfused path as long again. */
    @Test void resnet18SmallImageMatchesPyTorch() throws Exception { resnet18(1, 32, FusionPolicy.AUTO); }
}
