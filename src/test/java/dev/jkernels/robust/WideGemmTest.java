package dev.jkernels.robust;

import dev.jkernels.Backend;
import dev.jkernels.BackendKind;
import dev.jkernels.GemmSpec;
import dev.jkernels.Tensor;
import dev.jkernels.testing.RandomData;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 12, finding 6: {@code [1,1]·[1,8388481]} was refused by the emulated backend (N past
 * 65535 blocks of grid y) while the CPU computed it. Every backend takes the same shapes now.
 */
class WideGemmTest {
    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"CPU", "EMULATED"})
    void aGemmWiderThanGridYIsComputed(BackendKind kind) {
        int n = 8_388_481;
        float[] b = RandomData.uniform(12, n);
        try (Backend be = TestBackends.open(kind); Tensor a = be.tensor(new float[] {2f}, 1, 1); Tensor tb = be.tensor(b, 1, n);
             Tensor c = be.gemm(GemmSpec.plain(), a, tb, null)) {
            float[] got = c.toArray();
            for (int j = 0; j < n; j += 4099) assertEquals(2f * b[j], got[j], 0f, "column " + j);
            assertEquals(2f * b[n - 1], got[n - 1], 0f, "the last column");
        }
    }
}
