package dev.jkernels.kernel;

import dev.jkernels.nativeloader.KernelResources;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The build's ptxas summary ({@code jkernels-ptxas.txt}, one line per kernel and target: registers,
 * shared memory, stack, spills): the kernels' footprints when there is no GPU to ask. Immutable.
 */
public final class PtxasReport {
    private final Map<String, KernelFootprint> byKernelAndArch;

    private PtxasReport(Map<String, KernelFootprint> map) { this.byKernelAndArch = Map.copyOf(map); }

    /** Parses the summary's lines {@code name arch regs smem stack spillStores spillLoads [SPILL]}; '#' lines are comments. */
    public static PtxasReport parse(String text) {
        Map<String, KernelFootprint> map = new HashMap<>();
        for (String line : text.split("\n")) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("#")) continue;
            String[] f = t.split("\\s+");
            if (f.length < 4) continue;
            try {
                map.put(f[0] + "@" + f[1], new KernelFootprint(Integer.parseInt(f[2]), Integer.parseInt(f[3]), "ptxas report (" + f[1] + ")"));
            } catch (NumberFormatException e) {
                // not a kernel line
            }
        }
        return new PtxasReport(map);
    }

    private static final class Holder {
        static final Optional<PtxasReport> BUNDLED = KernelResources.ptxasSummary().map(PtxasReport::parse);
    }

    /** The report of this build, when it was built with nvcc. */
    public static Optional<PtxasReport> bundled() { return Holder.BUNDLED; }

    /** The footprint of {@code kernel} for {@code arch} (e.g. {@code sm_90}). */
    public Optional<KernelFootprint> footprint(String kernel, String arch) {
        return Optional.ofNullable(byKernelAndArch.get(kernel + "@" + arch));
    }

    public int size() { return byKernelAndArch.size(); }
}
