package dev.jkernels.testing;

import dev.jkernels.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * One backend per test class, opened before the first test and closed after the last. Subclasses
 * say which backend ({@link #createBackend()}, usually via {@link TestBackends#open}) and how big
 * their shapes get ({@link #scale()}). A backend that is not available skips the whole class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendTestBase {
    protected Backend backend;

    protected abstract Backend createBackend();

    protected Scale scale() { return Scale.FULL; }

    protected final boolean small() { return scale() == Scale.SMALL; }

    @BeforeAll
    final void openBackend() { backend = createBackend(); }

    @AfterAll
    final void closeBackend() {
        if (backend != null) backend.close();
    }
}
