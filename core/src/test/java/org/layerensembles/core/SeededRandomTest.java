package org.layerensembles.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.cpu.Parallel;

class SeededRandomTest {

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void sameSeedSameNumbersOnOneAndTwoThreads() {
        Parallel.setThreads(1);
        float[] uniformOne = NDArrays.randomUniform(new SeededRandom(42), -1, 1, 300_001).toFloatArray();
        float[] normalOne = NDArrays.randomNormal(new SeededRandom(42), 0, 1, 300_001).toFloatArray();
        Parallel.setThreads(2);
        float[] uniformTwo = NDArrays.randomUniform(new SeededRandom(42), -1, 1, 300_001).toFloatArray();
        float[] normalTwo = NDArrays.randomNormal(new SeededRandom(42), 0, 1, 300_001).toFloatArray();
        assertArrayEquals(uniformOne, uniformTwo);
        assertArrayEquals(normalOne, normalTwo);
    }

    @Test
    void drawsContinueAcrossCallsAndDifferBySeed() {
        SeededRandom rng = new SeededRandom(7);
        float[] first = NDArrays.randomUniform(rng, 0, 1, 10).toFloatArray();
        float[] second = NDArrays.randomUniform(rng, 0, 1, 10).toFloatArray();
        assertFalse(Arrays.equals(first, second));
        float[] both = NDArrays.randomUniform(new SeededRandom(7), 0, 1, 20).toFloatArray();
        assertArrayEquals(first, Arrays.copyOfRange(both, 0, 10));
        assertArrayEquals(second, Arrays.copyOfRange(both, 10, 20));
        float[] other = NDArrays.randomUniform(new SeededRandom(8), 0, 1, 10).toFloatArray();
        assertFalse(Arrays.equals(first, other));
    }

    @Test
    void momentsMatchTheDistributions() {
        int n = 200_000;
        float[] u = NDArrays.randomUniform(new SeededRandom(1), 2, 4, n).toFloatArray();
        float[] z = NDArrays.randomNormal(new SeededRandom(2), 1, 3, n).toFloatArray();
        double[] mu = moments(u);
        double[] mz = moments(z);
        // Standard errors: uniform mean 0.0013, normal mean 0.0067; allow about 5 of them.
        assertEquals(3.0, mu[0], 0.01);
        assertEquals(4.0 / 12, mu[1], 0.01);
        assertEquals(1.0, mz[0], 0.035);
        assertEquals(9.0, mz[1], 0.15);
        for (float v : u) {
            assertTrue(v >= 2 && v < 4 || v == 4f, "uniform value " + v + " out of range");
        }
    }

    @Test
    void fillsNonContiguousViewsInLogicalOrder() {
        NDArray target = NDArrays.zeros(4, 3).transpose(0, 1);
        new org.layerensembles.core.cpu.CpuBackend().randomNormal(target, new SeededRandom(5), 0, 1);
        float[] expected = NDArrays.randomNormal(new SeededRandom(5), 0, 1, 3, 4).toFloatArray();
        assertArrayEquals(expected, target.toFloatArray());
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> NDArrays.randomUniform(new SeededRandom(1), 1, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> NDArrays.randomNormal(new SeededRandom(1), 0, -1, 3));
    }

    private static double[] moments(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (float x : v) {
            sq += (x - mean) * (x - mean);
        }
        return new double[] {mean, sq / (v.length - 1)};
    }
}
