package dev.jkernels.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a CUDA fatbin holds, read without the CUDA toolkit (no cuobjdump here): one entry per SASS
 * image (ELF, with its {@code sm_XY} and the functions it defines) or PTX text. nvcc compresses
 * images with zstd (flag 0x8000; the uncompressed size is the u64 at +56 of the entry header);
 * given a {@link Decompressor} they are read too, otherwise a compressed image is listed with
 * {@code readable() == false}. (No zstd here in the main code: the tests bring one.)
 *
 * <p>Layout (little-endian): a 16-byte header {magic 0xBA55ED50, u16 version, u16 header size,
 * u64 size of what follows}, then entries: {u16 kind (1 PTX, 2 ELF), u16, u32 entry header size,
 * u64 payload size, ..., u32 sm arch at +28, ...} followed by the payload.
 */
public final class FatbinContents {
    public static final int MAGIC = 0xBA55ED50;

    /** One image of the fatbin. {@code functions} is empty for PTX and for compressed images. */
    public record Image(boolean elf, int smArch, boolean readable, Set<String> functions) {
        public String target() { return (elf ? "sm_" : "compute_") + smArch; }
    }

    /** Inflates one zstd-compressed image. */
    @FunctionalInterface
    public interface Decompressor {
        byte[] decompress(byte[] src, int offset, int length, int uncompressedSize);
    }

    private final List<Image> images;

    private FatbinContents(List<Image> images) { this.images = Collections.unmodifiableList(images); }

    public List<Image> images() { return images; }

    /** The SASS targets, e.g. [sm_75, sm_80, ...], sorted. */
    public Set<String> sassTargets() {
        Set<String> s = new TreeSet<>();
        for (Image i : images) if (i.elf()) s.add(i.target());
        return s;
    }

    /** The PTX targets, e.g. [compute_90]. */
    public Set<String> ptxTargets() {
        Set<String> s = new TreeSet<>();
        for (Image i : images) if (!i.elf()) s.add(i.target());
        return s;
    }

    /** Lists the images; compressed ones without their functions. */
    public static FatbinContents parse(byte[] fatbin) { return parse(fatbin, null); }

    /** @throws IllegalArgumentException when {@code fatbin} is not a fatbin or is truncated */
    public static FatbinContents parse(byte[] fatbin, Decompressor decompressor) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        List<Image> images = new ArrayList<>();
        int off = 0;
        while (off + 16 <= fatbin.length) {
            if (b.getInt(off) != MAGIC) {
                if (images.isEmpty()) throw new IllegalArgumentException("not a fatbin: magic " + Integer.toHexString(b.getInt(off)));
                break;
            }
            int headerSize = Short.toUnsignedInt(b.getShort(off + 6));
            long size = b.getLong(off + 8);
            long end = off + headerSize + size;
            if (end > fatbin.length) throw new IllegalArgumentException("truncated fatbin: container ends at " + end + " of " + fatbin.length);
            long p = off + headerSize;
            while (p < end) {
                int at = (int) p;
                int kind = Short.toUnsignedInt(b.getShort(at));
                int entryHeader = b.getInt(at + 4);
                long payload = b.getLong(at + 8);
                int arch = b.getInt(at + 28);
                int data = at + entryHeader;
                if (entryHeader <= 0 || data + payload > end) throw new IllegalArgumentException("bad fatbin entry at " + at);
                boolean isElf = kind == 2 || kind == 0x10;
                long flags = b.getLong(at + 40);
                Set<String> fns = Set.of();
                boolean readable = false;
                if (isElf && (flags & 0x8000) == 0 && isElf(fatbin, data)) {
                    fns = elfFunctions(b, data, (int) payload);
                    readable = true;
                } else if (isElf && decompressor != null && entryHeader >= 64) {
                    int compressed = b.getInt(at + 16);
                    long inflated = b.getLong(at + 56);
                    byte[] elf = decompressor.decompress(fatbin, data, compressed > 0 ? compressed : (int) payload, (int) inflated);
                    if (isElf(elf, 0)) {
                        fns = elfFunctions(ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN), 0, elf.length);
                        readable = true;
                    }
                }
                images.add(new Image(isElf, arch, readable, fns));
                p = data + payload;
            }
            off = (int) end;
        }
        return new FatbinContents(images);
    }

    private static boolean isElf(byte[] a, int at) {
        return a.length >= at + 4 && a[at] == 0x7f && a[at + 1] == 'E' && a[at + 2] == 'L' && a[at + 3] == 'F';
    }

    /** The names of the FUNC symbols of an ELF64 image. */
    private static Set<String> elfFunctions(ByteBuffer b, int base, int length) {
        long shoff = b.getLong(base + 0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(base + 0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(base + 0x3C));
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (base + shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != 2) continue;  // SHT_SYMTAB
            long symOff = b.getLong(sh + 0x18);
            long symSize = b.getLong(sh + 0x20);
            int link = b.getInt(sh + 0x28);
            long entsize = b.getLong(sh + 0x38);
            int strSh = (int) (base + shoff + (long) link * shentsize);
            long strOff = b.getLong(strSh + 0x18);
            for (long s = 0; s + entsize <= symSize; s += entsize) {
                int sym = (int) (base + symOff + s);
                int info = b.get(sym + 4) & 0xff;
                if ((info & 0xf) != 2) continue;  // STT_FUNC
                int nameAt = (int) (base + strOff + Integer.toUnsignedLong(b.getInt(sym)));
                int e = nameAt;
                while (e < base + length && b.get(e) != 0) e++;
                byte[] name = new byte[e - nameAt];
                b.get(nameAt, name);
                names.add(new String(name, StandardCharsets.US_ASCII));
            }
        }
        return names;
    }
}
