package dev.jkernels.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class JmhMainTest {

    @Test
    void restrictsBackendsUnlessChosenOrListing() {
        assertEquals(List.of("GemmBenchmark", "-p", "backend=cpu,emulated"),
                JmhMain.withBackends(new String[] {"GemmBenchmark"}, () -> List.of("cpu", "emulated")));
        assertEquals(List.of("-p", "backend=cuda"),
                JmhMain.withBackends(new String[] {"-p", "backend=cuda"}, () -> fail("must not probe when the caller chose")));
        assertEquals(List.of("-l"), JmhMain.withBackends(new String[] {"-l"}, () -> fail("must not probe when listing")));
    }
}
