package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.cpu.BatchNormTest.assertMentions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.ConcatRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * Concat and split: vs the element-by-element twin (exact: copies change no bits), round trips,
 * contiguous and non-contiguous parts, int32, empty parts, and argument checks.
 */
class ConcatTest {

    private static int[] withExtent(int[] shape, int axis, int extent) {
        int[] s = shape.clone();
        s[axis] = extent;
        return s;
    }

    @Test
    void concatMatchesTwinOnEveryAxis() {
        int[] base = {2, 3, 5, 7};
        int[] extents = {3, 1, 4};
        for (int axis = 0; axis < 4; axis++) {
            for (boolean strided : new boolean[] {false, true}) {
                List<NDArray> parts = new ArrayList<>();
                List<double[]> values = new ArrayList<>();
                List<int[]> shapes = new ArrayList<>();
                for (int p = 0; p < extents.length; p++) {
                    int[] shape = withExtent(base, axis, extents[p]);
                    // mix layouts: the middle part is always contiguous
                    NDArray x = strided && p != 1 ? TestData.nonContiguous(p, shape) : TestData.array(p, shape);
                    parts.add(x);
                    values.add(RefArrays.doubles(x));
                    shapes.add(shape);
                }
                // the axis as given and counted from the end
                for (int a : new int[] {axis, axis - 4}) {
                    NDArray out = CpuConcat.concat(parts, a);
                    assertArrayEquals(withExtent(base, axis, 8), out.shape());
                    Compare.assertClose("concat axis " + a + (strided ? " strided" : ""),
                            ConcatRef.concat(values, shapes, axis), out, 0, 0);
                }
            }
        }
    }

    @Test
    void splitMatchesTwinAndRoundTrips() {
        int[] shape = {3, 8, 5, 6};
        for (int axis = 0; axis < 4; axis++) {
            int extent = shape[axis];
            int[] sizes = {1, extent - 3, 0, 2};
            for (boolean strided : new boolean[] {false, true}) {
                NDArray x = strided ? TestData.nonContiguous(9, shape) : TestData.array(9, shape);
                List<NDArray> parts = CpuConcat.split(x, axis, sizes);
                List<double[]> expected = ConcatRef.split(RefArrays.doubles(x), shape, axis, sizes);
                assertEquals(sizes.length, parts.size());
                for (int p = 0; p < sizes.length; p++) {
                    assertArrayEquals(withExtent(shape, axis, sizes[p]), parts.get(p).shape());
                    // (NDArray.isContiguous() says false for some zero-size shapes: not asked of those)
                    assertTrue(sizes[p] == 0 || parts.get(p).isContiguous());
                    Compare.assertClose("split axis " + axis + " part " + p, expected.get(p), parts.get(p), 0, 0);
                }
                Compare.assertIdentical("round trip axis " + axis, x, CpuConcat.concat(parts, axis));
            }
        }
    }

    @Test
    void int32AndBroadcastPartsAndASinglePart() {
        NDArray a = NDArrays.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
        NDArray b = NDArrays.of(new int[] {7, 8}, 2, 1);
        NDArray out = CpuConcat.concat(List.of(a, b), 1);
        assertEquals(DType.INT32, out.dtype());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {1, 2, 3, 7, 4, 5, 6, 8}, out.toIntArray());
        // a broadcast (stride 0) part
        NDArray row = NDArrays.of(new float[] {1, 2, 3}, 1, 3).broadcastTo(2, 3);
        NDArray joined = CpuConcat.concat(List.of(row, TestData.array(1, 1, 3)), 0);
        Compare.assertClose("broadcast part", new double[] {1, 2, 3, 1, 2, 3}, joined.slice(0, 0, 2), 0, 0);
        // one part: a new array with the same values
        NDArray single = CpuConcat.concat(List.of(a), 0);
        assertTrue(single != a);
        Compare.assertIdentical("single part", a, single);
    }

    @Test
    void largeConcatAlongChannels() {
        // many runs, several copy tasks per part: [4, 3 + 5, 37, 41]
        NDArray a = TestData.array(1, 4, 3, 37, 41);
        NDArray b = TestData.nonContiguous(2, 4, 5, 37, 41);
        NDArray out = CpuConcat.concat(List.of(a, b), 1);
        Compare.assertIdentical("first", a, out.slice(1, 0, 3).contiguous());
        Compare.assertIdentical("second", b.contiguous(), out.slice(1, 3, 8).contiguous());
        List<NDArray> back = CpuConcat.split(out, 1, 3, 5);
        Compare.assertIdentical("split first", a, back.get(0));
        Compare.assertIdentical("split second", b.contiguous(), back.get(1));
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        NDArray a = TestData.array(1, 2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuConcat.concat(List.of(a, TestData.array(2, 2, 5, 4)), 2));
        assertMentions(e, "concat", "dimension 1", "[2, 3, 4]", "[2, 5, 4]");
        e = assertThrows(IllegalArgumentException.class, () -> CpuConcat.concat(List.of(a, TestData.array(2, 2, 3)), 0));
        assertMentions(e, "concat", "rank", "[2, 3, 4]", "[2, 3]");
        e = assertThrows(IllegalArgumentException.class,
                () -> CpuConcat.concat(List.of(a, NDArrays.zeros(DType.INT32, 2, 3, 4)), 0));
        assertMentions(e, "concat", "float32", "int32");
        e = assertThrows(IllegalArgumentException.class, () -> CpuConcat.concat(List.of(a), 3));
        assertMentions(e, "concat", "axis 3", "[2, 3, 4]");
        e = assertThrows(IllegalArgumentException.class, () -> CpuConcat.concat(List.of(), 0));
        assertMentions(e, "concat");
        e = assertThrows(IllegalArgumentException.class, () -> CpuConcat.split(a, 1, 1, 1));
        assertMentions(e, "split", "[1, 1]", "sum to 2", "[2, 3, 4]", "extent 3");
        e = assertThrows(IllegalArgumentException.class, () -> CpuConcat.split(a, 1, 4, -1));
        assertMentions(e, "split", "negative");
        e = assertThrows(IllegalArgumentException.class, () -> CpuConcat.split(a, -4, 2));
        assertMentions(e, "split", "axis -4");
    }

    private static void assertArrayEquals(int[] expected, int[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual,
                "shape " + Arrays.toString(actual) + " instead of " + Arrays.toString(expected));
    }
}
