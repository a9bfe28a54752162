package dev.jkernels.onnx;

import dev.jkernels.BackendKind;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The ONNX node test suite's supported variants on the GPU, fused and unfused. */
@Tag("gpu")
class CudaOnnxNodeSuiteTest {
    static Stream<String> tests() { return OnnxNodeSuiteTest.TESTS.stream(); }

    @ParameterizedTest(name = "{0} on CUDA")
    @MethodSource("tests")
    void matchesTheOnnxReference(String test) throws Exception {
        Path dir = OnnxNodeSuiteTest.SUITE.resolve(test);
        Assumptions.assumeTrue(Files.isDirectory(dir) || OnnxNodeSuiteTest.required(), "ONNX node tests not installed");
        OnnxNodeSuiteTest.run(BackendKind.CUDA, dir);
    }
}
