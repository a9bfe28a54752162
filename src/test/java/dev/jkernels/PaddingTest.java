package dev.jkernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SAME and VALID as TensorFlow resolves them. The expected values were worked out by hand from
 * TensorFlow's rule (out = ⌈in/stride⌉, total = max((out−1)·stride + (k−1)·dilation + 1 − in, 0),
 * before = ⌊total/2⌋, after = the rest), not by calling the code under test.
 */
class PaddingTest {

    @ParameterizedTest(name = "in={0} k={1} stride={2} dilation={3}: before={4} after={5}, out={6}")
    @CsvSource({
            // in, k, stride, dilation, before, after, out
            "5, 3, 2, 1, 1, 1, 3",     // odd input, stride 2: total 2
            "6, 3, 2, 1, 0, 1, 3",     // even input, stride 2: total 1, the extra pixel after
            "7, 4, 1, 1, 1, 2, 7",     // even kernel: total 3
            "28, 3, 1, 1, 1, 1, 28",
            "224, 7, 2, 1, 2, 3, 112", // a ResNet stem in TensorFlow: total 5
            "225, 3, 2, 1, 1, 1, 113",
            "4, 1, 2, 1, 0, 0, 2",     // total would be −1: clamped to 0
            "10, 3, 1, 2, 2, 2, 10",   // dilation 2: effective kernel 5
            "11, 5, 3, 1, 1, 2, 4",    // stride 3: total 3
            "1, 3, 1, 1, 1, 1, 1",     // a 1-pixel input
            "2, 3, 3, 1, 0, 1, 1",     // stride larger than the input
            "9, 3, 3, 2, 1, 1, 3",     // stride 3, dilation 2: total (3−1)·3 + 5 − 9 = 2
            "13, 2, 2, 1, 0, 1, 7",    // odd input, even kernel, stride 2: total 12 + 2 − 13 = 1
    })
    void sameResolvesAsTensorFlow(int in, int k, int stride, int dil, int before, int after, int out) {
        // rows and columns independently: put the case in H, and a different one in W
        int[] pad = Padding.same().resolve(in, 7, k, 3, stride, 1, dil, 1);
        assertEquals(before, pad[0], "top");
        assertEquals(after, pad[1], "bottom");
        assertEquals(1, pad[2], "left (W: 7, k 3, stride 1)");
        assertEquals(1, pad[3], "right");
        int[] padW = Padding.same().resolve(7, in, 3, k, 1, stride, 1, dil);
        assertArrayEquals(new int[] {1, 1, before, after}, padW);

        // and the output size the conv geometry derives is TensorFlow's ⌈in/stride⌉
        Conv2dSpec spec = Conv2dSpec.builder().paddingSame().stride(stride, 1).dilation(dil, 1).build();
        Conv2dGeometry g = spec.geometry(Shape.of(1, 1, in, 7), Shape.of(1, 1, k, 3));
        assertEquals(out, g.p());
        assertEquals(7, g.q());
    }

    @ParameterizedTest(name = "VALID in={0} k={1} stride={2} dilation={3}: out={4}")
    @CsvSource({
            "5, 3, 2, 1, 2",
            "6, 3, 2, 1, 2",
            "28, 3, 1, 1, 26",
            "224, 7, 2, 1, 109",
            "10, 3, 1, 2, 6",
            "3, 3, 1, 1, 1",
            "11, 5, 3, 1, 3",
    })
    void validHasNoPaddingAndTensorFlowsOutputSize(int in, int k, int stride, int dil, int out) {
        assertArrayEquals(new int[4], Padding.valid().resolve(in, in, k, k, stride, stride, dil, dil));
        Conv2dSpec spec = Conv2dSpec.builder().paddingValid().stride(stride).dilation(dil).build();
        Conv2dGeometry g = spec.geometry(Shape.of(1, 2, in, in), Shape.of(3, 2, k, k));
        // TensorFlow: ⌈(in − (k−1)·dilation) / stride⌉
        assertEquals(out, g.p());
        assertEquals((in - (k - 1) * dil + stride - 1) / stride, g.p());
    }

    @Test
    void explicitAndSymmetric() {
        assertArrayEquals(new int[] {1, 2, 3, 4}, Padding.of(1, 2, 3, 4).resolve(9, 9, 3, 3, 1, 1, 1, 1));
        assertArrayEquals(new int[] {2, 2, 2, 2}, Padding.symmetric(2).resolve(9, 9, 3, 3, 2, 2, 1, 1));
        assertArrayEquals(new int[] {1, 1, 3, 3}, Padding.symmetric(1, 3).resolve(9, 9, 3, 3, 1, 1, 1, 1));
        assertTrue(Padding.of(0, 0, 0, 0).isExplicit());
        assertFalse(Padding.same().isExplicit());
        assertEquals(Padding.of(1, 2, 3, 4), Padding.of(1, 2, 3, 4));
        assertNotEquals(Padding.valid(), Padding.of(0, 0, 0, 0), "VALID is a mode, not explicit zeros");
    }

    @Test
    void parseAndReject() {
        assertSame(Padding.same(), Padding.parse(" SAME "));
        assertSame(Padding.valid(), Padding.parse("valid"));
        assertThrows(IllegalArgumentException.class, () -> Padding.parse("full"));
        assertThrows(IllegalArgumentException.class, () -> Padding.parse(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Padding.of(0, -1, 0, 0));
        assertTrue(e.getMessage().contains("bottom=-1"), e.getMessage());
    }
}
