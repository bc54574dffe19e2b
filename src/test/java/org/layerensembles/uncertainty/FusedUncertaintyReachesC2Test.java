package org.layerensembles.uncertainty;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.JitTiers;

/**
 * The fused uncertainty kernel reaches the optimising compiler (C2) under default flags: the
 * tiered-compilation trap of CPU-KERNELS.md (see {@link JitTiers}). Its passes are kept small for
 * that reason ({@link FusedGroups}); the block loop ({@code run}), the pass holding the logarithm
 * ({@code headPass}) and the per-class pass ({@code classMean}) must be in use at level 4.
 */
class FusedUncertaintyReachesC2Test {
    private static final String KERNEL = "org.layerensembles.uncertainty.FusedGroups.";

    @Test
    void fusedKernelIsCompiledAtTheHighestTier() {
        List<NDArray> heads = Fixtures.randomHeads(3, 9, 2, 2, 64, 64);
        List<String> failures = JitTiers.notAtC2(60_000, JitTiers.kernel("fused uncertainty", () -> {
            try (MemoryScope ignored = MemoryScope.open()) {
                FusedUncertainty.compute(heads, null, UncertaintyOptions.defaults());
            }
        }, KERNEL + "run(", KERNEL + "headPass(", KERNEL + "classMean("));
        assertTrue(failures.isEmpty(), "stuck below C2:\n  " + String.join("\n  ", failures));
    }
}
