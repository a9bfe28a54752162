package dev.jkernels.onnx;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Layout;
import dev.jkernels.Tensor;
import dev.jkernels.graph.Graph;
import dev.jkernels.nn.FusionPolicy;
import dev.jkernels.testing.TestBackends;
import dev.jkernels.testing.Tolerance;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The ONNX backend test suite's node tests (Debian's libonnx-testdata: a model.onnx per op variant,
 * with inputs and the expected outputs computed by the ONNX reference in NumPy) for every op variant
 * the importer supports, on CPU and EMULATED, fused and unfused. Not run: the Clip tests (their bounds
 * are graph inputs; the importer takes constant bounds, as every exporter writes them), the 1-D/3-D
 * pooling, 3-D/4-D MatMul, integer-typed and training-mode variants (not supported). Skipped where the package is not
 * installed, unless {@code -Djkernels.requireOnnxTestdata=true} (CI sets it).
 */
class OnnxNodeSuiteTest {
    static final Path SUITE = Path.of(System.getProperty("jkernels.onnxTestdata", "/usr/share/libonnx-testdata/data/node"));

    /** The variants run: every one of the supported ops' tests except those listed in {@link #EXCLUDED}. */
    static final List<String> TESTS = List.of(
            "test_add", "test_add_bcast", "test_mul", "test_mul_bcast", "test_mul_example",
            "test_averagepool_2d_ceil", "test_averagepool_2d_default", "test_averagepool_2d_pads",
            "test_averagepool_2d_pads_count_include_pad", "test_averagepool_2d_precomputed_pads",
            "test_averagepool_2d_precomputed_pads_count_include_pad", "test_averagepool_2d_precomputed_same_upper",
            "test_averagepool_2d_precomputed_strides", "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper",
            "test_averagepool_2d_strides",
            "test_maxpool_2d_ceil", "test_maxpool_2d_default", "test_maxpool_2d_dilations", "test_maxpool_2d_pads",
            "test_maxpool_2d_precomputed_pads", "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides",
            "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper", "test_maxpool_2d_strides",
            "test_globalaveragepool", "test_globalaveragepool_precomputed",
            "test_batchnorm_epsilon", "test_batchnorm_example",
            "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_strides_no_padding",
            "test_conv_with_strides_padding", "test_basic_conv_with_padding", "test_basic_conv_without_padding",
            "test_gemm_all_attributes", "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_matrix_bias", "test_gemm_default_no_bias",
            "test_gemm_default_scalar_bias", "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias",
            "test_gemm_default_zero_bias", "test_gemm_transposeA", "test_gemm_transposeB", "test_matmul_2d",
            "test_softmax_axis_0", "test_softmax_axis_1", "test_softmax_axis_2", "test_softmax_default_axis", "test_softmax_example",
            "test_softmax_large_number", "test_softmax_negative_axis",
            "test_logsoftmax_axis_0", "test_logsoftmax_axis_1", "test_logsoftmax_axis_2", "test_logsoftmax_default_axis",
            "test_logsoftmax_example_1", "test_logsoftmax_large_number", "test_logsoftmax_negative_axis",
            "test_relu", "test_leakyrelu", "test_leakyrelu_default", "test_leakyrelu_example", "test_elu", "test_elu_default",
            "test_elu_example", "test_selu", "test_selu_default", "test_selu_example", "test_sigmoid", "test_sigmoid_example",
            "test_tanh", "test_tanh_example", "test_softplus", "test_softplus_example", "test_hardsigmoid", "test_hardsigmoid_default",
            "test_hardsigmoid_example", "test_hardswish", "test_celu", "test_thresholdedrelu", "test_thresholdedrelu_default",
            "test_thresholdedrelu_example", "test_softsign", "test_softsign_example", "test_prelu_broadcast", "test_prelu_example",
            "test_flatten_axis0", "test_flatten_axis1", "test_flatten_axis2", "test_flatten_axis3", "test_flatten_default_axis",
            "test_flatten_negative_axis1", "test_flatten_negative_axis2", "test_flatten_negative_axis3", "test_flatten_negative_axis4",
            "test_concat_1d_axis_0", "test_concat_1d_axis_negative_1", "test_concat_2d_axis_0", "test_concat_2d_axis_1",
            "test_concat_2d_axis_negative_1", "test_concat_2d_axis_negative_2", "test_concat_3d_axis_0", "test_concat_3d_axis_1",
            "test_concat_3d_axis_2", "test_concat_3d_axis_negative_1", "test_concat_3d_axis_negative_2", "test_concat_3d_axis_negative_3",
            "test_identity", "test_dropout_default", "test_dropout_default_ratio", "test_dropout_default_old");

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (BackendKind k : new BackendKind[] {BackendKind.CPU, BackendKind.EMULATED}) for (String t : TESTS) a.add(Arguments.of(k, t));
        return a.stream();
    }

    static boolean required() { return Boolean.getBoolean("jkernels.requireOnnxTestdata"); }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void matchesTheOnnxReference(BackendKind kind, String test) throws IOException {
        Path dir = SUITE.resolve(test);
        if (!Files.isDirectory(dir)) {
            if (required()) throw new AssertionError("ONNX node test " + dir + " not found (install libonnx-testdata)");
            Assumptions.abort("ONNX node tests not installed: " + dir);
        }
        run(kind, dir);
    }

    static void run(BackendKind kind, Path dir) throws IOException {
        Graph g = Onnx.load(dir.resolve("model.onnx"));
        Path data = dir.resolve("test_data_set_0");
        List<OnnxTensor> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        for (int i = 0; Files.exists(data.resolve("input_" + i + ".pb")); i++) inputs.add(OnnxModel.readTensor(data.resolve("input_" + i + ".pb")));
        for (int i = 0; Files.exists(data.resolve("output_" + i + ".pb")); i++) outputs.add(OnnxModel.readTensor(data.resolve("output_" + i + ".pb")));
        try (Backend b = TestBackends.open(kind)) {
            g.to(b);
            for (FusionPolicy policy : FusionPolicy.values()) {
                g.fusion(policy);
                Map<String, Tensor> in = new LinkedHashMap<>();
                try {
                    for (int i = 0; i < g.inputNames().size(); i++) {
                        OnnxTensor t = inputs.get(i);
                        int[] d = t.intDims();
                        if (d.length == 0) d = new int[] {1};   // ONNX scalars are held as [1]
                        in.put(g.inputNames().get(i), b.tensor(t.floats(), Layout.defaultFor(d.length), d));
                    }
                    Map<String, Tensor> out = g.forward(in);
                    try {
                        int i = 0;
                        for (Tensor y : out.values()) {
                            OnnxTensor want = outputs.get(i++);
                            int[] wd = want.intDims().length == 0 ? new int[] {1} : want.intDims();
                            org.junit.jupiter.api.Assertions.assertArrayEquals(wd, y.dims(), dir.getFileName() + ": output shape");
                            new Tolerance(1e-5, 1e-4).assertClose(dir.getFileName() + " " + policy + " on " + kind, y.toArray(), want.floats());
                        }
                    } finally {
                        for (Tensor y : out.values()) y.close();
                    }
                } finally {
                    for (Tensor t : in.values()) t.close();
                }
            }
            g.close();
        }
    }
}
