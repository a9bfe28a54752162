package dev.jkernels.onnx;

import dev.jkernels.BackendKind;
import dev.jkernels.nn.FusionPolicy;
import dev.jkernels.testing.Scale;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * ResNet-18 and the Fashion-MNIST CNN on CUDA, against PyTorch. On a GPU: a 224×224 batch of 2, fused and
 * unfused, and all 10,000 test images. On the emulated CUDA driver (the kernels on the CPU, through JCuda;
 * {@link TestBackends#cudaScale()} is SMALL there) the sizes of {@link EmulatedOnnxModelsTest}: one
 * 32×32 image fused and the first 200 test images, since the full sizes take minutes on two cores.
 */
@Tag("gpu")
class CudaOnnxModelsTest extends OnnxModelsTestBase {
    private static final boolean SMALL = TestBackends.cudaScale() == Scale.SMALL;

    @Override BackendKind kind() { return BackendKind.CUDA; }

    @Override int fashionImages() { return SMALL ? 200 : super.fashionImages(); }

    @Test void resnet18MatchesPyTorch() throws Exception {
        if (SMALL) resnet18(1, 32, FusionPolicy.AUTO);
        else resnet18(2);
    }

    @Test void fashionMnistMatchesPyTorch() throws Exception { fashionMnist(); }
}
