package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.testing.TestData;

class StridedCopyTest {

    @Test
    void copiesBetweenAnyLayouts() {
        NDArray src = TestData.array(1, 3, 5, 7);
        float[] expected = src.toFloatArray();
        NDArray permutedDst = NDArrays.zeros(7, 3, 5).permute(1, 2, 0);
        StridedCopy.copy(src, permutedDst);
        assertArrayEquals(expected, permutedDst.toFloatArray());
        NDArray back = NDArrays.zeros(3, 5, 7);
        StridedCopy.copy(permutedDst, back);
        assertArrayEquals(expected, back.toFloatArray());
    }

    @Test
    void copiesLargeStridedArraysInParallelTasks() {
        NDArray src = TestData.nonContiguous(2, 64, 300, 7);
        NDArray dst = NDArrays.empty(DType.FLOAT32, 64, 300, 7);
        StridedCopy.copy(src, dst);
        assertArrayEquals(TestData.array(2, 64, 300, 7).toFloatArray(), dst.toFloatArray());
    }

    @Test
    void copiesIntoASliceLeavingTheRestAlone() {
        NDArray dst = NDArrays.zeros(4, 4);
        StridedCopy.copy(NDArrays.ones(4, 2), dst.slice(1, 1, 3));
        assertArrayEquals(new float[] {0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0}, dst.toFloatArray());
    }

    @Test
    void mismatchesNameBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StridedCopy.copy(NDArrays.zeros(2, 3), NDArrays.zeros(3, 2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> StridedCopy.copy(NDArrays.zeros(2), NDArrays.zeros(DType.INT32, 2)));
    }
}
