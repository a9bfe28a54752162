package dev.jkernels.onnx;

import dev.jkernels.examples.OnnxClassify;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ONNX example runs on the CPU and prints the plan, images/s and (with the dataset) the accuracy. */
class OnnxExampleSmokeTest {
    @Test void classifiesFashionMnist() {
        Path model = OnnxModelsTestBase.fashionDir().resolve("fashion_cnn.onnx");
        Path images = OnnxModelsTestBase.FASHION_DATA.resolve("t10k-images-idx3-ubyte.gz");
        Path labels = OnnxModelsTestBase.FASHION_DATA.resolve("t10k-labels-idx1-ubyte.gz");
        boolean data = Files.exists(images);
        String[] args = data ? new String[] {model.toString(), "cpu", images.toString(), labels.toString(), "--images", "300", "--batch", "100"}
                : new String[] {model.toString(), "cpu", "--images", "64"};
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            OnnxClassify.main(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("conv2dActivation(relu, bias)") && out.contains("Conv+Relu"), out);
        assertTrue(out.contains("images/s"), out);
        if (data) assertTrue(out.contains("accuracy: "), out);
    }
}
