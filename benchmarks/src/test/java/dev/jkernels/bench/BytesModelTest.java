package dev.jkernels.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class BytesModelTest {

    @Test
    void throughputUnits() {
        // 2·1024³ flops in 1 ms = 2.147 TFLOP/s
        assertEquals(2.147483648, BytesModel.tflopPerSecond(2.0 * 1024 * 1024 * 1024, 1.0), 1e-12);
        // 1 GB in 1 ms = 1000 GB/s
        assertEquals(1000.0, BytesModel.gbPerSecond(1e9, 1.0), 1e-9);
        assertEquals(8.0 * 67_108_864, BytesModel.elementwiseBytes(67_108_864));
    }

    @Test
    void predictedPassAndSpeedup() {
        // 10⁶ outputs · 8 B at 4000 GB/s = 2 µs
        assertEquals(0.002, BytesModel.predictedElementwiseMs(1_000_000, 4000), 1e-15);
        // a 0.01 ms conv plus a 0.002 ms pass: fusing should give 1.2×
        assertEquals(1.2, BytesModel.predictedFusionSpeedup(0.01, 1_000_000, 4000), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> BytesModel.predictedElementwiseMs(1, 0));
        assertThrows(IllegalArgumentException.class, () -> BytesModel.predictedFusionSpeedup(0, 1, 1));
    }

    /** ANCHORS.md: at 4.3 TB/s and 40 TFLOP/s the pass adds about 37/(C·R·S) of the conv time. */
    @Test
    void theAnchorsRuleOfThumb() {
        double perCrs = 8.0 * 40e12 / (4.3e12 * 2);   // 37.2
        assertEquals(perCrs / (64 * 9), BytesModel.passShareOfConv(64, 3, 3, 40, 4300), 1e-12);
        assertEquals(0.0646, BytesModel.passShareOfConv(64, 3, 3, 40, 4300), 5e-4);   // "~6 % for C=64, 3×3"
        assertTrue(BytesModel.passShareOfConv(1, 3, 3, 40, 4300) > 1, "C=1: the pass costs more than the conv");
        assertTrue(BytesModel.passShareOfConv(3, 7, 7, 40, 4300) < 0.3);
    }

    @Test
    void shareNeedsBothFigures() {
        assertEquals(0.5, BytesModel.share(1.0, 2.0));
        assertNull(BytesModel.share(null, 2.0));
        assertNull(BytesModel.share(1.0, null));
        assertNull(BytesModel.share(1.0, 0.0));
    }
}
