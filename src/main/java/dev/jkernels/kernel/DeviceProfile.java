package dev.jkernels.kernel;

import jcuda.driver.CUdevice_attribute;

import java.util.Locale;

/**
 * What kernel selection needs to know about a GPU: its SM count and the per-SM limits that decide
 * how many blocks of a kernel fit on an SM (threads, blocks, registers and their allocation unit,
 * shared memory and what each block reserves of it), plus the ratio of FP32 multiply-adds to bytes
 * of memory traffic the device sustains (to weigh a split-K reduction pass against the GEMM).
 * Immutable; validated at construction. {@link #of(CudaLauncher)} reads a real device; the
 * factories give the published limits of each compute capability the fatbin targets.
 *
 * @param fmaPerByte peak FP32 FMAs per second over DRAM bytes per second (H100/H200: 33.5 T / 4.3 T ≈ 8)
 */
public record DeviceProfile(String name, int ccMajor, int ccMinor, int smCount, int maxThreadsPerSm, int maxBlocksPerSm,
                            int regsPerSm, int regAllocUnit, int maxRegsPerThread, int smemPerSm, int smemReservedPerBlock,
                            double fmaPerByte) {

    public DeviceProfile {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("device profile: name must not be blank");
        positive("smCount", smCount);
        positive("maxThreadsPerSm", maxThreadsPerSm);
        positive("maxBlocksPerSm", maxBlocksPerSm);
        positive("regsPerSm", regsPerSm);
        positive("regAllocUnit", regAllocUnit);
        positive("maxRegsPerThread", maxRegsPerThread);
        positive("smemPerSm", smemPerSm);
        if (smemReservedPerBlock < 0) throw new IllegalArgumentException("device profile: smemReservedPerBlock must be >= 0, got " + smemReservedPerBlock);
        if (!(fmaPerByte > 0)) throw new IllegalArgumentException("device profile: fmaPerByte must be > 0, got " + fmaPerByte);
    }

    private static void positive(String what, int v) {
        if (v <= 0) throw new IllegalArgumentException("device profile: " + what + " must be > 0, got " + v);
    }

    /** Hopper (H100, H200): 2048 threads, 32 blocks, 64 K registers, 228 KiB shared memory per SM. */
    public static DeviceProfile sm90(String name, int smCount) {
        return new DeviceProfile(name, 9, 0, smCount, 2048, 32, 65536, 256, 255, 228 * 1024, 1024, 8.0);
    }

    /** Ampere A100: 2048 threads, 32 blocks, 64 K registers, 164 KiB shared memory per SM. */
    public static DeviceProfile sm80(String name, int smCount) {
        return new DeviceProfile(name, 8, 0, smCount, 2048, 32, 65536, 256, 255, 164 * 1024, 1024, 6.0);
    }

    /** Ampere GeForce / workstation (sm_86): 1536 threads, 16 blocks, 100 KiB shared memory per SM. */
    public static DeviceProfile sm86(String name, int smCount) {
        return new DeviceProfile(name, 8, 6, smCount, 1536, 16, 65536, 256, 255, 100 * 1024, 1024, 20.0);
    }

    /** Ada (sm_89): 1536 threads, 24 blocks, 100 KiB shared memory per SM. */
    public static DeviceProfile sm89(String name, int smCount) {
        return new DeviceProfile(name, 8, 9, smCount, 1536, 24, 65536, 256, 255, 100 * 1024, 1024, 40.0);
    }

    /** Turing (sm_75): 1024 threads, 16 blocks, 64 KiB shared memory per SM. */
    public static DeviceProfile sm75(String name, int smCount) {
        return new DeviceProfile(name, 7, 5, smCount, 1024, 16, 65536, 256, 255, 64 * 1024, 0, 16.0);
    }

    /** The device the selection assumes when there is none (the emulator): an H200, 132 SMs. */
    public static DeviceProfile nominal() { return sm90("nominal H200 (no GPU: the emulator)", 132); }

    /** The profile of the device behind {@code launcher}: its attributes, limits from its compute capability. */
    public static DeviceProfile of(CudaLauncher launcher) {
        int major = launcher.computeCapabilityMajor(), minor = launcher.computeCapabilityMinor();
        DeviceProfile base = forCapability(launcher.deviceName(), major, minor, launcher.multiprocessorCount());
        return new DeviceProfile(base.name, major, minor, launcher.multiprocessorCount(),
                launcher.deviceAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR),
                launcher.deviceAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR),
                launcher.deviceAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR),
                base.regAllocUnit, base.maxRegsPerThread,
                launcher.deviceAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR),
                launcher.deviceAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK), base.fmaPerByte);
    }

    /** Published limits for compute capability major.minor (the nearest the fatbin targets). */
    public static DeviceProfile forCapability(String name, int major, int minor, int smCount) {
        if (major >= 9) return sm90(name, smCount);
        if (major == 8 && minor == 0) return sm80(name, smCount);
        if (major == 8 && minor >= 9) return sm89(name, smCount);
        if (major == 8) return sm86(name, smCount);
        return sm75(name, smCount);
    }

    /** The device family a committed table of measured winners is keyed by, e.g. {@code sm_90}. */
    public String family() { return String.format(Locale.ROOT, "sm_%d%d", ccMajor, ccMinor); }

    /**
     * Blocks of a kernel that fit on one SM at once: the least of the thread, block, register and
     * shared-memory limits (the CUDA occupancy calculator's rules: registers are allocated per warp
     * in units of {@link #regAllocUnit}; each block also reserves {@link #smemReservedPerBlock}).
     * 0 when the kernel cannot run at all (too many registers or too much shared memory).
     */
    public int blocksPerSm(int threadsPerBlock, int regsPerThread, int smemPerBlock) {
        if (threadsPerBlock <= 0) throw new IllegalArgumentException("threadsPerBlock must be > 0, got " + threadsPerBlock);
        if (regsPerThread > maxRegsPerThread) return 0;
        int warps = (threadsPerBlock + 31) / 32;
        int byThreads = maxThreadsPerSm / (warps * 32);
        int byRegs = Integer.MAX_VALUE;
        if (regsPerThread > 0) {
            int regsPerWarp = ceilTo(regsPerThread * 32, regAllocUnit);
            byRegs = (regsPerSm / regsPerWarp) / warps;
        }
        int bySmem = Integer.MAX_VALUE;
        int smem = smemPerBlock + smemReservedPerBlock;
        if (smem > 0) bySmem = smemPerSm / smem;
        return Math.max(0, Math.min(Math.min(maxBlocksPerSm, byThreads), Math.min(byRegs, bySmem)));
    }

    private static int ceilTo(int v, int unit) { return (v + unit - 1) / unit * unit; }

    @Override public String toString() {
        return name + " (" + family() + ", " + smCount + " SMs)";
    }
}
