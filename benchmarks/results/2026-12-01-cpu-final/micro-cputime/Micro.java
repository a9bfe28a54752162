import dev.jkernels.*;
import java.util.*;

/** Quick timing: each op run for ~0.6 s warm, then median of 15 timed runs. args: what threads */
public class Micro {
    static boolean CPU;
    static long LAST_ALLOC;
    static long alloc(com.sun.management.ThreadMXBean tm) { long[] ids = tm.getAllThreadIds(); long s = 0; for (long v : tm.getThreadAllocatedBytes(ids)) if (v > 0) s += v; return s; }
    static double time(Runnable r, Backend b) {
        long until = System.nanoTime() + Long.getLong("warm", 600L) * 1_000_000L;
        int i = 0;
        while (System.nanoTime() < until || i < 5) { r.run(); i++; }
        double[] t = new double[15];
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int j = 0; j < t.length; j++) { long s = CPU ? mx.getCurrentThreadCpuTime() : System.nanoTime(); r.run(); b.synchronize(); t[j] = ((CPU ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - s) / 1e6; }
        Arrays.sort(t);
        com.sun.management.ThreadMXBean tm = (com.sun.management.ThreadMXBean) mx;
        long a0 = alloc(tm); r.run(); b.synchronize(); long a1 = alloc(tm);
        LAST_ALLOC = a1 - a0;
        return t[t.length / 2];
    }
    static float[] rnd(int n, long seed) { SplittableRandom r = new SplittableRandom(seed); float[] x = new float[n]; for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble(-4, 4); return x; }
    public static void main(String[] a) {
        String what = a.length > 0 ? a[0] : "all";
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : 2;
        CPU = threads == 1;
        try (Backend b = Backends.cpu(threads)) {
            if (what.contains("act") || what.equals("all")) {
                int n = 1 << 22;
                String[] names = a.length > 2 ? a[2].split(",") : new String[]{"relu","leaky_relu","elu","sigmoid","tanh","gelu","silu"};
                Tensor x = b.tensor(rnd(n, 1), n), y = b.zeros(n);
                for (String an : names) {
                    Activation act = Activation.parse(an);
                    double ms = time(() -> b.activation(act, x, y), b);
                    System.out.printf(Locale.ROOT, "act %-12s %8.4f ms %7.1f GB/s alloc %d B%n", an, ms, 8.0 * n / ms / 1e6, LAST_ALLOC);
                }
            }
            if (what.contains("gemm") || what.equals("all")) {
                for (int m : new int[]{1024, 2048}) {
                    Tensor A = b.tensor(rnd(m*m, 2), m, m), B = b.tensor(rnd(m*m, 3), m, m), C = b.zeros(m, m);
                    double ms = time(() -> b.gemm(GemmSpec.plain(), A, B, null, C), b);
                    System.out.printf(Locale.ROOT, "gemm %d %8.3f ms %7.1f GFLOP/s%n", m, ms, 2.0*m*m*m/ms/1e6);
                    A.close(); B.close(); C.close();
                }
            }
            if (what.contains("conv") || what.contains("fused") || what.equals("all")) {
                int[][] shapes = {{64,1,28,28,32,3,1,0},{1,64,56,56,64,3,1,1},{4,128,28,28,128,3,1,1},{1,512,7,7,512,3,1,1},{1,256,56,56,64,1,1,0},{1,3,224,224,64,7,2,3}};
                String[] nm = {"mnist","c2-3x3","c3-3x3","c5-3x3","c2-1x1","stem"};
                String only = a.length > 2 ? a[2] : "";
                for (int si = 0; si < shapes.length; si++) {
                    if (!only.isEmpty() && !only.contains(nm[si])) continue;
                    int[] s = shapes[si];
                    int N=s[0],C=s[1],H=s[2],W=s[3],K=s[4],R=s[5],st=s[6],pd=s[7];
                    Conv2dSpec spec = Conv2dSpec.builder().stride(st).padding(pd).bias(true).build();
                    Tensor x = b.tensor(rnd(N*C*H*W, 4), N, C, H, W), w = b.tensor(rnd(K*C*R*R, 5), K, C, R, R), bias = b.tensor(rnd(K, 6), K);
                    Tensor y = b.conv2d(spec, x, w, bias);
                    Tensor z = b.zeros(y.dims());
                    int P = y.dim(2), Q = y.dim(3);
                    double fl = 2.0 * N * K * P * Q * C * R * R;
                    double ms = time(() -> b.conv2d(spec, x, w, bias, y), b);
                    System.out.printf(Locale.ROOT, "conv %-7s %8.4f ms %7.1f GFLOP/s alloc %d KB%n", nm[si], ms, fl / ms / 1e6, LAST_ALLOC / 1024);
                    if (what.contains("fused")) for (String an : new String[]{"relu","gelu"}) {
                        Activation act = Activation.parse(an);
                        double two = time(() -> { b.conv2d(spec, x, w, bias, y); b.activation(act, y, z); }, b);
                        double ac = time(() -> b.activation(act, y, z), b);
                        double fu = time(() -> b.conv2dActivation(spec, act, x, w, bias, y), b);
                        long fa = LAST_ALLOC; double ac2 = time(() -> b.activation(act, y, z), b);
                        System.out.printf(Locale.ROOT, "  fused %-5s two %8.4f fused %8.4f act %8.4f speedup %.3f fusedalloc %d KB%n", an, two, fu, ac, two / fu, fa / 1024);
                    }
                    x.close(); w.close(); bias.close(); y.close(); z.close();
                }
            }
        }
    }
}
