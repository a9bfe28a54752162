package dev.jkernels.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A reader of the protobuf wire format over one message's bytes: tags, varints, fixed 32/64-bit
 * values and length-delimited fields, each bounds-checked so a truncated or corrupt file fails with
 * {@link OnnxFormatException} (naming {@code where}) instead of reading past the end.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    private final ByteBuffer buf;   // position = the next byte; limit = the end of this message
    private final String where;

    ProtoReader(ByteBuffer buf, String where) {
        this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.where = where;
    }

    String where() { return where; }

    boolean hasMore() { return buf.hasRemaining(); }

    /** The next tag (field number << 3 | wire type). */
    int tag() {
        long t = varint();
        if (t <= 0 || t > Integer.MAX_VALUE || (t >>> 3) == 0) throw fail("bad field tag " + t);
        int wire = (int) (t & 7);
        if (wire != VARINT && wire != FIXED64 && wire != LEN && wire != FIXED32) throw fail("unsupported wire type " + wire + " (field " + (t >>> 3) + ")");
        return (int) t;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) throw fail("truncated varint");
            byte b = buf.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) return result;
        }
        throw fail("malformed varint (more than 10 bytes)");
    }

    int fixed32() {
        need(4, "fixed32");
        return buf.getInt();
    }

    long fixed64() {
        need(8, "fixed64");
        return buf.getLong();
    }

    /** A length-delimited field's bytes as a little-endian view (no copy). */
    ByteBuffer bytes() {
        long n = varint();
        if (n < 0 || n > buf.remaining()) {
            throw fail("truncated: a field of " + n + " bytes with only " + buf.remaining() + " left");
        }
        ByteBuffer b = buf.slice();
        b.limit((int) n);
        buf.position(buf.position() + (int) n);
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    String string() { return StandardCharsets.UTF_8.decode(bytes()).toString(); }

    ProtoReader message(String what) { return new ProtoReader(bytes(), what); }

    void skip(int tag) {
        switch (tag & 7) {
            case VARINT: varint(); break;
            case FIXED64: need(8, "fixed64"); buf.position(buf.position() + 8); break;
            case LEN: bytes(); break;
            case FIXED32: need(4, "fixed32"); buf.position(buf.position() + 4); break;
            default: throw fail("unsupported wire type " + (tag & 7));
        }
    }

    /** A repeated int64 field, packed (LEN) or not (one VARINT), appended to {@code into}. */
    void int64s(int tag, LongList into) {
        if ((tag & 7) == LEN) {
            ProtoReader r = new ProtoReader(bytes(), where);
            while (r.hasMore()) into.add(r.varint());
        } else if ((tag & 7) == VARINT) {
            into.add(varint());
        } else {
            throw fail("field " + (tag >>> 3) + ": expected int64, got wire type " + (tag & 7));
        }
    }

    /** A repeated float field, packed or not. */
    void floats(int tag, FloatList into) {
        if ((tag & 7) == LEN) {
            ByteBuffer b = bytes();
            if (b.remaining() % 4 != 0) throw fail("packed floats of " + b.remaining() + " bytes (not a multiple of 4)");
            while (b.hasRemaining()) into.add(b.getFloat());
        } else if ((tag & 7) == FIXED32) {
            into.add(Float.intBitsToFloat(fixed32()));
        } else {
            throw fail("field " + (tag >>> 3) + ": expected float, got wire type " + (tag & 7));
        }
    }

    /** A repeated double field, packed or not. */
    void doubles(int tag, FloatList into) {
        if ((tag & 7) == LEN) {
            ByteBuffer b = bytes();
            if (b.remaining() % 8 != 0) throw fail("packed doubles of " + b.remaining() + " bytes (not a multiple of 8)");
            while (b.hasRemaining()) into.add((float) b.getDouble());
        } else if ((tag & 7) == FIXED64) {
            into.add((float) Double.longBitsToDouble(fixed64()));
        } else {
            throw fail("field " + (tag >>> 3) + ": expected double, got wire type " + (tag & 7));
        }
    }

    void expect(int tag, int wire, String field) {
        if ((tag & 7) != wire) throw fail(field + ": wire type " + (tag & 7) + ", expected " + wire);
    }

    private void need(int n, String what) {
        if (buf.remaining() < n) throw fail("truncated " + what);
    }

    OnnxFormatException fail(String message) {
        return new OnnxFormatException(where + ": " + message);
    }

    /** A growable long[]. */
    static final class LongList {
        private long[] a = new long[8];
        private int n;

        void add(long v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() { return n; }

        long[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }

    /** A growable float[]. */
    static final class FloatList {
        private float[] a = new float[16];
        private int n;

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() { return n; }

        float[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }
}
