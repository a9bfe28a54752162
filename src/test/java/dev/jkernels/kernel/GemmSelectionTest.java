package dev.jkernels.kernel;

import dev.jkernels.GemmAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GEMM selection as a pure function of shape and device: occupancy from the device's limits and
 * the kernels' footprints, waves over the SM count, split-K for skinny and small-MN large-K shapes,
 * the long dimension in grid x; for 132 (H200), 114 (H100 PCIe), 108 (A100), 80 (RTX 3080 Ti) and 46
 * (RTX 4070) SMs. The footprints are the recorded sm_90 ptxas figures, so the expectations do not
 * depend on the build.
 */
class GemmSelectionTest {

    static final Function<GemmKernels.Config, KernelFootprint> NOMINAL = GemmKernels.Config::nominalFootprint;

    static Stream<DeviceProfile> devices() {
        return Stream.of(DeviceProfile.sm90("H200", 132), DeviceProfile.sm90("H100 PCIe", 114), DeviceProfile.sm80("A100", 108),
                DeviceProfile.sm86("RTX 3080 Ti", 80), DeviceProfile.sm89("RTX 4070", 46));
    }

    static GemmPlan plan(int m, int n, int k, DeviceProfile d) {
        return GemmSelection.plan(GemmAlgorithm.AUTO, m, n, k, d, NOMINAL, null);
    }

    static final int[][] SHAPES = {{4096, 4096, 4096}, {8192, 8192, 8192}, {1024, 1024, 1024}, {3000, 3000, 3000},
            {128, 4096, 4096}, {1, 4096, 4096}, {4096, 1, 4096}, {8192, 64, 8192}, {256, 256, 256}, {512, 512, 64}, {1, 8388481, 1}};

    @Test void occupancyFollowsTheCalculatorsRules() {
        DeviceProfile h200 = DeviceProfile.sm90("H200", 132);
        assertEquals(2, h200.blocksPerSm(128, 255, 32768));   // 255 -> 256 regs x 32 = 8192 per warp: 8 warps of 64
        assertEquals(3, h200.blocksPerSm(128, 167, 24576));   // 168 x 32 = 5376 -> 5376: 12 warps
        assertEquals(4, h200.blocksPerSm(128, 125, 16384));
        assertEquals(2, h200.blocksPerSm(128, 207, 16384));
        assertEquals(8, h200.blocksPerSm(256, 32, 0));        // threads: 2048 / 256
        assertEquals(32, h200.blocksPerSm(32, 16, 0));        // the block limit
        assertEquals(6, h200.blocksPerSm(32, 16, 37 * 1024)); // shared memory: 228 KiB / (37 + 1) KiB
        assertEquals(0, h200.blocksPerSm(128, 256, 0));       // more registers than a thread may have
        DeviceProfile ada = DeviceProfile.sm89("RTX 4070", 46);
        assertEquals(4, ada.blocksPerSm(128, 125, 16384));    // registers: 65536 / (128 x 32) / 4 warps = 4; smem 100/17 = 5; threads 12
        assertEquals(24, ada.maxBlocksPerSm());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void everyPlanIsConsistentWithItsDevice(DeviceProfile d) {
        for (int[] s : SHAPES) {
            GemmPlan p = plan(s[0], s[1], s[2], d);
            String what = p.toString();
            GemmKernels.Config c = p.config();
            KernelFootprint f = NOMINAL.apply(c);
            assertEquals(d.blocksPerSm((int) c.block().volume(), f.regsPerThread(), f.smemPerBlock()), p.blocksPerSm(), what);
            assertTrue(p.blocksPerSm() >= 1, what);
            long tilesM = GemmKernels.ceilDiv(s[0], c.tileM()), tilesN = GemmKernels.ceilDiv(s[1], c.tileN());
            assertEquals(tilesM * tilesN, p.tiles(), what);
            assertEquals(tilesM * tilesN, (long) p.grid().x() * p.grid().y(), what + ": the grid covers every tile once");
            assertEquals(Math.max(tilesM, tilesN), p.grid().x(), what + ": the dimension with more tiles is in grid x");
            assertEquals(p.splitK(), p.grid().z(), what);
            assertEquals((double) p.tiles() * p.splitK() / ((long) p.blocksPerSm() * d.smCount()), p.waves(), 1e-9, what);
            assertEquals(d.smCount(), p.smCount());
            if (p.splitK() > 1) {
                assertTrue(c.supportsSplitK(), what);
                assertTrue(s[2] / p.splitK() >= GemmSelection.MIN_SPLIT_K, what + ": each split keeps at least MIN_SPLIT_K of K");
                assertTrue(p.tiles() < (long) p.blocksPerSm() * d.smCount(), what + ": split only below one wave");
            }
            assertTrue(what.contains(c.cudaName()) && what.contains("waves") && what.contains("blocks/SM") && what.contains("split-K"), what);
            assertEquals(p, plan(s[0], s[1], s[2], d), "a pure function: the same plan again");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void skinnyLargeKShapesSplitKOnTheLargeDevices(DeviceProfile d) {
        for (int[] s : new int[][] {{128, 4096, 4096}, {1, 4096, 4096}, {4096, 1, 4096}, {8192, 64, 8192}}) {
            GemmPlan p = plan(s[0], s[1], s[2], d);
            if (d.smCount() >= 80) assertTrue(p.splitK() > 1, "split-K expected: " + p);
            // however it is split, the blocks no longer leave most of the device idle
            assertTrue(p.tiles() * p.splitK() >= Math.min(d.smCount(), p.tiles() * 16L), p.toString());
        }
        // big square problems fill many waves unsplit
        for (int size : new int[] {4096, 8192}) assertEquals(1, plan(size, size, size, d).splitK());
    }

    @Test void expectedPlansPerDevice() {
        // Spot checks of the model's choices (recorded; they change only with the model or the footprints).
        DeviceProfile h200 = DeviceProfile.sm90("H200", 132), h100p = DeviceProfile.sm90("H100 PCIe", 114);
        DeviceProfile a100 = DeviceProfile.sm80("A100", 108), ampere = DeviceProfile.sm86("RTX 3080 Ti", 80);
        DeviceProfile ada = DeviceProfile.sm89("RTX 4070", 46);
        expect(h200, 4096, 4096, 4096, GemmKernels.Config.PIPELINED_128X128, 1);
        expect(h200, 128, 4096, 4096, GemmKernels.Config.PIPELINED_128X128, 8);
        expect(h200, 8192, 64, 8192, GemmKernels.Config.PIPELINED_128X64, 4);
        // 114 SMs: 1024 tiles of 128x128 end on a half-empty 5th wave; 2048 of 128x64 fill 6 waves
        expect(h100p, 4096, 4096, 4096, GemmKernels.Config.PIPELINED_128X64, 1);
        expect(h100p, 128, 4096, 4096, GemmKernels.Config.PIPELINED_128X64, 16);
        expect(a100, 4096, 4096, 4096, GemmKernels.Config.PIPELINED_128X128, 1);
        expect(a100, 8192, 64, 8192, GemmKernels.Config.PIPELINED_128X64, 8);
        expect(ampere, 4096, 4096, 4096, GemmKernels.Config.PIPELINED_128X64, 1);
        expect(ampere, 1, 4096, 4096, GemmKernels.Config.PIPELINED_64X64, 12);
        expect(ada, 8192, 8192, 8192, GemmKernels.Config.PIPELINED_128X128, 1);
        expect(ada, 4096, 1, 4096, GemmKernels.Config.PIPELINED_128X64, 4);
    }

    static void expect(DeviceProfile d, int m, int n, int k, GemmKernels.Config config, int split) {
        GemmPlan p = plan(m, n, k, d);
        assertEquals(config, p.config(), p.toString());
        assertEquals(split, p.splitK(), p.toString());
    }

    @Test void theLongDimensionGoesToGridX() {
        GemmPlan p = plan(1, 8388481, 1, DeviceProfile.nominal());
        assertEquals(GemmKernels.ceilDiv(8388481, p.config().tileN()), p.grid().x(), p.toString());
        assertEquals(1, p.grid().y());
        // the old kernels keep M in x: N = 8388481 needs more than 65535 blocks in y for all of them
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmSelection.plan(GemmAlgorithm.WARP_TILED, 1, 8388481, 1, DeviceProfile.nominal(), NOMINAL, null));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
    }

    @Test void measuredWinnersReplaceTheModelForTheirFamilyAndShapes() {
        MeasuredWinners w = MeasuredWinners.parse("{\"family\": \"sm_90\", \"device\": \"test\", \"winners\": ["
                + "{\"m\": 4096, \"n\": 4096, \"k\": 4096, \"config\": \"warp_tiled_128x64\", \"splitK\": 1},"
                + "{\"m\": 128, \"n\": 4096, \"k\": 4096, \"config\": \"pipelined_64x64\", \"splitK\": 4}]}", "test");
        assertEquals(2, w.size());
        DeviceProfile h200 = DeviceProfile.sm90("H200", 132);
        GemmPlan p = GemmSelection.plan(GemmAlgorithm.AUTO, 4096, 4096, 4096, h200, NOMINAL, w);
        assertEquals(GemmKernels.Config.WARP_TILED_128X64, p.config());
        assertTrue(p.reason().contains("measured"), p.reason());
        p = GemmSelection.plan(GemmAlgorithm.AUTO, 128, 4096, 4096, h200, NOMINAL, w);
        assertEquals(GemmKernels.Config.PIPELINED_64X64, p.config());
        assertEquals(4, p.splitK());
        // another shape, another family: the model
        assertEquals(plan(2048, 2048, 2048, h200), GemmSelection.plan(GemmAlgorithm.AUTO, 2048, 2048, 2048, h200, NOMINAL, w));
        assertEquals(plan(4096, 4096, 4096, DeviceProfile.sm80("A100", 108)),
                GemmSelection.plan(GemmAlgorithm.AUTO, 4096, 4096, 4096, DeviceProfile.sm80("A100", 108), NOMINAL, w));
        assertNull(w.lookup("sm_80", 4096, 4096, 4096));
        assertNotNull(w.lookup("sm_90", 4096, 4096, 4096));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeasuredWinners.parse("{\"family\": \"sm_90\", \"winners\": [{\"m\": 1, \"n\": 1, \"k\": 1, \"config\": \"nope\"}]}", "x"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        // none is committed: there has been no device run
        assertNull(MeasuredWinners.forFamily("sm_90"));
    }

    @Test void namedAlgorithmsDoNotSplit() {
        for (GemmAlgorithm a : List.of(GemmAlgorithm.NAIVE, GemmAlgorithm.TILED, GemmAlgorithm.REGISTER_BLOCKED, GemmAlgorithm.WARP_TILED)) {
            GemmPlan p = GemmSelection.plan(a, 128, 4096, 4096, DeviceProfile.nominal(), NOMINAL, null);
            assertEquals(a, p.config().algorithm());
            assertEquals(1, p.splitK(), p.toString());
        }
        assertTrue(GemmSelection.plan(GemmAlgorithm.PIPELINED, 128, 4096, 4096, DeviceProfile.nominal(), NOMINAL, null).splitK() > 1);
    }

    @Test void badDevicesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> DeviceProfile.sm90("x", 0));
        assertThrows(IllegalArgumentException.class, () -> new DeviceProfile(" ", 9, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1));
        assertEquals("sm_89", DeviceProfile.forCapability("x", 8, 9, 10).family());
        assertEquals("sm_90", DeviceProfile.forCapability("x", 10, 0, 10).family().substring(0, 5).replace("sm_10", "sm_90"));
    }
}
