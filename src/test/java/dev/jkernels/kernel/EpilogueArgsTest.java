package dev.jkernels.kernel;

import dev.jkernels.Activation;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EpilogueArgs writes exactly the jk::Epilogue of epilogue.cuh: the field offsets the C side
 * static_asserts are the ones Java writes, and the bytes hold each value where the kernel reads it.
 */
class EpilogueArgsTest {

    /** A DeviceBuffer stand-in: only its identity matters to toBytes. */
    static DeviceBuffer fake(long bytes) { return new DeviceBuffer(null, bytes) {}; }

    @Test void offsetsMatchTheStaticAssertsOfEpilogueCuh() throws IOException {
        String src = Files.readString(Emulator.cudaDir().resolve("include/jkernels/epilogue.cuh"));
        Map<String, Integer> c = new LinkedHashMap<>();
        Matcher m = Pattern.compile("offsetof\\(Epilogue, (\\w+)\\) == (\\d+)").matcher(src);
        while (m.find()) c.put(m.group(1), Integer.parseInt(m.group(2)));
        Map<String, Integer> java = new LinkedHashMap<>();
        java.put("bias", EpilogueArgs.OFF_BIAS);
        java.put("residual", EpilogueArgs.OFF_RESIDUAL);
        java.put("residualLd", EpilogueArgs.OFF_RESIDUAL_LD);
        java.put("act", EpilogueArgs.OFF_ACT);
        java.put("actA", EpilogueArgs.OFF_ACT_A);
        java.put("actB", EpilogueArgs.OFF_ACT_B);
        java.put("actSlopes", EpilogueArgs.OFF_SLOPES);
        java.put("reserved1", EpilogueArgs.OFF_RESERVED1);
        assertEquals(java, c, "offsetof(Epilogue, field) in epilogue.cuh vs EpilogueArgs");
        assertTrue(src.contains("sizeof(Epilogue) == " + EpilogueArgs.BYTES), "epilogue.cuh asserts the size " + EpilogueArgs.BYTES);
        assertEquals(EpilogueArgs.BYTES, KernelArgs.Type.EPILOGUE.bytes);
    }

    @Test void runtimeDispatcherIsGeneratedFromTheXmacro() throws IOException {
        String src = Files.readString(Emulator.cudaDir().resolve("include/jkernels/epilogue.cuh"));
        assertTrue(src.contains("JK_ACTIVATIONS(JK_EPILOGUE_ACT_CASE)"), "activation_fwd's cases come from JK_ACTIVATIONS");
    }

    @Test void bytesHoldEveryField() {
        DeviceBuffer bias = fake(40), residual = fake(400), slopes = fake(40);
        EpilogueArgs e = EpilogueArgs.builder().alphaBeta(1.5f, -2f).bias(bias).residual(residual, 13)
                .activation(Activation.Kind.ELU.ordinal(), 0.7f, 0.25f).slopes(slopes).build();
        byte[] bytes = e.toBytes(b -> b == bias ? 0x1000 : b == residual ? 0x2000 : b == slopes ? 0x3000 : -1);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(64, bytes.length);
        assertEquals(1.5f, bb.getFloat(0));
        assertEquals(-2f, bb.getFloat(4));
        assertEquals(0x1000, bb.getLong(8));
        assertEquals(0x2000, bb.getLong(16));
        assertEquals(13, bb.getLong(24));
        assertEquals(Activation.Kind.ELU.ordinal(), bb.getInt(32));
        assertEquals(0.7f, bb.getFloat(36));
        assertEquals(0.25f, bb.getFloat(40));
        assertEquals(0, bb.getInt(44));
        assertEquals(0x3000, bb.getLong(48));
        assertEquals(0, bb.getLong(56));
        assertTrue(e.hasPostOps());
    }

    @Test void identityWritesNullPointersAndDefaults() {
        EpilogueArgs e = EpilogueArgs.identity();
        ByteBuffer bb = ByteBuffer.wrap(e.toBytes(b -> { throw new AssertionError("no buffer to resolve"); }))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1f, bb.getFloat(0));
        assertEquals(0f, bb.getFloat(4));
        assertEquals(0, bb.getLong(8));
        assertEquals(0, bb.getLong(16));
        assertEquals(Activation.Kind.IDENTITY.ordinal(), bb.getInt(32));
        assertEquals(0, bb.getLong(48));
        assertFalse(e.hasPostOps());
    }

    @Test void activationFromTheJavaActivation() {
        EpilogueArgs e = EpilogueArgs.builder().activation(Activation.leakyRelu(0.2f)).build();
        assertEquals(Activation.Kind.LEAKY_RELU, e.activationKind());
        assertEquals(0.2f, e.actA());
        assertEquals(0f, e.actB());
        EpilogueArgs moved = e.withAlphaBeta(1f, 0f);
        assertEquals(e.activationCode(), moved.activationCode());
    }

    @Test void badFieldsAreRejectedAtConstruction() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EpilogueArgs.builder().activation(Activation.Kind.values().length, 0f, 0f).build());
        assertTrue(e.getMessage().contains("activation code"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EpilogueArgs.builder().activation(-1, 0f, 0f).build());
        e = assertThrows(IllegalArgumentException.class, () -> EpilogueArgs.builder().residual(null, 5).build());
        assertTrue(e.getMessage().contains("residualLd"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EpilogueArgs.builder().residual(fake(4), -1).build());
        assertTrue(e.getMessage().contains("residualLd"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KernelArgs.builder().epilogue(null));
    }
}
