package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;

/** On a machine without the NVIDIA driver (CI, this one): a clear reason, no crash. */
class NoDriverTest {

    @BeforeAll
    static void onlyWithoutADriver() {
        Assumptions.assumeFalse(CudaDriver.available(), "a CUDA driver is present: these tests are for machines without one");
    }

    @Test
    void theReasonNamesTheMissingLibrary() {
        assertFalse(CudaDriver.available());
        String reason = CudaDriver.unavailableReason();
        assertTrue(reason.contains("libcuda.so.1") && reason.contains("no NVIDIA driver"), reason);
    }

    @Test
    void askingForTheDeviceThrowsWithTheReason() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaContext.device(0));
        assertTrue(e.getMessage().startsWith("CUDA is not available: ")
                && e.getMessage().contains(CudaDriver.unavailableReason()), e.getMessage());
        IllegalStateException m = assertThrows(IllegalStateException.class, () -> CudaModule.load("smoke"));
        assertTrue(m.getMessage().contains("libcuda.so.1"), m.getMessage());
    }
}
