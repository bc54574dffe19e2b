package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Cubin for the device's exact architecture when packaged, else PTX; clear errors otherwise. */
class KernelImageTest {
    private static final Set<String> BOTH = Set.of("/cuda/conv.ptx", "/cuda/conv.sm_90.cubin");

    @Test
    void hopperGetsTheCubin() {
        KernelImage image = KernelImage.choose("conv", 90, BOTH::contains, null);
        assertEquals("/cuda/conv.sm_90.cubin", image.resource());
        assertFalse(image.isPtx());
    }

    @Test
    void otherArchitecturesGetThePtx() {
        for (int cc : new int[] {80, 86, 89, 100, 120}) {
            KernelImage image = KernelImage.choose("conv", cc, BOTH::contains, null);
            assertEquals("/cuda/conv.ptx", image.resource(), "cc " + cc);
            assertTrue(image.isPtx());
        }
    }

    @Test
    void devicesBelowThePtxTargetAreRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KernelImage.choose("conv", 75, BOTH::contains, null));
        assertTrue(e.getMessage().contains("7.5") && e.getMessage().contains("compute_80"), e.getMessage());
    }

    @Test
    void aMissingModuleIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KernelImage.choose("pool", 90, BOTH::contains, null));
        assertTrue(e.getMessage().contains("'pool'") && e.getMessage().contains("/cuda/pool.ptx"), e.getMessage());
    }

    @Test
    void aBuildWithoutNvccSaysSo() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KernelImage.choose("conv", 90, r -> false, "nvcc was not found on PATH\n"));
        assertEquals("no CUDA kernels were built into this jar: nvcc was not found on PATH", e.getMessage());
    }
}
