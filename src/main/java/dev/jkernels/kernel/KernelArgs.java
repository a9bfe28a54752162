package dev.jkernels.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, in the kernel's parameter order, with the C type of each:
 * what {@code cuLaunchKernel}'s {@code kernelParams} points at. Built once in Java by
 * {@link KernelBackend} and handed unchanged to either launcher. Immutable.
 */
public final class KernelArgs {

    /** The C type of a kernel parameter; {@link #bytes} is its size, checked by the emulator. */
    public enum Type {
        /** A device pointer ({@code float*}, {@code const float*}). */
        POINTER(8),
        /** {@code int}. */
        INT32(4),
        /** {@code long long} (jk::index_t). */
        INT64(8),
        /** {@code float}. */
        FLOAT32(4),
        /**
         * {@code jk::Epilogue} by value ({@link EpilogueArgs}): 64 bytes whose device pointers each
         * launcher resolves to its own addresses.
         */
        EPILOGUE(EpilogueArgs.BYTES);

        public final int bytes;

        Type(int bytes) { this.bytes = bytes; }
    }

    private final List<Type> types;
    private final List<Object> values;

    private KernelArgs(List<Type> types, List<Object> values) {
        this.types = List.copyOf(types);
        this.values = List.copyOf(values);
    }

    public static Builder builder() { return new Builder(); }

    public int size() { return types.size(); }

    public Type type(int i) { return types.get(i); }

    /** The buffer of a {@link Type#POINTER} argument. */
    public DeviceBuffer buffer(int i) { return (DeviceBuffer) expect(i, Type.POINTER); }

    public int int32(int i) { return (Integer) expect(i, Type.INT32); }

    public long int64(int i) { return (Long) expect(i, Type.INT64); }

    public float float32(int i) { return (Float) expect(i, Type.FLOAT32); }

    public EpilogueArgs epilogue(int i) { return (EpilogueArgs) expect(i, Type.EPILOGUE); }

    private Object expect(int i, Type t) {
        if (types.get(i) != t) throw new IllegalArgumentException("argument " + i + " is " + types.get(i) + ", not " + t);
        return values.get(i);
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < size(); i++) {
            if (i > 0) sb.append(", ");
            Object v = values.get(i);
            sb.append(types.get(i) == Type.POINTER ? "ptr[" + ((DeviceBuffer) v).bytes() + " B]" : String.valueOf(v));
        }
        return sb.append(')').toString();
    }

    /** Adds arguments in parameter order. */
    public static final class Builder {
        private final List<Type> types = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        private Builder add(Type t, Object v) {
            types.add(t);
            values.add(v);
            return this;
        }

        public Builder pointer(DeviceBuffer b) {
            if (b == null) throw new IllegalArgumentException("kernel argument " + types.size() + ": buffer must not be null");
            return add(Type.POINTER, b);
        }

        /**
         * A {@code const float*} argument that may be null. A null device pointer is 8 zero bytes, which
         * is what both {@code cuLaunchKernel} and the emulator read as {@code nullptr}, so it is passed
         * as a 64-bit zero of the same size.
         */
        public Builder pointerOrNull(DeviceBuffer b) { return b != null ? pointer(b) : int64(0L); }

        public Builder int32(int v) { return add(Type.INT32, v); }

        public Builder int64(long v) { return add(Type.INT64, v); }

        public Builder float32(float v) { return add(Type.FLOAT32, v); }

        public Builder epilogue(EpilogueArgs e) {
            if (e == null) throw new IllegalArgumentException("kernel argument " + types.size() + ": epilogue must not be null");
            return add(Type.EPILOGUE, e);
        }

        public KernelArgs build() { return new KernelArgs(types, values); }
    }
}
