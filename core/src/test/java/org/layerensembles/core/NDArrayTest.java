package org.layerensembles.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NDArrayTest {

    private static NDArray counting(int... shape) {
        return NDArrays.arange(0, Shapes.numel(shape), 1).reshape(shape);
    }

    @Test
    void creationFillsAsAsked() {
        assertArrayEquals(new float[] {0, 0, 0, 0}, NDArrays.zeros(2, 2).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1}, NDArrays.ones(3).toFloatArray());
        assertArrayEquals(new float[] {2.5f, 2.5f}, NDArrays.full(2.5f, 1, 2).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2}, NDArrays.arange(3).toFloatArray());
        assertArrayEquals(new float[] {1, 0.5f, 0}, NDArrays.arange(1, -0.25, -0.5).toFloatArray());
        assertArrayEquals(new int[] {0, 1, 2, 3}, NDArrays.arangeInt(4).toIntArray());
        assertArrayEquals(new int[] {4, 5, 6}, NDArrays.of(new int[] {4, 5, 6}, 3).toIntArray());
        NDArray s = NDArrays.scalar(3f);
        assertEquals(0, s.rank());
        assertEquals(1, s.numel());
        assertEquals(3f, s.getFloat());
        assertEquals(DType.INT32, NDArrays.zeros(DType.INT32, 2).dtype());
    }

    @Test
    void fromAndToJavaArraysRoundTrip() {
        float[] data = {1, 2, 3, 4, 5, 6};
        NDArray a = NDArrays.of(data, 2, 3);
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new int[] {3, 1}, a.strides());
        assertArrayEquals(data, a.toFloatArray());
        assertEquals(6f, a.getFloat(1, 2));
        a.setFloat(-1f, 0, 1);
        assertEquals(-1f, a.toFloatArray()[1]);
    }

    @Test
    void badShapesAndIndicesAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NDArrays.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NDArrays.zeros(2, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> NDArrays.zeros(2, 2).getFloat(2, 0));
        assertThrows(IllegalArgumentException.class, () -> NDArrays.zeros(2, 2).getFloat(0));
        assertThrows(IllegalArgumentException.class, () -> NDArrays.zeros(2, 2).getInt(0, 0));
        assertThrows(IllegalArgumentException.class, () -> NDArrays.arange(0, 1, 0));
    }

    @Test
    void reshapeOfContiguousDataIsAView() {
        NDArray a = counting(2, 3, 4);
        NDArray r = a.reshape(6, -1);
        assertArrayEquals(new int[] {6, 4}, r.shape());
        assertSame(a.allocation(), r.allocation());
        r.setFloat(100f, 5, 3);
        assertEquals(100f, a.getFloat(1, 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.reshape(5, 5));
        assertTrue(e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.reshape(-1, -1));
    }

    @Test
    void reshapeOfAStridedViewCopies() {
        NDArray t = counting(2, 3).transpose(0, 1);
        NDArray r = t.reshape(6);
        assertNotSame(t.allocation(), r.allocation());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, r.toFloatArray());
    }

    @Test
    void permuteAndTransposeAreViews() {
        NDArray a = counting(2, 3, 4);
        NDArray p = a.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertArrayEquals(new int[] {1, 12, 4}, p.strides());
        assertFalse(p.isContiguous());
        assertSame(a.allocation(), p.allocation());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    assertEquals(a.getFloat(i, j, k), p.getFloat(k, i, j));
                }
            }
        }
        NDArray t = a.transpose(-1, 0);
        assertArrayEquals(new int[] {4, 3, 2}, t.shape());
        assertEquals(a.getFloat(1, 2, 3), t.getFloat(3, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> a.permute(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> a.permute(0, 1));
    }

    @Test
    void sliceAndSelectAreViewsWithOffsets() {
        NDArray a = counting(4, 5);
        NDArray s = a.slice(1, 1, 4);
        assertArrayEquals(new int[] {4, 3}, s.shape());
        assertEquals(1, s.offset());
        assertEquals(a.getFloat(2, 3), s.getFloat(2, 2));
        NDArray row = a.slice(0, 2, 3);
        assertTrue(row.isContiguous());
        assertArrayEquals(new float[] {10, 11, 12, 13, 14}, row.toFloatArray());
        NDArray column = a.select(1, 4);
        assertArrayEquals(new float[] {4, 9, 14, 19}, column.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> a.slice(0, 3, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> a.select(0, 4));
    }

    @Test
    void broadcastViewsRepeatWithoutCopying() {
        NDArray col = NDArrays.of(new float[] {1, 2}, 2, 1);
        NDArray b = col.broadcastTo(3, 2, 4);
        assertArrayEquals(new int[] {0, 1, 0}, b.strides());
        assertEquals(2f, b.getFloat(2, 1, 3));
        assertEquals(24, b.toFloatArray().length);
        assertThrows(IllegalArgumentException.class, () -> col.broadcastTo(3, 4));
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        NDArray a = counting(3, 4);
        assertSame(a, a.contiguous());
        NDArray c = a.transpose(0, 1).slice(0, 1, 3).contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(new float[] {1, 5, 9, 2, 6, 10}, c.toFloatArray());
    }

    @Test
    void intArraysKeepTheirValues() {
        NDArray labels = NDArrays.of(new int[] {3, -1, 7, 0}, 2, 2);
        assertEquals(7, labels.getInt(1, 0));
        assertArrayEquals(new int[] {3, 7, -1, 0}, labels.transpose(0, 1).toIntArray());
        assertArrayEquals(new float[] {3, -1, 7, 0}, labels.toFloatArray());
    }

    @Test
    void toStringNamesDtypeShapeAndDevice() {
        assertEquals("NDArray(float32, [2, 3], cpu)", NDArrays.zeros(2, 3).toString());
    }
}
