package dev.jkernels.onnx;

import dev.jkernels.graph.Graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Loads ONNX models as {@link Graph}s:
 *
 * <pre>{@code
 * try (Graph model = Onnx.load(Path.of("resnet18.onnx")).to(backend)) {
 *     float[] logits = model.predict(images, 32, 3, 224, 224);
 * }
 * }</pre>
 *
 * Loading reads the file, maps every node, folds and fuses, and checks the shapes for the declared
 * input shape, all on the host: a file that is not ONNX, is truncated, or uses an unsupported op,
 * attribute or data type fails with an {@link OnnxFormatException} naming the node and its op type,
 * before {@link Graph#to} allocates anything on a backend.
 */
public final class Onnx {
    private Onnx() {}

    /** Reads {@code file} (and its external data files, next to it) into a graph on no backend yet. */
    public static Graph load(Path file) {
        try {
            return Graph.fromOnnx(OnnxModel.read(file));
        } catch (IOException e) {
            throw new UncheckedIOException("onnx: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #load(Path)} from the file's bytes (external data is then not available). */
    public static Graph load(byte[] bytes) {
        return Graph.fromOnnx(OnnxModel.read(bytes, null));
    }
}
