package dev.jkernels.bench;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The PyTorch figures on the same device and workloads ({@code anchors.json}, written by the rig's
 * {@code anchors.py}): cuBLAS SGEMM, cuDNN conv2d, conv then activation in two launches,
 * element-wise activations and the device-to-device copy bandwidth, TF32 off; and GEMM and conv2d
 * once more with TF32 on ({@link #tf32()}).
 */
public record Anchors(String device, String torch, Integer cudnn, Copy copy, List<Gemm> gemm, List<Conv> conv2d,
                      List<ConvActivation> convActivation, List<Activation> activation, Tf32 tf32) {

    /**
     * The same GEMM and conv2d workloads with TF32 on ({@code torch.backends.cuda.matmul.allow_tf32} and
     * {@code torch.backends.cudnn.allow_tf32} true): cuBLAS in TF32 tensor-op math and cuDNN's TF32
     * kernels, the baselines of the TF32 rows. Absent from older anchors.json files.
     */
    public record Tf32(List<Gemm> gemm, List<Conv> conv2d) {
        public Tf32 {
            gemm = gemm == null ? List.of() : List.copyOf(gemm);
            conv2d = conv2d == null ? List.of() : List.copyOf(conv2d);
        }
    }

    public record Copy(double bytes, double ms, double gbps) {}
    public record Gemm(int m, int n, int k, double ms, double tflops) {}
    public record Conv(String name, int n, int c, int h, int w, int k, int r, int s, int stride, int pad,
                       int p, int q, double ms, double tflops) {}
    public record ConvActivation(String name, String activation, double convMs, double activationMs, double twoLaunchMs) {}
    public record Activation(String name, long n, double ms, double gbps) {}

    private static final Gson GSON = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create();

    public Anchors {
        gemm = gemm == null ? List.of() : List.copyOf(gemm);
        conv2d = conv2d == null ? List.of() : List.copyOf(conv2d);
        convActivation = convActivation == null ? List.of() : List.copyOf(convActivation);
        activation = activation == null ? List.of() : List.copyOf(activation);
    }

    public static Anchors parse(String json) {
        Anchors a;
        try {
            a = GSON.fromJson(json, Anchors.class);   // records: gson calls the canonical constructor
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("anchors: not in anchors.py's format: " + e.getMessage(), e);
        }
        if (a == null) throw new IllegalArgumentException("anchors: empty document");
        return a;
    }

    public static Anchors read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read anchors " + file, e);
        }
    }

    public Optional<Gemm> gemm(int m, int n, int k) {
        return gemm.stream().filter(g -> g.m == m && g.n == n && g.k == k).findFirst();
    }

    /** The anchor for the conv of this name, only if its shape is the one measured here. */
    public Optional<Conv> conv(Workloads.Conv w) {
        return conv2d.stream().filter(c -> c.name.equals(w.name()) && c.n == w.n() && c.c == w.c() && c.h == w.h()
                && c.w == w.w() && c.k == w.k() && c.r == w.r() && c.s == w.s() && c.stride == w.stride() && c.pad == w.pad())
                .findFirst();
    }

    public Optional<ConvActivation> convActivation(String convName, String activationName) {
        return convActivation.stream().filter(c -> c.name.equals(convName) && c.activation.equals(activationName)).findFirst();
    }

    public Optional<Activation> activation(String name, long n) {
        return activation.stream().filter(a -> a.name.equals(name) && a.n == n).findFirst();
    }

    /** The TF32 anchor (allow_tf32 on) of this GEMM shape. */
    public Optional<Gemm> tf32Gemm(int m, int n, int k) {
        if (tf32 == null) return Optional.empty();
        return tf32.gemm().stream().filter(g -> g.m == m && g.n == n && g.k == k).findFirst();
    }

    /** The TF32 anchor (cudnn.allow_tf32 on) of this conv, only if its shape is the one measured here. */
    public Optional<Conv> tf32Conv(Workloads.Conv w) {
        if (tf32 == null) return Optional.empty();
        return tf32.conv2d().stream().filter(c -> c.name.equals(w.name()) && c.n == w.n() && c.c == w.c() && c.h == w.h()
                && c.w == w.w() && c.k == w.k() && c.r == w.r() && c.s == w.s() && c.stride == w.stride() && c.pad == w.pad())
                .findFirst();
    }

    public Optional<Double> copyGbps() { return copy == null ? Optional.empty() : Optional.of(copy.gbps); }
}
