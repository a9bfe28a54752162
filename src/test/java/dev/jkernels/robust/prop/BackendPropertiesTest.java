package dev.jkernels.robust.prop;

import dev.jkernels.BackendKind;
import dev.jkernels.testing.TestBackends;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 12's property tests, CPU against EMULATED: random valid GEMM, conv and activation cases
 * (odd shapes, every algorithm, IEEE edge values) agree; random invalid calls are rejected the
 * same way by both with the output untouched; random op/close interleavings end in the right
 * result or {@link IllegalStateException}. A fixed number of cases in CI (each run prints its seed);
 * {@code -Djkernels.props.minutes=M} runs each property for M minutes, and with
 * {@code -Djkernels.props.sanitize=true} in a child JVM on the ASan build of the emulator:
 * <pre>
 * mvn -pl src test -Dtest='BackendPropertiesTest' -Djkernels.props.minutes=4 -Djkernels.props.sanitize=true
 * </pre>
 */
class BackendPropertiesTest {

    @BeforeAll static void emulatorPresent() { TestBackends.open(BackendKind.EMULATED).close(); }

    private static void check(String property) throws Exception {
        long cases = Props.sanitize() && Props.longMode() ? SanitizedChild.run(property) : BackendProperties.run(property);
        assertTrue(cases > 0, property + ": no case ran");
    }

    @Test void validGemmAgrees() throws Exception { check("gemm"); }

    @Test void validConvAgrees() throws Exception { check("conv"); }

    @Test void activationsAgreeOnEdgeValues() throws Exception { check("activation"); }

    @Test void invalidCallsAreRejectedIdenticallyAndTouchNothing() throws Exception { check("invalid"); }

    @Test void opCloseInterleavingsEndRightOrClosed() throws Exception { check("interleavings"); }

    /** The containment proves itself: a planted out-of-bounds write is a failure naming the kernel, not a dead JVM. */
    @Test void anOutOfBoundsKernelIsAFailureNamingTheKernel() {
        assumeTrue(Props.sanitize(), "only with -Djkernels.props.sanitize=true");
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> SanitizedChild.run("planted-oob"));
        assertTrue(e.getMessage().contains(PlantedBug.KERNEL) && e.getMessage().contains("heap-buffer-overflow"), e.getMessage());
    }
}
