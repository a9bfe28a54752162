package dev.jkernels.robust.prop;

import dev.jkernels.Backend;
import dev.jkernels.kernel.DeviceBuffer;
import dev.jkernels.kernel.Dim3;
import dev.jkernels.kernel.KernelArgs;
import dev.jkernels.kernel.KernelBackend;
import dev.jkernels.kernel.KernelLaunch;
import dev.jkernels.kernel.KernelLauncher;

/**
 * The sanitizer child's self-check: launches the planted off-by-one kernel of
 * cuda/tests/planted_bugs.cu ({@code jk_test_oob_write}, one float past the end), which only the
 * ASan build of the library contains. Under ASan the child must die with a heap-buffer-overflow
 * report that the parent turns into a failure naming the kernel.
 */
final class PlantedBug {
    private PlantedBug() {}

    static final String KERNEL = "jk_test_oob_write";

    static long launchOutOfBounds(Backend emu) {
        KernelLauncher l = ((KernelBackend) emu).launcher();
        if (!l.hasKernel(KERNEL)) throw new IllegalStateException(KERNEL + " is only in the ASan build of the emulator library");
        long n = 100;
        DeviceBuffer y = l.allocate(n * Float.BYTES);
        try {
            l.launch(new KernelLaunch("planted out-of-bounds write", KERNEL, Dim3.of(1), Dim3.of(128), 0,
                    KernelArgs.builder().pointer(y).int64(n).build()));
        } finally {
            l.free(y);
        }
        return 1;
    }
}
