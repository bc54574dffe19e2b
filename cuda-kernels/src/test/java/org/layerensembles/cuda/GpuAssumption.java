package org.layerensembles.cuda;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;

/**
 * The gate of every {@code @Tag("gpu")} test: call {@link #requireGpu()} in a {@code @BeforeEach}
 * (per test, so the build lists each one as skipped). Without a usable driver the test is
 * skipped, and the reason is printed once per JVM so it shows in the build log.
 */
public final class GpuAssumption {
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    private GpuAssumption() {
    }

    public static void requireGpu() {
        boolean available = CudaDriver.available();
        if (!available && REPORTED.compareAndSet(false, true)) {
            System.out.println("[gpu] GPU tests skipped: " + CudaDriver.unavailableReason());
        }
        Assumptions.assumeTrue(available, CudaDriver::unavailableReason);
    }
}
