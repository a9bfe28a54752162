package dev.jkernels.onnx;

/**
 * An ONNX file that cannot be read or run: not ONNX, truncated, or using an op, attribute or data
 * type jkernels does not support. The message names the node (its name and op type) and what is
 * missing. Thrown while loading, before any backend memory is allocated.
 */
public class OnnxFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public OnnxFormatException(String message) { super(message); }

    public OnnxFormatException(String message, Throwable cause) { super(message, cause); }
}
