package dev.jkernels.kernel;

import dev.jkernels.Activation;
import dev.jkernels.nativeloader.KernelResources;
import io.airlift.compress.zstd.ZstdDecompressor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java and CUDA activation lists agree (names and order: the order is the code the kernels
 * get), and every kernel the Java side may launch (the element-wise kernels, one per activation;
 * the GEMM and conv kernels, one per tile configuration, whose runtime epilogue dispatches on the
 * same code: EpilogueArgsTest, GemmVariantsTest's every-activation cases) exists in the emulator
 * library and, when the build has one, in every SASS image of the fatbin.
 */
class ActivationListTest {

    /** nvcc compresses the images with zstd; aircompressor (test scope) inflates them. */
    static byte[] zstd(byte[] src, int offset, int length, int size) {
        byte[] out = new byte[size];
        int n = new ZstdDecompressor().decompress(src, offset, length, out, 0, size);
        assertEquals(size, n, "inflated image size");
        return out;
    }

    /** The X(ENUM, suffix) entries of JK_ACTIVATIONS, in order, read from activation.cuh. */
    static List<String[]> xmacroEntries() throws IOException {
        String src = Files.readString(Emulator.cudaDir().resolve("include/jkernels/activation.cuh"));
        int start = src.indexOf("#define JK_ACTIVATIONS(X)");
        assertTrue(start >= 0, "activation.cuh defines JK_ACTIVATIONS(X)");
        // The macro runs while lines end in a backslash.
        StringBuilder body = new StringBuilder();
        for (String line : src.substring(start).split("\n")) {
            body.append(line).append('\n');
            if (!line.stripTrailing().endsWith("\\")) break;
        }
        List<String[]> entries = new ArrayList<>();
        Matcher m = Pattern.compile("X\\(\\s*([A-Z0-9_]+)\\s*,\\s*([a-z0-9_]+)\\s*\\)").matcher(body);
        while (m.find()) entries.add(new String[] {m.group(1), m.group(2)});
        return entries;
    }

    @Test void xmacroEqualsJavaEnumInNameAndOrder() throws IOException {
        List<String[]> cuda = xmacroEntries();
        Activation.Kind[] java = Activation.Kind.values();
        List<String> cudaList = new ArrayList<>();
        for (String[] e : cuda) cudaList.add(e[0] + "/" + e[1]);
        List<String> javaList = new ArrayList<>();
        for (Activation.Kind k : java) javaList.add(k.name() + "/" + k.cudaName());
        assertEquals(javaList, cudaList, "JK_ACTIVATIONS in activation.cuh vs Activation.Kind (ENUM/suffix, in order)");
        for (int i = 0; i < java.length; i++) assertEquals(i, java[i].code(), java[i] + ".code()");
    }

    @Test void everyActivationKernelIsInTheEmulator() {
        Emulator.open(EmulatorMode.FIBERS).close();
        Set<String> emu = EmulatedLauncher.kernelNames();
        List<String> missing = new ArrayList<>();
        for (String name : ActivationKernels.allNames()) if (!emu.contains(name)) missing.add(name);
        for (String name : ConvFastKernels.allNames()) if (!emu.contains(name)) missing.add(name);
        assertTrue(missing.isEmpty(), "kernels missing from the emulator library: " + missing);
        assertEquals(4 * Activation.Kind.values().length, ActivationKernels.allNames().size());
    }

    @Test void fatbinHasEveryTargetAndEveryKernel() {
        Assumptions.assumeTrue(KernelResources.hasFatbin(), "this build has no fatbin (built without nvcc)");
        FatbinContents fb = FatbinContents.parse(KernelResources.fatbin().orElseThrow(), ActivationListTest::zstd);
        assertEquals(new TreeSet<>(List.of("sm_75", "sm_80", "sm_86", "sm_89", "sm_90")), fb.sassTargets(), "SASS targets");
        assertTrue(fb.ptxTargets().contains("compute_90"), "PTX for compute_90, got " + fb.ptxTargets());
        assertEquals("sm_75,sm_80,sm_86,sm_89,sm_90", KernelResources.cudaTargets().orElse(""), "build.properties cuda.targets");
        for (FatbinContents.Image img : fb.images()) {
            if (!img.elf()) continue;
            assertTrue(img.readable(), img.target() + ": ELF image could not be read");
            List<String> missing = new ArrayList<>();
            for (String name : ActivationKernels.allNames()) if (!img.functions().contains(name)) missing.add(name);
            for (String name : GemmKernels.allNames()) if (!img.functions().contains(name)) missing.add(name);
            for (String name : ConvKernels.allNames()) if (!img.functions().contains(name)) missing.add(name);
            for (String name : ConvFastKernels.allNames()) if (!img.functions().contains(name)) missing.add(name);
            assertTrue(missing.isEmpty(), img.target() + " lacks " + missing);
        }
    }

    /** Both builds come from the same sources: the jk_ kernels of the fatbin are exactly the emulator's. */
    @Test void emulatorAndFatbinHoldTheSameKernels() {
        Assumptions.assumeTrue(KernelResources.hasFatbin(), "this build has no fatbin (built without nvcc)");
        Emulator.open(EmulatorMode.FIBERS).close();
        FatbinContents fb = FatbinContents.parse(KernelResources.fatbin().orElseThrow(), ActivationListTest::zstd);
        Set<String> gpu = new TreeSet<>();
        for (FatbinContents.Image img : fb.images()) {
            if (img.elf() && img.smArch() == 90) {
                for (String f : img.functions()) if (f.startsWith("jk_")) gpu.add(f);
            }
        }
        assertFalse(gpu.isEmpty());
        Set<String> emu = new TreeSet<>(EmulatedLauncher.kernelNames());
        Set<String> onlyGpu = new TreeSet<>(gpu);
        onlyGpu.removeAll(emu);
        Set<String> onlyEmu = new TreeSet<>(emu);
        onlyEmu.removeAll(gpu);
        assertTrue(onlyGpu.isEmpty(), "kernels without JK_REGISTER_KERNEL (in the fatbin, not the emulator): " + onlyGpu);
        assertTrue(onlyEmu.isEmpty(), "kernels in the emulator but not the fatbin: " + onlyEmu);
    }
}
