package dev.jkernels.kernel;

import dev.jkernels.cpu.Tf32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Java's {@link Tf32#round} against its definition (round to nearest, ties away from zero, 10
 * mantissa bits), and bit for bit against the CUDA kernel {@code jk_round_tf32}
 * ({@code __float_to_tf32}, {@code cvt.rna.tf32.f32}) in the emulator, in serial mode (it has no
 * barrier) and fibers: special values (NaN payloads included), every tie and near-tie pattern of the
 * dropped bits, and random bit patterns.
 */
class Tf32RoundingTest {
    private static EmulatedLauncher launcher;

    @BeforeAll static void open() { launcher = Emulator.open(EmulatorMode.FIBERS); }

    @AfterAll static void close() { if (launcher != null) launcher.close(); }

    private static float bits(int u) { return Float.intBitsToFloat(u); }

    @Test void definition() {
        assertEquals(1f, Tf32.round(1f));
        assertEquals(bits(0x3f80_2000), Tf32.round(bits(0x3f80_1000)), "1 + 2^-11 is a tie: away from zero");
        assertEquals(bits(0xbf80_2000), Tf32.round(bits(0xbf80_1000)), "negative tie: away from zero too");
        assertEquals(bits(0x3f80_0000), Tf32.round(bits(0x3f80_0fff)), "just below the tie: down");
        assertEquals(bits(0x3f80_4000), Tf32.round(bits(0x3f80_3000)), "a tie above an odd TF32 value: up (not to even)");
        assertEquals(bits(0x4000_0000), Tf32.round(bits(0x3fff_f000)), "a carry into the exponent");
        assertEquals(Float.POSITIVE_INFINITY, Tf32.round(Float.MAX_VALUE), "rounds up past the largest TF32 value: Inf");
        assertEquals(Float.NEGATIVE_INFINITY, Tf32.round(-Float.MAX_VALUE));
        assertEquals(Float.POSITIVE_INFINITY, Tf32.round(Float.POSITIVE_INFINITY));
        assertEquals(Float.NEGATIVE_INFINITY, Tf32.round(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Tf32.round(Float.NaN)));
        assertEquals(0x7fc0_0000, Float.floatToRawIntBits(Tf32.round(Float.NaN)), "the quiet NaN as it is");
        assertEquals(0xffc0_2000, Float.floatToRawIntBits(Tf32.round(bits(0xffc0_3fff))), "a NaN is masked, sign and top payload kept");
        assertEquals(Float.POSITIVE_INFINITY, Tf32.round(bits(0x7f80_0001)), "a NaN whose payload is only dropped bits: Inf, as on the GPU");
        assertEquals(bits(0x8000_0000), Tf32.round(-0f));
        assertEquals(bits(0x0000_2000), Tf32.round(bits(0x0000_1000)), "subnormal tie: away from zero, no flush");
        assertEquals(0f, Tf32.round(bits(0x0000_0fff)));
        SplittableRandom r = new SplittableRandom(16);
        for (int i = 0; i < 100_000; i++) {
            float x = bits(r.nextInt());
            if (!Float.isFinite(x)) continue;
            float y = Tf32.round(x);
            assertEquals(0, Float.floatToRawIntBits(y) & 0x1fff, "low 13 bits zero");
            // The nearest of the two TF32 neighbours, the one farther from zero on a tie.
            int u = Float.floatToRawIntBits(x), down = u & ~0x1fff, up = down + 0x2000;
            double upValue = Float.isInfinite(bits(up)) ? Math.copySign(0x1p128, x) : bits(up);  // past the largest: 2^128
            double dd = Math.abs((double) x - bits(down)), du = Math.abs(upValue - x);
            int want = dd < du ? down : up;
            assertEquals(want, Float.floatToRawIntBits(y), "x = " + Integer.toHexString(u));
        }
    }

    private static float[] patterns() {
        int[] special = {0, 0x8000_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x7f80_0001, 0xffc0_1234, 0x7f7f_ffff, 0xff7f_ffff,
                0x7f7f_f000, 0x7f7f_efff, 0x0000_0001, 0x0000_1000, 0x8000_1000, 0x0000_2fff, 0x007f_ffff, 0x0080_0000};
        int perMantissa = 16;
        int[] lows = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x0800, 0x17ff};
        SplittableRandom r = new SplittableRandom(1616);
        int randoms = 20_000;
        float[] x = new float[special.length + perMantissa * lows.length * 2 + randoms];
        int i = 0;
        for (int s : special) x[i++] = bits(s);
        for (int m = 0; m < perMantissa; m++) {
            int high = (r.nextInt() & ~0x1fff);
            for (int low : lows) {
                x[i++] = bits(high | low);
                x[i++] = bits((high | low) ^ 0x8000_0000);
            }
        }
        while (i < x.length) x[i++] = bits(r.nextInt());
        return x;
    }

    private void againstKernel(EmulatedLauncher l) {
        float[] x = patterns();
        DeviceBuffer bx = l.allocate(4L * x.length), by = l.allocate(4L * x.length);
        try {
            l.write(bx, 0, x, 0, x.length);
            l.launch(TensorCores.round(bx, by, x.length, "jk_round_tf32 test"));
            float[] y = new float[x.length];
            l.read(by, 0, y, 0, y.length);
            for (int i = 0; i < x.length; i++) {
                float want = Tf32.round(x[i]);
                boolean same = Float.floatToRawIntBits(want) == Float.floatToRawIntBits(y[i]);  // NaN payloads too
                if (!same) {
                    fail("element " + i + ": x = 0x" + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ", kernel 0x"
                            + Integer.toHexString(Float.floatToRawIntBits(y[i])) + ", Java 0x" + Integer.toHexString(Float.floatToRawIntBits(want)));
                }
            }
        } finally {
            l.free(bx);
            l.free(by);
        }
    }

    @Test void bitForBitAgainstTheKernelInFibers() { againstKernel(launcher); }

    @Test void bitForBitAgainstTheKernelInSerialMode() {
        try (EmulatedLauncher serial = Emulator.open(EmulatorMode.SERIAL)) {
            againstKernel(serial);
        }
    }
}
