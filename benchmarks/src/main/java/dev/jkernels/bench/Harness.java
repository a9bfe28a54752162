package dev.jkernels.bench;

import dev.jkernels.Activation;
import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.Backends;
import dev.jkernels.ConvAlgorithm;
import dev.jkernels.Conv2dSpec;
import dev.jkernels.GemmAlgorithm;
import dev.jkernels.Precision;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.TensorScope;
import dev.jkernels.kernel.ConvFastKernels;
import dev.jkernels.kernel.KernelBackend;
import dev.jkernels.nativeloader.CudaProbe;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Runs the public workloads on one backend and reports time, throughput and the share of each
 * limit: GEMM, conv2d, element-wise activations, and fused conv2d+activation against two launches.
 *
 * <p>For every workload: fresh seeded random inputs (never zeros); one run whose sampled outputs
 * are checked against a double-precision reference computed here from the inputs (a failing result
 * is reported and not timed); then warm-up runs and the median of the timed repeats. On CUDA the
 * time is the kernel time by CUDA events ({@link KernelBackend#timeMillis}) and the L2 cache is
 * flushed before each repeat of a small problem; on the CPU and the emulator it is the wall clock
 * around the op and a synchronize (on the CPU after a warm-up that lasts until the time per run is
 * steady, for the JIT, and over at least 0.2 s of repeats). On anything but CUDA big workloads are scaled down (conv batch,
 * activation length) or skipped, and every output says which backend ran.
 *
 * <pre>
 * java -jar benchmarks/target/dist/jkernels-benchmarks.jar --quick             # CPU, seconds
 * java -jar … --backend cuda --json bench.json --anchors anchors.json          # the rig
 * </pre>
 */
public final class Harness {

    /** The command line, parsed. */
    public record Options(String backend, Path workloads, Path json, Path anchors, int reps, int warmup,
                          boolean quick, Set<String> only, long seed, List<GemmAlgorithm> gemmAlgorithms,
                          Double maxGflop, Long maxElements, List<ConvAlgorithm> convAlgorithms, List<String> convVariants,
                          List<Precision> precisions) {

        static final Set<String> OPS = Set.of("gemm", "conv2d", "activation", "fused");

        public static Options parse(String... args) {
            String backend = "auto";
            Path workloads = null, json = null, anchors = null;
            Integer reps = null, warmup = null;
            boolean quick = false;
            Set<String> only = new LinkedHashSet<>(List.of("gemm", "conv2d", "activation", "fused"));
            long seed = 42;
            List<GemmAlgorithm> algs = List.of(GemmAlgorithm.AUTO);
            Double maxGflop = null;
            List<ConvAlgorithm> convAlgs = List.of(ConvAlgorithm.AUTO);
            List<String> convVariants = List.of();
            Long maxElements = null;
            List<Precision> precisions = List.of(Precision.FP32);
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--backend" -> {
                        backend = value(args, ++i, a).toLowerCase(Locale.ROOT);
                        if (!Set.of("cpu", "cuda", "emulated", "auto").contains(backend)) {
                            throw new IllegalArgumentException("--backend: expected cpu, cuda, emulated or auto, got " + backend);
                        }
                    }
                    case "--workloads" -> workloads = Path.of(value(args, ++i, a));
                    case "--json" -> json = Path.of(value(args, ++i, a));
                    case "--anchors" -> anchors = Path.of(value(args, ++i, a));
                    case "--reps" -> reps = positive(value(args, ++i, a), a);
                    case "--warmup" -> warmup = nonNegative(value(args, ++i, a), a);
                    case "--quick" -> quick = true;
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                    case "--max-gflop" -> maxGflop = Double.parseDouble(value(args, ++i, a));
                    case "--max-elements" -> maxElements = (long) positive(value(args, ++i, a), a);
                    case "--only" -> {
                        only = new LinkedHashSet<>();
                        for (String op : value(args, ++i, a).split(",")) {
                            String o = op.trim().toLowerCase(Locale.ROOT);
                            if (!OPS.contains(o)) throw new IllegalArgumentException("--only: unknown op '" + op + "' (gemm, conv2d, activation, fused)");
                            only.add(o);
                        }
                    }
                    case "--gemm-algorithms" -> {
                        List<GemmAlgorithm> l = new ArrayList<>();
                        for (String s : value(args, ++i, a).split(",")) {
                            GemmAlgorithm g = GemmAlgorithm.valueOf(s.trim().toUpperCase(Locale.ROOT));
                            if (g == GemmAlgorithm.CUBLAS) throw new IllegalArgumentException("--gemm-algorithms: cuBLAS runs beside every GEMM on CUDA already");
                            l.add(g);
                        }
                        algs = List.copyOf(l);
                    }
                    case "--conv-algorithms" -> {
                        List<ConvAlgorithm> l = new ArrayList<>();
                        for (String s : value(args, ++i, a).split(",")) l.add(ConvAlgorithm.valueOf(s.trim().toUpperCase(Locale.ROOT)));
                        if (!l.contains(ConvAlgorithm.AUTO)) l.add(0, ConvAlgorithm.AUTO);  // AUTO's row carries the fused rows
                        convAlgs = List.copyOf(l);
                    }
                    case "--conv-variants" -> {
                        List<String> l = new ArrayList<>();
                        for (String s : value(args, ++i, a).split(",")) l.add(ConvFastKernels.byName(s.trim()).cudaName());
                        convVariants = List.copyOf(l);
                    }
                    case "--precisions" -> {
                        java.util.LinkedHashSet<Precision> l = new java.util.LinkedHashSet<>(List.of(Precision.FP32));
                        for (String s : value(args, ++i, a).split(",")) l.add(Precision.parse("--precisions", s));
                        precisions = List.copyOf(l);
                    }
                    case "-h", "--help" -> throw new HelpRequested();
                    default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
                }
            }
            if (quick && workloads != null) throw new IllegalArgumentException("--quick and --workloads exclude each other");
            return new Options(backend, workloads, json, anchors, reps != null ? reps : quick ? 5 : 10,
                    warmup != null ? warmup : quick ? 2 : 3, quick, Set.copyOf(only), seed, algs, maxGflop, maxElements,
                    convAlgs, convVariants, precisions);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
            return args[i];
        }

        private static int positive(String v, String option) {
            int n = Integer.parseInt(v);
            if (n < 1) throw new IllegalArgumentException(option + " must be >= 1, got " + n);
            return n;
        }

        private static int nonNegative(String v, String option) {
            int n = Integer.parseInt(v);
            if (n < 0) throw new IllegalArgumentException(option + " must be >= 0, got " + n);
            return n;
        }
    }

    static final class HelpRequested extends RuntimeException {
        HelpRequested() { super(null, null, false, false); }
    }

    static final String USAGE = """
            usage: Harness [--backend cpu|cuda|emulated|auto] [--quick] [--workloads FILE] [--only gemm,conv2d,activation,fused]
                           [--reps N] [--warmup N] [--json FILE] [--anchors anchors.json] [--seed N]
                           [--gemm-algorithms AUTO,NAIVE,TILED,REGISTER_BLOCKED,WARP_TILED] [--max-gflop X] [--max-elements N]
                           [--conv-algorithms AUTO,DIRECT,IMPLICIT_GEMM,IMPLICIT_GEMM_PIPELINED,WINOGRAD,...]
                           [--conv-variants igemm_128x128,igemm_128x64,igemm_64x64,winograd_2x2_3x3,...]
                           [--precisions FP32,TF32,FP32_3XTF32]
              --quick       a small CPU-sized list (the README's main job); default backend auto
              --workloads   a workloads.json (default: the public list kept in this jar)
              --anchors     PyTorch figures from the rig (anchors.py) for the shares of cuBLAS and cuDNN
              --max-gflop   on CPU/emulated: the largest op run (bigger convs are scaled down, others skipped)
              --max-elements on CPU/emulated: the largest activation run (default 2^24 CPU, 2^20 emulated)
              --conv-algorithms  conv2d rows per algorithm (AUTO always; named kernels run where they apply,
                            e.g. WINOGRAD on 3x3 stride 1, DEPTHWISE on groups = C, else AUTO's kernel)
              --conv-variants    conv2d rows per kernel variant (-Djkernels.conv.variant on AUTO; where it applies)
              --precisions  FP32 (always) plus TF32 and/or FP32_3XTF32: AUTO GEMM and conv2d rows in each; TF32 beside
                            cuBLAS in TF32 tensor-op math and PyTorch with allow_tf32, 3xTF32 beside SGEMM and cuDNN FP32
            Markdown on stdout, progress on stderr, JSON with --json.""";

    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (HelpRequested h) {
            System.out.println(USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("harness: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        Backend backend;
        try {
            backend = create(o.backend());
        } catch (RuntimeException | LinkageError e) {
            System.err.println("harness: cannot create the " + o.backend() + " backend: " + e.getMessage());
            System.err.println("harness: CUDA probe: " + CudaProbe.verdict().reason());
            System.err.println("harness: run `mvn -q -B -pl native-loader compile exec:java` (doctor) for details, or use --backend cpu");
            System.exit(3);
            return;
        }
        int failures;
        try (backend) {
            Workloads w = o.quick() ? Workloads.quick() : o.workloads() != null ? Workloads.read(o.workloads()) : Workloads.builtIn();
            Anchors anchors = o.anchors() != null ? Anchors.read(o.anchors()) : null;
            Harness h = new Harness(backend, o, anchors, System.err);
            // with --json the file is rewritten after every workload, so a run stopped by a time
            // limit still leaves what it measured (marked "complete": false)
            BenchResult r = h.run(w, o.json() == null ? x -> {} : x -> x.write(o.json()));
            System.out.print(Tables.render(r));
            System.out.flush();
            if (o.json() != null) {
                r.write(o.json());
                System.err.println("harness: wrote " + o.json());
            }
            failures = r.checkFailures();
            if (h.allocationWarnings() > 0) {
                System.err.println("harness: " + h.allocationWarnings() + " result(s) allocated more per call than they touch"
                        + " (the warnings above): their figures are not what the kernels can do");
            }
        }
        if (failures > 0) {
            System.err.println("harness: " + failures + " result(s) failed (a wrong result in the spot check, or an error)");
            System.exit(1);
        }
    }

    /** The backend named on the command line; an exception saying why when it cannot be made. */
    static Backend create(String name) {
        return switch (name) {
            case "cpu" -> Backends.cpu();
            case "cuda" -> Backends.cuda(0);
            case "emulated" -> Backends.emulated();
            case "auto" -> Backends.auto();
            default -> throw new IllegalArgumentException("backend: " + name);
        };
    }

    // ---------------------------------------------------------------------------------------------

    /** Problems touching fewer bytes than this get the L2 flushed before each timed repeat (CUDA). */
    static final long FLUSH_BELOW_BYTES = 256L << 20;
    /** The flush copies this many floats each way: 96 MiB, about twice the H200's L2. */
    static final int FLUSH_FLOATS = 24 << 20;

    private final Backend backend;
    private final Options options;
    private final Anchors anchors;
    private final PrintStream progress;
    /** The GPU path: KernelBackend.timeMillis, L2 flushes, cuBLAS beside every GEMM (CUDA; the emulator in tests). */
    private final boolean cuda;
    /** Whether the backend really is a GPU (labels, limits); never on the emulated CUDA driver. */
    private final boolean gpu;
    /** CUDA through the jkernels emulated driver: the GPU code path, the emulator's sizes and labels. */
    private final boolean emulatedDriver;
    private final int copyFloats, flushFloats;
    private final double maxFlops;
    private final long maxActivationElements;
    private Tensor flushSrc, flushDst;
    private double copyGbps = Double.NaN;
    private String cublasNote;
    private int checkFailures;
    private int allocationWarnings;

    Harness(Backend backend, Options options, Anchors anchors, PrintStream progress) {
        // 1 GiB each way for the copy on the GPU (as the anchors), 64 MiB on the CPU and the emulated driver
        this(backend, options, anchors, progress, backend.kind() == BackendKind.CUDA,
                isGpu(backend) ? 1 << 28 : 1 << 24, emulatedDriver(backend) ? 1 << 20 : FLUSH_FLOATS);
    }

    /**
     * Whether {@code backend} runs on the jkernels emulated CUDA driver (cuda/emu/driver: JCuda on the
     * CPU emulator, for tests and rig rehearsals): a CUDA backend whose figures are never GPU figures.
     */
    static boolean emulatedDriver(Backend backend) {
        return backend.kind() == BackendKind.CUDA && CudaProbe.verdict().emulatedDriver();
    }

    /** Whether the figures measured on {@code backend} are GPU figures: CUDA on a real GPU only. */
    static boolean isGpu(Backend backend) { return backend.kind() == BackendKind.CUDA && !emulatedDriver(backend); }

    /** With the GPU path chosen explicitly, and smaller buffers: lets a test drive the CUDA code path on the emulator. */
    Harness(Backend backend, Options options, Anchors anchors, PrintStream progress, boolean gpuPath, int copyFloats, int flushFloats) {
        this.backend = backend;
        this.emulatedDriver = emulatedDriver(backend);
        this.gpu = backend.kind() == BackendKind.CUDA && !emulatedDriver;
        this.copyFloats = copyFloats;
        this.flushFloats = flushFloats;
        this.options = options;
        this.anchors = anchors;
        this.progress = progress;
        this.cuda = gpuPath && backend instanceof KernelBackend;
        BackendKind sizes = emulatedDriver ? BackendKind.EMULATED : backend.kind();  // the emulated driver: the emulator's sizes
        double defaultGflop = switch (sizes) {
            case CUDA -> Double.POSITIVE_INFINITY;
            case CPU -> 20;
            case EMULATED -> 0.05;
        };
        this.maxFlops = (options.maxGflop() != null ? options.maxGflop() : defaultGflop) * 1e9;
        this.maxActivationElements = options.maxElements() != null ? options.maxElements() : switch (sizes) {
            case CUDA -> Long.MAX_VALUE;
            case CPU -> 1L << 24;
            case EMULATED -> 1L << 20;
        };
    }

    private String kindLabel() { return emulatedDriver ? "the EMULATED CUDA driver" : backend.kind().name(); }

    BenchResult run(Workloads w) { return run(w, r -> {}); }

    /** Runs {@code w}; {@code snapshot} receives the partial result after each workload (for --json). */
    BenchResult run(Workloads w, java.util.function.Consumer<BenchResult> snapshot) {
        progress.println("harness: backend " + backend.name() + " (" + backend.description() + ")"
                + (gpu ? "" : " -- NOT a GPU: " + (backend.kind() == BackendKind.CPU ? "the CPU backend"
                        : emulatedDriver ? "the jkernels EMULATED CUDA driver (JCuda on the CPU emulator)" : "the emulator (CUDA kernels on the CPU)")));
        List<BenchResult.GemmRow> gemm = new ArrayList<>();
        List<BenchResult.ConvRow> conv = new ArrayList<>();
        List<BenchResult.ActivationRow> act = new ArrayList<>();
        List<BenchResult.FusedRow> fused = new ArrayList<>();
        BenchResult.Copy copy;
        try (TensorScope scope = new TensorScope()) {
            if (cuda) {
                flushSrc = scope.track(backend.zeros(flushFloats));
                flushDst = scope.track(backend.zeros(flushFloats));
            }
            // At least as large as the activations (ReLU over 64 M floats against a 64 MiB copy
            // compared a buffer pair that fit a 480 MiB L3 with one that did not: 59 % against 101 %).
            long actFloats = options.only().contains("activation") && !w.activations().isEmpty()
                    ? Math.min(w.activationElements(), maxActivationElements) : 0;
            copy = measureCopy((int) Math.min(Math.max(copyFloats, actFloats), 1 << 29));
            copyGbps = copy.gbps();
            progress.printf(Locale.ROOT, "copy: %.1f GB/s (%d MiB each way)%n", copy.gbps(), copy.bytes() / 2 >> 20);
            // cheapest first, the biggest GEMMs last: a run cut short by a time limit keeps the most
            if (options.only().contains("activation")) {
                for (String name : w.activations()) {
                    act.add(runActivation(name, w.activationElements()));
                    snapshot.accept(result(copy, gemm, conv, act, fused, false));
                }
            }
            boolean convs = options.only().contains("conv2d"), fuse = options.only().contains("fused");
            if (convs || fuse) {
                for (Workloads.Conv c : w.conv2d()) {
                    runConv(c, w.convActivations(), convs, fuse, conv, fused);
                    snapshot.accept(result(copy, gemm, conv, act, fused, false));
                }
            }
            if (options.only().contains("gemm")) {
                for (Workloads.Gemm g : w.gemm()) {
                    gemm.addAll(runGemm(g));
                    snapshot.accept(result(copy, gemm, conv, act, fused, false));
                }
            }
        }
        return result(copy, gemm, conv, act, fused, true);
    }

    private BenchResult result(BenchResult.Copy copy, List<BenchResult.GemmRow> gemm, List<BenchResult.ConvRow> conv,
                               List<BenchResult.ActivationRow> act, List<BenchResult.FusedRow> fused, boolean complete) {
        String note = emulatedDriver
                ? "EMULATED CUDA driver (a rehearsal, not a GPU): the kernels ran through JCuda on the CPU emulator; no figure here is a GPU figure."
                : switch (backend.kind()) {
            case CUDA -> null;
            case CPU -> "CPU backend: these are CPU figures, not GPU figures (no GPU was used).";
            case EMULATED -> "Emulated backend: the CUDA kernels ran on the CPU; times say nothing about a GPU.";
        };
        String anchorsNote = anchors == null ? null : options.anchors() + (anchors.device() == null ? "" : " (" + anchors.device() + ")");
        return new BenchResult("jkernels-harness", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), backend.name(),
                backend.kind().name(), backend.description(), gpu, note,
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                gpu ? "CUDA events (kernel time)"
                        : emulatedDriver && cuda ? "CUDA events on the emulated driver (wall clock of the CPU emulator)"
                        : cuda ? "KernelBackend.timeMillis (wall clock on the emulator)"
                        : "wall clock around op + synchronize, after a warm-up until steady; median of the repeats, at least "
                          + cpuTimedNanos() / 1_000_000 + " ms of them (64 at most)",
                cuda ? "before each repeat of problems under " + (FLUSH_BELOW_BYTES >> 20) + " MiB (" + (4L * flushFloats >> 20) + " MiB copy)"
                        : "none (not a GPU)",
                options.warmup(), options.reps(), options.seed(), copy, cuda ? cublasNote : "not on this backend (CUDA only)",
                anchorsNote, gemm, conv, act, fused, checkFailures, complete);
    }

    // ---- timing ---------------------------------------------------------------------------------

    /** One timed run of {@code op} in ms: CUDA events on CUDA, else wall clock with a synchronize. */
    double timeOnce(Runnable op) {
        if (cuda) return ((KernelBackend) backend).timeMillis(op);
        backend.synchronize();
        long t0 = System.nanoTime();
        op.run();
        backend.synchronize();
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Warm-up, then the median of the repeats; the L2 is flushed before each repeat when asked.
     * On the CPU backend the warm-up runs until the time per run is steady
     * ({@link #warmUntilSteady}) and the repeats run for at least {@link #cpuTimedNanos} in all, so
     * that the median of a sub-millisecond op is not the median of a handful of runs.
     */
    double measure(Runnable op, long bytesTouched) {
        for (int i = 0; i < options.warmup(); i++) op.run();
        backend.synchronize();
        if (!cuda && options.warmup() > 0) warmUntilSteady(op);
        boolean flush = cuda && bytesTouched < FLUSH_BELOW_BYTES;
        int reps = options.reps();
        double[] t = new double[cuda ? reps : Math.max(reps, 64)];
        long end = System.nanoTime() + (cuda ? 0 : cpuTimedNanos());
        int n = 0;
        long allocated = cuda ? 0 : allocatedBytes();
        while (n < reps || (n < t.length && System.nanoTime() < end)) {
            if (flush) backend.copy(flushSrc, flushDst);
            t[n++] = timeOnce(op);
        }
        if (!cuda) checkAllocation((allocatedBytes() - allocated) / n, bytesTouched);
        return median(Arrays.copyOf(t, n));
    }

    /**
     * The Vector API only runs at speed when C2 keeps every vector in registers; when it does not
     * (an intrinsic that failed, a helper left out of line) each vector op allocates its result
     * instead, and the op runs 3-20× slower with nothing else to show for it (issue 10's notes: a
     * SiLU at 6-21 ms instead of 1.5 in some JVM runs, a conv at 45 ms instead of 10). So the CPU
     * timings count the bytes every thread allocated during the timed repeats, and an op that
     * allocated more per call than twice what it touches (and over 1 MiB: the conv kernels' own
     * per-task buffers stay below that) is reported on the progress stream, next to its figure
     * (on the Vector API kernels only).
     */
    void checkAllocation(long perCall, long bytesTouched) {
        // The fallback without the Vector API allocates im2col on purpose, and has no vectors to box.
        if (!(backend instanceof dev.jkernels.cpu.CpuBackend c && c.usesVectorApi())) return;
        if (perCall < 0 || perCall <= Math.max(1L << 20, 2 * Math.min(bytesTouched, Long.MAX_VALUE / 2))) return;
        allocationWarnings++;
        progress.printf(Locale.ROOT, "warning: the next result allocated %.1f MB per call in its timed runs (it touches %.1f MB):"
                + " vectors boxed by the JIT? (docs/architecture.md, \"When C2 boxes vectors\")%n", perCall / 1e6, bytesTouched / 1e6);
    }

    /** Measurements whose timed runs allocated far more than they touch ({@link #checkAllocation}). */
    int allocationWarnings() { return allocationWarnings; }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Bytes allocated so far by every live thread (the pool's workers included); -1 where the JVM cannot tell. */
    private static long allocatedBytes() {
        if (!(THREADS instanceof com.sun.management.ThreadMXBean t) || !t.isThreadAllocatedMemorySupported()
                || !t.isThreadAllocatedMemoryEnabled()) return -1;
        long sum = 0;
        for (long b : t.getThreadAllocatedBytes(t.getAllThreadIds())) if (b > 0) sum += b;
        return sum;
    }

    /** The least wall time the timed repeats of one CPU measurement take together (at most 64 repeats). */
    private long cpuTimedNanos() { return options.quick() ? 20_000_000L : 200_000_000L; }

    /**
     * Java code (the CPU backend, the launch path) runs interpreted, then profiled, then compiled,
     * and code compiled for one kind of call is thrown away when another kind reaches it (a new
     * activation, a new conv path) and compiled again, by a compiler thread that shares the cores
     * with the op. A fixed number of warm-up runs does not cover that: measured with 100 runs,
     * conv rows timed at half the speed the same conv showed later in the same JVM. So this runs
     * blocks of about 50 ms (at least one run each) until two blocks in a row agree on the
     * median time per run within 5 %, after at least 0.5 s (0.1 s with {@code --quick}) and at
     * most 5 s (1 s).
     */
    private void warmUntilSteady(Runnable op) {
        long start = System.nanoTime();
        long least = options.quick() ? 100_000_000L : 500_000_000L, most = options.quick() ? 1_000_000_000L : 5_000_000_000L;
        double previous = Double.NaN;
        double[] block = new double[256];
        while (true) {
            long blockEnd = System.nanoTime() + 50_000_000L;
            int n = 0;
            do {
                block[n++] = timeOnce(op);
            } while (n < block.length && System.nanoTime() < blockEnd);
            double median = median(Arrays.copyOf(block, n));
            long elapsed = System.nanoTime() - start;
            if (elapsed >= most) return;
            if (elapsed >= least && Math.abs(median - previous) <= 0.05 * Math.min(median, previous)) return;
            previous = median;
        }
    }

    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private BenchResult.Copy measureCopy(int n) {
        try (TensorScope s = new TensorScope()) {
            Tensor src = s.track(backend.zeros(n));
            Tensor dst = s.track(backend.zeros(n));
            double ms = measure(() -> backend.copy(src, dst), Long.MAX_VALUE);
            long bytes = 8L * n;
            return new BenchResult.Copy(bytes, ms, BytesModel.gbPerSecond(bytes, ms));
        }
    }

    // ---- inputs ---------------------------------------------------------------------------------

    /** Uniform in [−scale, scale), seeded, filled in parallel chunks with split generators. */
    static float[] random(long count, long seed, float scale) {
        if (count > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("random: " + count + " floats do not fit one array");
        float[] a = new float[(int) count];
        int chunk = 1 << 20;
        int chunks = (int) ((count + chunk - 1) / chunk);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + c);
            int end = (int) Math.min(count, (long) (c + 1) * chunk);
            for (int i = c * chunk; i < end; i++) a[i] = (float) ((2 * r.nextDouble() - 1) * scale);
        });
        return a;
    }

    private long seedFor(String what) { return options.seed() * 31 + what.hashCode(); }

    private boolean record(SpotCheck.Outcome o) {
        if (!o.ok()) checkFailures++;
        return o.ok();
    }

    // ---- GEMM -----------------------------------------------------------------------------------

    private List<BenchResult.GemmRow> runGemm(Workloads.Gemm g) {
        List<BenchResult.GemmRow> rows = new ArrayList<>();
        if (g.flops() > maxFlops) {
            String why = skippedTooLarge(g.flops());
            for (GemmAlgorithm alg : options.gemmAlgorithms()) {
                rows.add(new BenchResult.GemmRow(g.m(), g.n(), g.k(), alg.name(), null, null, null, null, null, null, null, null, why));
            }
            progress.println("gemm " + g.label() + ": " + why);
            return rows;
        }
        float[] a = random((long) g.m() * g.k(), seedFor("gemmA" + g.label()), 1f);
        float[] b = random((long) g.k() * g.n(), seedFor("gemmB" + g.label()), 1f);
        SpotCheck.Reference ref = SpotCheck.gemm(a, b, g.m(), g.n(), g.k());
        long bytes = 4L * ((long) g.m() * g.k() + (long) g.k() * g.n() + (long) g.m() * g.n());
        Double anchorTflops = anchors == null ? null : anchors.gemm(g.m(), g.n(), g.k()).map(Anchors.Gemm::tflops).orElse(null);
        try (TensorScope s = new TensorScope()) {
            Tensor ta = s.track(backend.tensor(a, g.m(), g.k()));
            Tensor tb = s.track(backend.tensor(b, g.k(), g.n()));
            Tensor tc = s.track(backend.zeros(g.m(), g.n()));
            // cuBLAS first, once per shape: it is the limit every variant is compared with
            Double cublasMs = null;
            if (cuda) {
                GemmSpec cub = GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).precision(Precision.FP32).build();
                try {
                    backend.gemm(cub, ta, tb, null, tc);
                    backend.synchronize();
                    SpotCheck.Outcome o = SpotCheck.check(tc.toArray(), ref, seedFor("check" + g.label()), i -> "C[" + i / g.n() + "," + i % g.n() + "]");
                    if (o.ok()) {
                        cublasMs = measure(() -> backend.gemm(cub, ta, tb, null, tc), bytes);
                        cublasNote = "ran through JCublas (TF32 off)";
                    } else {
                        cublasNote = "cuBLAS result " + o.message();
                    }
                } catch (RuntimeException | LinkageError e) {
                    cublasNote = "unavailable: " + e.getMessage();
                }
            }
            Double cublasTflops = cublasMs == null ? null : BytesModel.tflopPerSecond(g.flops(), cublasMs);
            for (GemmAlgorithm alg : options.gemmAlgorithms()) {
                GemmSpec spec = GemmSpec.builder().algorithm(alg).precision(Precision.FP32).build();  // whatever the defaults
                String algName = backend.kind() == BackendKind.CPU ? "cpu" : alg.name();
                try {
                    backend.gemm(spec, ta, tb, null, tc);
                    backend.synchronize();
                    SpotCheck.Outcome o = SpotCheck.check(tc.toArray(), ref, seedFor("check" + g.label()), i -> "C[" + i / g.n() + "," + i % g.n() + "]");
                    Double ms = null, tflops = null;
                    if (record(o)) {
                        ms = measure(() -> backend.gemm(spec, ta, tb, null, tc), bytes);
                        tflops = BytesModel.tflopPerSecond(g.flops(), ms);
                    }
                    rows.add(new BenchResult.GemmRow(g.m(), g.n(), g.k(), algName, ms, tflops, cublasMs, cublasTflops,
                            BytesModel.share(tflops, cublasTflops), anchorTflops, BytesModel.share(tflops, anchorTflops), o.message(), null));
                    progress.printf(Locale.ROOT, "gemm %s %s: %s%n", g.label(), algName,
                            ms == null ? o.message() : String.format(Locale.ROOT, "%.4f ms, %.3f TFLOP/s%s", ms, tflops,
                                    cublasTflops == null ? "" : String.format(Locale.ROOT, " (cuBLAS %.3f)", cublasTflops)));
                } catch (RuntimeException e) {
                    checkFailures++;
                    rows.add(new BenchResult.GemmRow(g.m(), g.n(), g.k(), algName, null, null, cublasMs, cublasTflops, null,
                            anchorTflops, null, "FAILED: " + e.getMessage(), null));
                    progress.println("gemm " + g.label() + " " + algName + ": FAILED: " + e);
                }
                if (backend.kind() == BackendKind.CPU) break;   // one implementation: the algorithm is ignored
            }
            for (Precision p : options.precisions()) {
                if (p != Precision.FP32) rows.add(gemmInPrecision(g, p, ta, tb, tc, a, b, bytes, cublasMs, cublasTflops, anchorTflops));
            }
        }
        return rows;
    }

    /**
     * One AUTO row in a tensor-core precision. Its baselines: TF32 beside cuBLAS in
     * CUBLAS_TF32_TENSOR_OP_MATH (measured here) and PyTorch with allow_tf32 on (the anchors' tf32
     * part); FP32_3XTF32 beside cuBLAS SGEMM and PyTorch with TF32 off, the FP32 baselines.
     */
    private BenchResult.GemmRow gemmInPrecision(Workloads.Gemm g, Precision p, Tensor ta, Tensor tb, Tensor tc, float[] a, float[] b,
                                                long bytes, Double fp32CublasMs, Double fp32CublasTflops, Double fp32AnchorTflops) {
        String algName = (backend.kind() == BackendKind.CPU ? "cpu " : "AUTO ") + p;
        Double cublasMs = fp32CublasMs, cublasTflops = fp32CublasTflops, anchorTflops = fp32AnchorTflops;
        SpotCheck.Reference ref = SpotCheck.inPrecision(SpotCheck.gemm(a, b, g.m(), g.n(), g.k()), p);
        java.util.function.LongFunction<String> where = i -> "C[" + i / g.n() + "," + i % g.n() + "]";
        if (p == Precision.TF32) {
            cublasMs = null;
            cublasTflops = null;
            anchorTflops = anchors == null ? null : anchors.tf32Gemm(g.m(), g.n(), g.k()).map(Anchors.Gemm::tflops).orElse(null);
            if (cuda) {
                GemmSpec cub = GemmSpec.builder().algorithm(GemmAlgorithm.CUBLAS).precision(Precision.TF32).build();
                try {
                    backend.gemm(cub, ta, tb, null, tc);
                    backend.synchronize();
                    if (SpotCheck.check(tc.toArray(), ref, seedFor("checkTf32" + g.label()), where).ok()) {
                        cublasMs = measure(() -> backend.gemm(cub, ta, tb, null, tc), bytes);
                        cublasTflops = BytesModel.tflopPerSecond(g.flops(), cublasMs);
                    }
                } catch (RuntimeException | LinkageError e) {
                    progress.println("gemm " + g.label() + " cuBLAS TF32: unavailable: " + e.getMessage());
                }
            }
        }
        GemmSpec spec = GemmSpec.builder().precision(p).build();
        try {
            backend.gemm(spec, ta, tb, null, tc);
            backend.synchronize();
            SpotCheck.Outcome o = SpotCheck.check(tc.toArray(), ref, seedFor("check" + p + g.label()), where);
            Double ms = null, tflops = null;
            if (record(o)) {
                ms = measure(() -> backend.gemm(spec, ta, tb, null, tc), bytes);
                tflops = BytesModel.tflopPerSecond(g.flops(), ms);
            }
            progress.printf(Locale.ROOT, "gemm %s %s: %s%n", g.label(), algName, ms == null ? o.message()
                    : String.format(Locale.ROOT, "%.4f ms, %.3f TFLOP/s", ms, tflops));
            return new BenchResult.GemmRow(g.m(), g.n(), g.k(), algName, ms, tflops, cublasMs, cublasTflops,
                    BytesModel.share(tflops, cublasTflops), anchorTflops, BytesModel.share(tflops, anchorTflops), o.message(), null);
        } catch (RuntimeException e) {
            checkFailures++;
            progress.println("gemm " + g.label() + " " + algName + ": FAILED: " + e);
            return new BenchResult.GemmRow(g.m(), g.n(), g.k(), algName, null, null, cublasMs, cublasTflops, null, anchorTflops, null,
                    "FAILED: " + e.getMessage(), null);
        }
    }

    // ---- conv2d and fused -----------------------------------------------------------------------

    private void runConv(Workloads.Conv full, List<String> activations, boolean convRows, boolean fusedRows,
                         List<BenchResult.ConvRow> conv, List<BenchResult.FusedRow> fused) {
        Workloads.Conv c = full;
        String scaled = null;
        if (c.flops() > maxFlops) {
            int batch = (int) Math.floor(c.n() * maxFlops / c.flops());
            if (batch < 1) {
                String why = skippedTooLarge(full.withBatch(1).flops()) + " even at batch 1";
                if (convRows) conv.add(new BenchResult.ConvRow(full.name(), full.shape(), full.outputElements(), null, null, null, null, null, why));
                if (fusedRows) for (String a : activations) {
                    fused.add(new BenchResult.FusedRow(full.name(), a, full.outputElements(), null, null, null, null, null, null, null, null, why));
                }
                progress.println("conv " + full.name() + ": " + why);
                return;
            }
            c = full.withBatch(batch);
            scaled = "batch " + full.n() + "→" + batch + " on " + kindLabel();
        }
        final Workloads.Conv cv = c;
        String name = scaled == null ? cv.name() : cv.name() + " (" + scaled + ")";
        float[] x = random(cv.inputElements(), seedFor("convX" + cv.name()), 1f);
        float[] wt = random(cv.filterElements(), seedFor("convW" + cv.name()), 1f);
        float[] bias = random(cv.k(), seedFor("convB" + cv.name()), 1f);
        Conv2dSpec spec = Conv2dSpec.builder().stride(cv.stride()).padding(cv.pad()).bias(true).precision(Precision.FP32).build();
        long outputs = cv.outputElements();
        long bytes = 4L * (cv.inputElements() + cv.filterElements() + cv.k() + outputs);
        boolean anchorComparable = scaled == null && anchors != null;
        Double anchorTflops = anchorComparable ? anchors.conv(cv).map(Anchors.Conv::tflops).orElse(null) : null;
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, cv.n(), cv.c(), cv.h(), cv.w()));
            Tensor tw = s.track(backend.tensor(wt, cv.k(), cv.c(), cv.r(), cv.s()));
            Tensor tb = s.track(backend.tensor(bias, cv.k()));
            Tensor ty = s.track(backend.zeros(cv.n(), cv.k(), cv.p(), cv.q()));
            Tensor tz = s.track(backend.zeros(cv.n(), cv.k(), cv.p(), cv.q()));
            java.util.function.LongFunction<String> where = i -> "out[" + i / ((long) cv.k() * cv.p() * cv.q()) + ","
                    + i / ((long) cv.p() * cv.q()) % cv.k() + "," + i / cv.q() % cv.p() + "," + i % cv.q() + "]";

            backend.conv2d(spec, tx, tw, tb, ty);
            backend.synchronize();
            SpotCheck.Outcome o = SpotCheck.check(ty.toArray(), SpotCheck.conv(x, wt, bias, cv, Activation.identity()), seedFor("check" + cv.name()), where);
            Double convMs = null;
            if (record(o)) convMs = measure(() -> backend.conv2d(spec, tx, tw, tb, ty), bytes);
            Double tflops = convMs == null ? null : BytesModel.tflopPerSecond(cv.flops(), convMs);
            if (convRows) {
                conv.add(new BenchResult.ConvRow(name, cv.shape(), outputs, convMs, tflops, anchorTflops,
                        BytesModel.share(tflops, anchorTflops), o.message(), null));
            }
            progress.printf(Locale.ROOT, "conv %s: %s%n", name, convMs == null ? o.message()
                    : String.format(Locale.ROOT, "%.4f ms, %.3f TFLOP/s", convMs, tflops));
            // The tensor-core precisions: AUTO rows beside cuDNN with allow_tf32 (TF32) or cuDNN FP32 (3xTF32).
            for (Precision p : options.precisions()) {
                if (p == Precision.FP32 || !convRows) continue;
                Conv2dSpec ps = spec.toBuilder().precision(p).build();
                String rowName = name + " [" + p + "]";
                Double anchorP = !anchorComparable ? null : p == Precision.TF32
                        ? anchors.tf32Conv(cv).map(Anchors.Conv::tflops).orElse(null) : anchorTflops;
                try {
                    backend.conv2d(ps, tx, tw, tb, ty);
                    backend.synchronize();
                    SpotCheck.Outcome op = SpotCheck.check(ty.toArray(), SpotCheck.inPrecision(SpotCheck.conv(x, wt, bias, cv,
                            Activation.identity()), p), seedFor("check" + p + cv.name()), where);
                    Double ms = record(op) ? measure(() -> backend.conv2d(ps, tx, tw, tb, ty), bytes) : null;
                    Double tf = ms == null ? null : BytesModel.tflopPerSecond(cv.flops(), ms);
                    conv.add(new BenchResult.ConvRow(rowName, cv.shape(), outputs, ms, tf, anchorP, BytesModel.share(tf, anchorP),
                            op.message(), null));
                    progress.printf(Locale.ROOT, "conv %s: %s%n", rowName, ms == null ? op.message()
                            : String.format(Locale.ROOT, "%.4f ms, %.3f TFLOP/s", ms, tf));
                } catch (RuntimeException e) {
                    checkFailures++;
                    conv.add(new BenchResult.ConvRow(rowName, cv.shape(), outputs, null, null, anchorP, null, "FAILED: " + e.getMessage(), null));
                    progress.println("conv " + rowName + ": FAILED: " + e);
                }
            }
            // The other conv algorithms and variants asked for: one row each, same data, same check.
            List<String> extra = new ArrayList<>();
            for (ConvAlgorithm alg : options.convAlgorithms()) if (alg != ConvAlgorithm.AUTO) extra.add(alg.name());
            for (String v : options.convVariants()) extra.add("variant " + v);
            for (String what : extra) {
                if (!convRows || backend.kind() == BackendKind.CPU) break;
                boolean variant = what.startsWith("variant ");
                ConvAlgorithm alg = variant ? ConvAlgorithm.AUTO : ConvAlgorithm.valueOf(what);
                Conv2dSpec as = spec.toBuilder().algorithm(alg).build();
                String rowName = name + " [" + what + "]";
                if (variant) System.setProperty(ConvFastKernels.VARIANT_PROPERTY, what.substring(8));
                try {
                    backend.conv2d(as, tx, tw, tb, ty);
                    backend.synchronize();
                } catch (IllegalArgumentException e) {
                    conv.add(new BenchResult.ConvRow(rowName, cv.shape(), outputs, null, null, null, null, null, e.getMessage()));
                    System.clearProperty(ConvFastKernels.VARIANT_PROPERTY);
                    continue;
                }
                SpotCheck.Outcome oa = SpotCheck.check(ty.toArray(), SpotCheck.conv(x, wt, bias, cv, Activation.identity()),
                        seedFor("check" + what + cv.name()), where);
                Double ms = record(oa) ? measure(() -> backend.conv2d(as, tx, tw, tb, ty), bytes) : null;
                Double tf = ms == null ? null : BytesModel.tflopPerSecond(cv.flops(), ms);
                conv.add(new BenchResult.ConvRow(rowName, cv.shape(), outputs, ms, tf, anchorTflops, BytesModel.share(tf, anchorTflops),
                        oa.message(), null));
                progress.printf(Locale.ROOT, "conv %s: %s%n", rowName, ms == null ? oa.message()
                        : String.format(Locale.ROOT, "%.4f ms, %.3f TFLOP/s", ms, tf));
                System.clearProperty(ConvFastKernels.VARIANT_PROPERTY);
            }
            if (!fusedRows) return;

            for (String an : activations) {
                Activation act = Activation.parse(an);
                if (convMs == null) {
                    fused.add(new BenchResult.FusedRow(name, an, outputs, null, null, null, null, null, null, null, null,
                            "not timed: the conv failed its check"));
                    continue;
                }
                SpotCheck.Reference ref = SpotCheck.conv(x, wt, bias, cv, act);
                // two launches: conv2d into ty, then the activation from ty into tz
                backend.conv2d(spec, tx, tw, tb, ty);
                backend.activation(act, ty, tz);
                backend.synchronize();
                SpotCheck.Outcome two = SpotCheck.check(tz.toArray(), ref, seedFor("check2" + cv.name() + an), where);
                // fused: one call into ty, filled with NaN first so that an element it fails to write fails the check
                float[] nan = new float[Math.toIntExact(outputs)];
                Arrays.fill(nan, Float.NaN);
                ty.copyFrom(nan);
                backend.conv2dActivation(spec, act, tx, tw, tb, ty);
                backend.synchronize();
                SpotCheck.Outcome one = SpotCheck.check(ty.toArray(), ref, seedFor("check1" + cv.name() + an), where);
                String check = two.ok() && one.ok() ? one.message() : (!two.ok() ? "two-launch " + two.message() : "fused " + one.message());
                Double actMs = null, twoMs = null, fusedMs = null, speedup = null, predicted = null;
                if (record(two) & record(one)) {
                    actMs = measure(() -> backend.activation(act, ty, tz), 8L * outputs);
                    twoMs = measure(() -> {
                        backend.conv2d(spec, tx, tw, tb, ty);
                        backend.activation(act, ty, tz);
                    }, bytes + 8L * outputs);
                    fusedMs = measure(() -> backend.conv2dActivation(spec, act, tx, tw, tb, ty), bytes);
                    speedup = twoMs / fusedMs;
                    predicted = copyGbps > 0 ? BytesModel.predictedFusionSpeedup(convMs, outputs, copyGbps) : null;
                }
                Double anchorTwo = anchorComparable ? anchors.convActivation(cv.name(), an).map(Anchors.ConvActivation::twoLaunchMs).orElse(null) : null;
                fused.add(new BenchResult.FusedRow(name, an, outputs, convMs, actMs, twoMs, fusedMs, speedup, predicted, anchorTwo, check, null));
                progress.printf(Locale.ROOT, "fused %s + %s: %s%n", name, an, fusedMs == null ? check
                        : String.format(Locale.ROOT, "two-launch %.4f ms, fused %.4f ms, speedup %.2fx (model %.2fx)", twoMs, fusedMs, speedup,
                                predicted == null ? Double.NaN : predicted));
            }
        } catch (RuntimeException e) {
            checkFailures++;
            if (convRows && conv.stream().noneMatch(r -> r.name().equals(name))) {
                conv.add(new BenchResult.ConvRow(name, cv.shape(), outputs, null, null, anchorTflops, null, "FAILED: " + e.getMessage(), null));
            }
            if (fusedRows) {
                for (String an : activations) {
                    if (fused.stream().noneMatch(f -> f.name().equals(name) && f.activation().equals(an))) {
                        fused.add(new BenchResult.FusedRow(name, an, outputs, null, null, null, null, null, null, null,
                                "FAILED: " + e.getMessage(), null));
                    }
                }
            }
            progress.println("conv " + name + ": FAILED: " + e);
        }
    }

    // ---- activations ----------------------------------------------------------------------------

    private BenchResult.ActivationRow runActivation(String an, long requested) {
        long n = Math.min(requested, maxActivationElements);
        Activation act = Activation.parse(an);
        String label = n == requested ? an : an + " (n " + requested + "→" + n + " on " + kindLabel() + ")";
        Double anchorGbps = anchors == null || n != requested ? null : anchors.activation(an, n).map(Anchors.Activation::gbps).orElse(null);
        float[] x = random(n, seedFor("act" + an), 4f);
        try (TensorScope s = new TensorScope()) {
            Tensor tx = s.track(backend.tensor(x, (int) n));
            Tensor ty = s.track(backend.zeros((int) n));
            backend.activation(act, tx, ty);
            backend.synchronize();
            SpotCheck.Outcome o = SpotCheck.check(ty.toArray(), SpotCheck.activation(x, act), seedFor("check" + an), i -> "y[" + i + "]");
            Double ms = null, gbps = null;
            if (record(o)) {
                ms = measure(() -> backend.activation(act, tx, ty), 8L * n);
                gbps = BytesModel.gbPerSecond(BytesModel.elementwiseBytes(n), ms);
            }
            progress.printf(Locale.ROOT, "activation %s: %s%n", label, ms == null ? o.message()
                    : String.format(Locale.ROOT, "%.4f ms, %.1f GB/s", ms, gbps));
            return new BenchResult.ActivationRow(label, n, ms, gbps, BytesModel.share(gbps, copyGbps > 0 ? copyGbps : null),
                    anchorGbps, BytesModel.share(gbps, anchorGbps), o.message(), null);
        } catch (RuntimeException e) {
            checkFailures++;
            progress.println("activation " + label + ": FAILED: " + e);
            return new BenchResult.ActivationRow(label, n, null, null, null, anchorGbps, null, "FAILED: " + e.getMessage(), null);
        }
    }

    private String skippedTooLarge(double flops) {
        return String.format(Locale.ROOT, "skipped on %s: too large (%.1f GFLOP > %.2f; the full list is for the GPU)",
                kindLabel(), flops / 1e9, maxFlops / 1e9);
    }
}
