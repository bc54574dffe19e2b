package org.layerensembles.autograd.nn.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.nn.init.Init.FanMode;
import org.layerensembles.autograd.nn.init.Init.Nonlinearity;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

/**
 * {@link Init} against the formulas of torch.nn.init, written out here: fans as
 * _calculate_fan_in_and_fan_out, gains as calculate_gain, and the bound or standard deviation of
 * each initialiser.
 *
 * <p>Statistics are over n >= 36,864 draws. Tolerances: the sample standard deviation within
 * 2% of the formula (its relative standard error is sqrt((kurtosis - 1) / 4n): 0.23% for a
 * uniform, 0.37% for a normal at n = 36,864, so 2% is over 5 standard errors); the sample mean
 * within 5 * std / sqrt(n) of the target; uniform draws inside [-bound, bound] and their extremes
 * within 1% of the bound (the chance of no draw in the top 1% is 0.99^n ~ 0). Formulas in double
 * vs float32 values: 1e-12 relative for gains and fans (exact), values compared in float32.
 */
class InitTest {

    // ---- fans and gains

    @Test
    void fansFollowPyTorchsRule() {
        // Conv2d weight [F, C, KH, KW]: fan_in = C*KH*KW, fan_out = F*KH*KW.
        assertEquals(new Init.Fans(3 * 5 * 7, 4 * 5 * 7), Init.fans(4, 3, 5, 7));
        // Linear weight [out, in]: fan_in = in, fan_out = out.
        assertEquals(new Init.Fans(20, 10), Init.fans(10, 20));
        // ConvTranspose2d weight [Cin, Cout, KH, KW]: torch reads dimension 1 as fan_in, so fan_in = Cout*KH*KW.
        assertEquals(new Init.Fans(16 * 2 * 2, 8 * 2 * 2), Init.fans(8, 16, 2, 2));
        // Conv3d-like rank 5: the receptive field is the product of all trailing dimensions.
        assertEquals(new Init.Fans(2 * 3 * 3 * 3, 6 * 3 * 3 * 3), Init.fans(6, 2, 3, 3, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fans(5));
        assertTrue(e.getMessage().contains("fewer than 2 dimensions") && e.getMessage().contains("[5]"), e.getMessage());
    }

    @Test
    void gainsAreTorchCalculateGain() {
        assertEquals(1.0, Init.gain(Nonlinearity.LINEAR), 0);
        assertEquals(1.0, Init.gain(Nonlinearity.CONV), 0);
        assertEquals(1.0, Init.gain(Nonlinearity.SIGMOID), 0);
        assertEquals(5.0 / 3.0, Init.gain(Nonlinearity.TANH), 1e-15);
        assertEquals(Math.sqrt(2), Init.gain(Nonlinearity.RELU), 1e-15);
        assertEquals(0.75, Init.gain(Nonlinearity.SELU), 0);
        // leaky relu: sqrt(2 / (1 + slope^2)); torch's default slope 0.01; a = sqrt(5) gives sqrt(1/3).
        assertEquals(Math.sqrt(2 / (1 + 0.01 * 0.01)), Init.gain(Nonlinearity.LEAKY_RELU), 1e-15);
        assertEquals(Math.sqrt(2 / 1.04), Init.gain(Nonlinearity.LEAKY_RELU, 0.2), 1e-15);
        assertEquals(Math.sqrt(1.0 / 3), Init.gain(Nonlinearity.LEAKY_RELU, Math.sqrt(5)), 1e-15);
        assertEquals(Math.sqrt(2), Init.gain(Nonlinearity.LEAKY_RELU, 0), 1e-15);
    }

    // ---- Kaiming

    @Test
    void kaimingUniformBoundsFanInAndFanOut() {
        int[] shape = {128, 32, 3, 3}; // fan_in 288, fan_out 1152: n = 36,864
        double boundIn = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(32 * 9);
        checkUniform("kaiming uniform relu fan_in", Init.kaimingUniform(empty(shape), 0, FanMode.FAN_IN,
                Nonlinearity.RELU, new SeededRandom(1)), boundIn);
        double boundOut = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(128 * 9);
        checkUniform("kaiming uniform relu fan_out", Init.kaimingUniform(empty(shape), 0, FanMode.FAN_OUT,
                Nonlinearity.RELU, new SeededRandom(2)), boundOut);
        double boundLeaky = Math.sqrt(3) * Math.sqrt(2 / (1 + 0.2 * 0.2)) / Math.sqrt(32 * 9);
        checkUniform("kaiming uniform leaky 0.2", Init.kaimingUniform(empty(shape), 0.2, FanMode.FAN_IN,
                Nonlinearity.LEAKY_RELU, new SeededRandom(3)), boundLeaky);
        // PyTorch's layer default, a = sqrt(5): bound = 1/sqrt(fan_in).
        checkUniform("kaiming uniform a=sqrt(5)", Init.kaimingUniform(empty(shape), Math.sqrt(5), FanMode.FAN_IN,
                Nonlinearity.LEAKY_RELU, new SeededRandom(4)), 1 / Math.sqrt(32 * 9));
        // The short form: relu, fan_in.
        checkUniform("kaiming uniform default", Init.kaimingUniform(empty(shape), new SeededRandom(5)), boundIn);
    }

    @Test
    void kaimingNormalStandardDeviations() {
        int[] shape = {64, 64, 3, 3}; // fan_in = fan_out = 576, n = 36,864
        checkNormal("kaiming normal relu", Init.kaimingNormal(empty(shape), 0, FanMode.FAN_IN, Nonlinearity.RELU,
                new SeededRandom(6)), 0, Math.sqrt(2) / Math.sqrt(576));
        int[] linear = {96, 512}; // fan_in 512, fan_out 96, n = 49,152
        checkNormal("kaiming normal fan_out", Init.kaimingNormal(empty(linear), 0, FanMode.FAN_OUT, Nonlinearity.RELU,
                new SeededRandom(7)), 0, Math.sqrt(2) / Math.sqrt(96));
        checkNormal("kaiming normal tanh", Init.kaimingNormal(empty(linear), 0, FanMode.FAN_IN, Nonlinearity.TANH,
                new SeededRandom(8)), 0, 5.0 / 3 / Math.sqrt(512));
        checkNormal("kaiming normal linear", Init.kaimingNormal(empty(linear), 0, FanMode.FAN_IN, Nonlinearity.LINEAR,
                new SeededRandom(9)), 0, 1 / Math.sqrt(512));
        checkNormal("kaiming normal default", Init.kaimingNormal(empty(linear), new SeededRandom(10)), 0,
                Math.sqrt(2) / Math.sqrt(512));
        assertEquals(Math.sqrt(2) / Math.sqrt(96), Init.kaimingStd(linear, 0, FanMode.FAN_OUT, Nonlinearity.RELU),
                1e-15);
    }

    @Test
    void kaimingOnATransposedConvolutionWeightUsesDimensionOne() {
        // [Cin = 32, Cout = 256, 2, 2]: fan_in = 256*4 = 1024 (dimension 1), not 32*4 = 128.
        int[] shape = {32, 256, 2, 2};
        checkUniform("kaiming uniform on [Cin, Cout, 2, 2]", Init.kaimingUniform(empty(shape), 0, FanMode.FAN_IN,
                Nonlinearity.RELU, new SeededRandom(11)), Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(1024));
        assertEquals(Math.sqrt(2) / Math.sqrt(128), Init.kaimingStd(shape, 0, FanMode.FAN_OUT, Nonlinearity.RELU),
                1e-15);
    }

    // ---- Xavier

    @Test
    void xavierUniformAndNormal() {
        int[] shape = {64, 32, 5, 5}; // fan_in 800, fan_out 1600, n = 51,200
        double std = Math.sqrt(2.0 / (800 + 1600));
        checkUniform("xavier uniform", Init.xavierUniform(empty(shape), 1, new SeededRandom(12)),
                Math.sqrt(6.0 / (800 + 1600)));
        checkUniform("xavier uniform gain relu", Init.xavierUniform(empty(shape), Math.sqrt(2), new SeededRandom(13)),
                Math.sqrt(2) * Math.sqrt(6.0 / (800 + 1600)));
        checkNormal("xavier normal", Init.xavierNormal(empty(shape), 1, new SeededRandom(14)), 0, std);
        checkNormal("xavier normal gain tanh", Init.xavierNormal(empty(shape), 5.0 / 3, new SeededRandom(15)), 0,
                5.0 / 3 * std);
        assertEquals(std, Init.xavierStd(shape, 1), 1e-15);
    }

    // ---- plain fills

    @Test
    void plainFills() {
        NDArray a = empty(40, 1000);
        assertTrue(allEqual(Init.constant(a, 0.25), 0.25f));
        assertTrue(allEqual(Init.zeros(a), 0f));
        assertTrue(allEqual(Init.ones(a), 1f));
        checkUniformRange("uniform(-2, 3)", Init.uniform(a, -2, 3, new SeededRandom(16)), -2, 3);
        checkNormal("normal(1.5, 0.2)", Init.normal(a, 1.5, 0.2, new SeededRandom(17)), 1.5, 0.2);
        assertTrue(allEqual(Init.uniform(a, 0.5, 0.5, new SeededRandom(18)), 0.5f), "uniform(a, a) is the constant a");
    }

    @Test
    void fillsAView() {
        // Column 1 of a [200, 3] array: only the view's elements change, in the view's row-major order.
        NDArray base = NDArrays.zeros(200, 3);
        NDArray column = base.select(1, 1);
        Init.uniform(column, 1, 2, new SeededRandom(19));
        NDArray expected = Init.uniform(empty(200), 1, 2, new SeededRandom(19));
        assertArrayEquals(expected.toFloatArray(), column.contiguous().toFloatArray());
        float[] all = base.toFloatArray();
        for (int i = 0; i < 200; i++) {
            assertEquals(0f, all[3 * i]);
            assertEquals(0f, all[3 * i + 2]);
        }
    }

    @Test
    void sameSeedSameWeightsAndDrawsAdvance() {
        int[] shape = {16, 8, 3, 3};
        SeededRandom r1 = new SeededRandom(42);
        SeededRandom r2 = new SeededRandom(42);
        float[] a1 = Init.kaimingUniform(empty(shape), r1).toFloatArray();
        float[] a2 = Init.kaimingUniform(empty(shape), r2).toFloatArray();
        assertArrayEquals(a1, a2, "same seed, same weights");
        float[] b1 = Init.kaimingNormal(empty(shape), r1).toFloatArray();
        float[] b2 = Init.kaimingNormal(empty(shape), r2).toFloatArray();
        assertArrayEquals(b1, b2, "same sequence of fills, same weights");
        float[] c = Init.kaimingUniform(empty(shape), new SeededRandom(43)).toFloatArray();
        assertFalse(Arrays.equals(a1, c), "another seed, other weights");
        float[] d = Init.kaimingUniform(empty(shape), r1).toFloatArray();
        assertFalse(Arrays.equals(a1, d), "a second fill from the same generator takes new draws");
        NDArray w = empty(shape);
        assertSame(w, Init.xavierUniform(w, 1, new SeededRandom(1)), "fills in place and returns the array");
    }

    // ---- helpers

    private static NDArray empty(int... shape) {
        return NDArrays.empty(DType.FLOAT32, shape);
    }

    private static boolean allEqual(NDArray a, float v) {
        for (float f : a.toFloatArray()) {
            if (f != v) {
                return false;
            }
        }
        return true;
    }

    /** U(-bound, bound): range, extremes near the bound, mean 0, std bound/sqrt(3). */
    private static void checkUniform(String what, NDArray a, double bound) {
        checkUniformRange(what, a, -bound, bound);
    }

    private static void checkUniformRange(String what, NDArray a, double lo, double hi) {
        float[] v = a.toFloatArray();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        double width = hi - lo;
        assertTrue(min >= (float) lo && max <= (float) hi, what + ": values in [" + min + ", " + max
                + "] outside [" + lo + ", " + hi + "]");
        assertTrue(min < lo + 0.01 * width && max > hi - 0.01 * width, what + ": extremes " + min + ", " + max
                + " not within 1% of the bounds " + lo + ", " + hi);
        checkMoments(what, v, (lo + hi) / 2, width / Math.sqrt(12));
    }

    private static void checkNormal(String what, NDArray a, double mean, double std) {
        checkMoments(what, a.toFloatArray(), mean, std);
    }

    private static void checkMoments(String what, float[] v, double mean, double std) {
        double sum = 0;
        for (float f : v) {
            sum += f;
        }
        double m = sum / v.length;
        double sq = 0;
        for (float f : v) {
            sq += (f - m) * (f - m);
        }
        double s = Math.sqrt(sq / (v.length - 1));
        assertTrue(Math.abs(m - mean) < 5 * std / Math.sqrt(v.length), what + ": mean " + m + ", expected " + mean
                + " +- " + 5 * std / Math.sqrt(v.length));
        assertTrue(Math.abs(s / std - 1) < 0.02, what + ": std " + s + ", expected " + std + " within 2%");
    }
}
