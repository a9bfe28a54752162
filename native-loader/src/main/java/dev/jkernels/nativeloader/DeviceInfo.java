package dev.jkernels.nativeloader;

/**
 * One CUDA device as the driver reports it.
 *
 * @param index the device ordinal ({@code Backends.cuda(index)})
 * @param name the marketing name, e.g. {@code NVIDIA H200}
 * @param computeMajor compute capability, major part (9 for sm_90)
 * @param computeMinor compute capability, minor part
 * @param totalMemoryBytes global memory in bytes
 */
public record DeviceInfo(int index, String name, int computeMajor, int computeMinor, long totalMemoryBytes) {

    /**
     * Whether this is the jkernels emulated CUDA driver's device ({@value CudaProbe#EMULATED_DEVICE_NAME}:
     * cuda/emu/driver, the kernels on the CPU emulator), not a GPU.
     */
    public boolean emulated() { return name != null && name.startsWith(CudaProbe.EMULATED_DEVICE_NAME); }

    /** The SASS target name of this device, e.g. {@code sm_90}. */
    public String sm() { return "sm_" + computeMajor + computeMinor; }

    /** {@code major.minor}, e.g. {@code 9.0}. */
    public String computeCapability() { return computeMajor + "." + computeMinor; }

    /** The compute capability as one number, 10·major + minor (90 for sm_90), for comparisons. */
    public int computeCode() { return computeMajor * 10 + computeMinor; }

    @Override public String toString() {
        return "#" + index + " " + name + " (" + sm() + ", " + String.format(java.util.Locale.ROOT, "%.1f GiB",
                totalMemoryBytes / (1024.0 * 1024 * 1024)) + ")";
    }
}
