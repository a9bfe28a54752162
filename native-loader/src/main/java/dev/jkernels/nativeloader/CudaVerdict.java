package dev.jkernels.nativeloader;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link CudaProbe} found, once per process.
 *
 * @param cudaUsable whether the CUDA backend can run here
 * @param reason why (or why not), in words; names the missing piece when not usable
 * @param cublasUsable whether the cuBLAS path can run (false alone when only libcublas.so.12 is missing)
 * @param cublasReason why (or why not)
 * @param problem the first thing that stopped CUDA, {@link Problem#NONE} when usable
 * @param driverVersion the driver's CUDA version as {@code cuDriverGetVersion} encodes it
 *     (1000·major + 10·minor, 13000 for CUDA 13.0); 0 when unknown (no driver)
 * @param buildCudaVersion the nvcc version this build's kernels were compiled with ({@code 13.0}),
 *     or {@code null} when the build recorded none
 * @param jcudaVersion the JCuda version on the classpath ({@code 12.6.0}), or {@code null} when absent
 * @param devices every CUDA device the driver lists (empty when none or no driver)
 * @param emulatorUsable whether the emulator library (the kernels compiled for the CPU) loads here
 * @param emulatorReason why (or why not)
 */
public record CudaVerdict(boolean cudaUsable, String reason, boolean cublasUsable, String cublasReason,
                          Problem problem, int driverVersion, String buildCudaVersion, String jcudaVersion,
                          List<DeviceInfo> devices, boolean emulatorUsable, String emulatorReason) {

    /** What stopped the CUDA backend, checked in this order. */
    public enum Problem {
        /** CUDA is usable. */
        NONE,
        /** No {@code libcuda.so.1}: the NVIDIA driver is not installed (or not visible to this process). */
        NO_DRIVER_LIBRARY,
        /** JCuda's own native library did not load (it is not on the classpath, or failed to link). */
        JCUDA_UNAVAILABLE,
        /** {@code cuInit} failed for another reason than "no device". */
        INIT_FAILED,
        /** The driver loads but lists no CUDA device. */
        NO_DEVICE,
        /** The driver is older than the CUDA version the kernels were compiled with. */
        DRIVER_TOO_OLD,
        /** This build has no kernel fatbin (it was built without nvcc). */
        KERNELS_MISSING,
        /** No device has a compute capability this build's kernels can run on. */
        DEVICE_TOO_OLD,
        /** The probe itself failed unexpectedly; the reason carries the exception. */
        PROBE_FAILED,
        /**
         * The driver is the jkernels emulated CUDA driver (no GPU) and {@code JKERNELS_REQUIRE_GPU=1}
         * is set without {@code JKERNELS_ALLOW_EMULATED_DRIVER=1}.
         */
        EMULATED_DRIVER
    }

    public CudaVerdict {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(cublasReason, "cublasReason");
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(emulatorReason, "emulatorReason");
        devices = List.copyOf(devices);
        if (cudaUsable != (problem == Problem.NONE)) {
            throw new IllegalArgumentException("cudaUsable=" + cudaUsable + " contradicts problem=" + problem);
        }
    }

    /**
     * Whether the CUDA driver here is the jkernels emulated driver (cuda/emu/driver: JCuda on the CPU
     * emulator): then nothing measured through it is a GPU figure, usable or not.
     */
    public boolean emulatedDriver() { return devices.stream().anyMatch(DeviceInfo::emulated); }

    /** The driver's CUDA version as {@code major.minor}, if a driver answered. */
    public Optional<String> driverVersionString() {
        return driverVersion <= 0 ? Optional.empty() : Optional.of(formatCudaVersion(driverVersion));
    }

    /** 13000 → "13.0", 12060 → "12.6". */
    public static String formatCudaVersion(int encoded) {
        return (encoded / 1000) + "." + (encoded % 1000) / 10;
    }
}
