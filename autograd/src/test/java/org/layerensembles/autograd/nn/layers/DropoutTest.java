package org.layerensembles.autograd.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.testing.TestData;

/**
 * Dropout and Dropout2d: identity in eval mode (and for p = 0); in training every element (or
 * channel) is exactly 0 or exactly x * (1f / (1f - p)) in float32, as PyTorch's
 * {@code input * (bernoulli(1 - p) / (1 - p))}; the gradient is dL/dy times the same mask; the
 * masks are the layer generator's uniform draws u &lt; 1 - p (same seed, same masks).
 *
 * <p>Rate tolerances: over n Bernoulli(p) draws the zeroed fraction has standard deviation
 * sqrt(p(1-p)/n); the bounds are 0.01 for Dropout (n = 102,400, p = 0.3: 7 standard deviations)
 * and 0.04 for Dropout2d (n = 4,096 channels, p = 0.5: 5 standard deviations). Values are
 * compared bit for bit.
 */
class DropoutTest {

    @Test
    void evalAndZeroProbabilityAreTheIdentity() {
        Tensor x = Tensor.parameter(TestData.array(1, 2, 3, 4, 4));
        Dropout dropout = new Dropout(0.5, new SeededRandom(1));
        Dropout2d dropout2d = new Dropout2d(0.5, new SeededRandom(1));
        dropout.eval();
        dropout2d.eval();
        assertSame(x, dropout.forward(x));
        assertSame(x, dropout2d.forward(x));
        assertSame(x, new Dropout(0, new SeededRandom(1)).forward(x));
        assertSame(x, new Dropout2d(0, new SeededRandom(1)).forward(x));
        dropout.train();
        assertFalse(x == dropout.forward(x), "training mode drops");
    }

    @Test
    void trainingKeepsScaledElementsAtTheStatedRate() {
        double p = 0.3;
        int[] shape = {10, 10, 32, 32};
        NDArray xData = nonZero(TestData.array(2, shape));
        Tensor x = Tensor.parameter(xData);
        Tensor y = new Dropout(p, new SeededRandom(3)).forward(x);
        float scale = 1f / (float) (1 - p);
        float[] xv = xData.toFloatArray();
        float[] yv = y.data().toFloatArray();
        // The mask is the generator's draws: kept where u < 1 - p.
        float[] u = NDArrays.randomUniform(new SeededRandom(3), 0, 1, shape).toFloatArray();
        int dropped = 0;
        for (int i = 0; i < xv.length; i++) {
            boolean kept = u[i] < (float) (1 - p);
            assertEquals(kept ? xv[i] * scale : 0f, yv[i], 0f, "element " + i);
            dropped += kept ? 0 : 1;
        }
        double rate = (double) dropped / xv.length;
        assertEquals(p, rate, 0.01, "dropped fraction");

        NDArray g = TestData.array(4, shape);
        y.backward(g);
        float[] gv = g.toFloatArray();
        float[] gx = x.grad().toFloatArray();
        for (int i = 0; i < xv.length; i++) {
            assertEquals(yv[i] == 0f ? 0f : gv[i] * scale, gx[i], 0f, "gradient " + i);
        }
    }

    @Test
    void sameSeedSameMasksAndEachForwardDrawsAnew() {
        Tensor x = Tensor.constant(NDArrays.ones(4, 8, 6, 6));
        Dropout a = new Dropout(0.5, new SeededRandom(5));
        Dropout b = new Dropout(0.5, new SeededRandom(5));
        float[] a1 = a.forward(x).data().toFloatArray();
        float[] a2 = a.forward(x).data().toFloatArray();
        assertArrayEquals(a1, b.forward(x).data().toFloatArray(), "same seed, same first mask");
        assertArrayEquals(a2, b.forward(x).data().toFloatArray(), "same seed, same second mask");
        assertFalse(Arrays.equals(a1, a2), "a second forward draws a new mask");
        assertFalse(Arrays.equals(a1, new Dropout(0.5, new SeededRandom(6)).forward(x).data().toFloatArray()));
    }

    @Test
    void probabilityOneGivesZerosAndNoGradient() {
        Tensor x = Tensor.parameter(TestData.array(7, 2, 3, 4));
        Tensor y = new Dropout(1, new SeededRandom(7)).forward(x);
        for (float v : y.data().toFloatArray()) {
            assertEquals(0f, v, 0f);
        }
        y.backward(TestData.array(8, 2, 3, 4));
        for (float v : x.grad().toFloatArray()) {
            assertEquals(0f, v, 0f);
        }
    }

    @Test
    void dropout2dZeroesWholeChannels() {
        double p = 0.5;
        int[] shape = {64, 64, 2, 3};
        NDArray xData = nonZero(TestData.array(9, shape));
        Tensor x = Tensor.parameter(xData);
        Tensor y = new Dropout2d(p, new SeededRandom(10)).forward(x);
        float scale = 1f / (float) (1 - p);
        float[] xv = xData.toFloatArray();
        float[] yv = y.data().toFloatArray();
        // One draw per (n, c), in row-major order.
        float[] u = NDArrays.randomUniform(new SeededRandom(10), 0, 1, 64, 64).toFloatArray();
        int plane = 6;
        int dropped = 0;
        for (int k = 0; k < 64 * 64; k++) {
            boolean kept = u[k] < (float) (1 - p);
            for (int j = 0; j < plane; j++) {
                int i = k * plane + j;
                assertEquals(kept ? xv[i] * scale : 0f, yv[i], 0f, "channel " + k + ", element " + j);
            }
            dropped += kept ? 0 : 1;
        }
        assertEquals(p, (double) dropped / (64 * 64), 0.04, "dropped fraction of channels");
        NDArray g = TestData.array(11, shape);
        y.backward(g);
        float[] gv = g.toFloatArray();
        float[] gx = x.grad().toFloatArray();
        for (int i = 0; i < xv.length; i++) {
            assertEquals(yv[i] == 0f ? 0f : gv[i] * scale, gx[i], 0f, "gradient " + i);
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1, new SeededRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5, new SeededRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> new Dropout2d(Double.NaN, new SeededRandom(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Dropout2d(0.5, new SeededRandom(1)).forward(Tensor.constant(TestData.array(12, 3, 4, 5))));
        assertTrue(e.getMessage().contains("[N, C, H, W]"), e.getMessage());
    }

    /** The array with exact zeros replaced by 0.5, so a zero output can only come from the mask. */
    private static NDArray nonZero(NDArray a) {
        float[] v = a.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (v[i] == 0f) {
                v[i] = 0.5f;
            }
        }
        return NDArrays.of(v, a.shape());
    }
}
