package dev.jkernels.onnx;

import java.util.Arrays;

/**
 * An ONNX {@code TensorProto} as read: name, data type, dimensions and its values, decoded from
 * {@code raw_data}, the typed fields ({@code float_data}, {@code int64_data}, {@code int32_data},
 * {@code double_data}) or an external data file. Float types are held as {@code float[]}, integer
 * types as {@code long[]}. Immutable (the arrays are copied out).
 */
public final class OnnxTensor {
    /** ONNX {@code TensorProto.DataType} codes that matter here. */
    public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10, DOUBLE = 11;

    private final String name;
    private final int dataType;
    private final long[] dims;
    private final float[] floats;
    private final long[] longs;

    OnnxTensor(String name, int dataType, long[] dims, float[] floats, long[] longs) {
        this.name = name;
        this.dataType = dataType;
        this.dims = dims;
        this.floats = floats;
        this.longs = longs;
    }

    /** A FLOAT tensor of {@code dims} holding {@code data} (copied). */
    public static OnnxTensor ofFloats(String name, long[] dims, float[] data) {
        return new OnnxTensor(name, FLOAT, dims.clone(), data.clone(), null);
    }

    /** An INT64 tensor of {@code dims} holding {@code data} (copied). */
    public static OnnxTensor ofLongs(String name, long[] dims, long[] data) {
        return new OnnxTensor(name, INT64, dims.clone(), null, data.clone());
    }

    public String name() { return name; }

    public int dataType() { return dataType; }

    public long[] dims() { return dims.clone(); }

    public int rank() { return dims.length; }

    public long elementCount() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public boolean isFloat() { return floats != null; }

    /** The values as floats (float and double tensors; integer tensors converted). */
    public float[] floats() {
        if (floats != null) return floats.clone();
        float[] f = new float[longs.length];
        for (int i = 0; i < f.length; i++) f[i] = longs[i];
        return f;
    }

    /** The values as longs (integer tensors; throws for float tensors). */
    public long[] longs() {
        if (longs == null) throw new OnnxFormatException("initialiser '" + name + "': expected an integer tensor, got " + typeName(dataType));
        return longs.clone();
    }

    /** The dims as ints (each must fit). */
    public int[] intDims() {
        int[] d = new int[dims.length];
        for (int i = 0; i < d.length; i++) {
            if (dims[i] > Integer.MAX_VALUE) throw new OnnxFormatException("tensor '" + name + "': dimension " + dims[i] + " too large");
            d[i] = (int) dims[i];
        }
        return d;
    }

    float[] floatsNoCopy() { return floats != null ? floats : floats(); }

    public static String typeName(int t) {
        switch (t) {
            case 0: return "UNDEFINED";
            case 1: return "FLOAT";
            case 2: return "UINT8";
            case 3: return "INT8";
            case 4: return "UINT16";
            case 5: return "INT16";
            case 6: return "INT32";
            case 7: return "INT64";
            case 8: return "STRING";
            case 9: return "BOOL";
            case 10: return "FLOAT16";
            case 11: return "DOUBLE";
            case 12: return "UINT32";
            case 13: return "UINT64";
            case 14: return "COMPLEX64";
            case 15: return "COMPLEX128";
            case 16: return "BFLOAT16";
            default: return "type " + t;
        }
    }

    @Override public String toString() {
        return "OnnxTensor(" + name + ", " + typeName(dataType) + Arrays.toString(dims) + ")";
    }
}
