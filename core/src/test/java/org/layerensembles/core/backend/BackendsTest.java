package org.layerensembles.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendsTest {

    @Test
    void cpuIsBuiltIn() {
        assertEquals("cpu", Backends.cpu().name());
        assertSame(Backends.cpu(), Backends.get("cpu"));
    }

    @Test
    void anUnknownBackendIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tpu"));
        assertTrue(e.getMessage().contains("'tpu'") && e.getMessage().contains("cpu"), e.getMessage());
    }

    @Test
    void paramRecordsRejectImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> Conv2dParams.of(1, -1));
        assertThrows(IllegalArgumentException.class, () -> Conv2dParams.of(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Conv2dParams(1, 1, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Pool2dParams.of(2, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Pool2dParams.of(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Resize.toSize(Resize.Mode.BILINEAR, 0, 4, true));
        assertThrows(IllegalArgumentException.class, () -> Resize.byScale(Resize.Mode.NEAREST, 2, 2, true));
    }

    @Test
    void convolutionShapesFollowPyTorch() {
        assertEquals("[8, 16, 128, 128]", java.util.Arrays.toString(
                Conv2dParams.of(1, 1).outputShape("conv2d", new int[] {8, 1, 128, 128}, new int[] {16, 1, 3, 3})));
        assertEquals("[2, 64, 32, 32]", java.util.Arrays.toString(
                Conv2dParams.of(2, 3).outputShape("conv2d", new int[] {2, 1, 64, 64}, new int[] {64, 1, 7, 7})));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2dParams.of(1, 0)
                .outputShape("conv2d", new int[] {1, 1, 2, 2}, new int[] {1, 1, 3, 3}));
        assertTrue(e.getMessage().contains("larger than the padded input"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2dParams.of(1, 1)
                .outputShape("conv2d", new int[] {1, 3, 8, 8}, new int[] {4, 2, 3, 3}));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]") && e.getMessage().contains("[4, 2, 3, 3]"), e.getMessage());
    }
}
