package org.layerensembles.autograd.nn.init;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.Shapes;

/**
 * Weight initialisers with the formulas of PyTorch's {@code torch.nn.init}. Each fills an array
 * in place, with draws taken from an explicit {@link SeededRandom}: the same seed (and the same
 * sequence of fills) gives the same weights on every machine. The values cannot equal PyTorch's
 * own draws (another generator); their distribution does.
 *
 * <p>Fans, as {@code torch.nn.init._calculate_fan_in_and_fan_out}: for a weight of shape
 * [d0, d1, k...] (at least two dimensions), with r = product of k (1 for a matrix),
 * <pre>
 *   fan_in = d1 * r,   fan_out = d0 * r
 * </pre>
 * A Conv2d weight [F, C, KH, KW] has fan_in = C*KH*KW and fan_out = F*KH*KW. A ConvTranspose2d
 * weight [Cin, Cout, KH, KW] follows the same rule, so its fan_in is Cout*KH*KW (PyTorch reads
 * dimension 1 as the input whatever the layer).
 */
public final class Init {
    private Init() {
    }

    /** Which fan scales a Kaiming initialisation: fan_in keeps the forward variance, fan_out the backward's. */
    public enum FanMode { FAN_IN, FAN_OUT }

    /** The nonlinearity after the layer, for {@link #gain}. */
    public enum Nonlinearity { LINEAR, CONV, SIGMOID, TANH, RELU, LEAKY_RELU, SELU }

    /** fan_in and fan_out of a weight shape. */
    public record Fans(int fanIn, int fanOut) {
    }

    /** fan_in and fan_out of a weight shape, as PyTorch computes them (see the class comment). */
    public static Fans fans(int... shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("fan in and fan out cannot be computed for a weight with fewer than 2 "
                    + "dimensions, got " + Shapes.str(shape));
        }
        int receptive = 1;
        for (int d = 2; d < shape.length; d++) {
            receptive *= shape[d];
        }
        return new Fans(shape[1] * receptive, shape[0] * receptive);
    }

    /**
     * The recommended gain of {@code torch.nn.init.calculate_gain}: 1 for linear, conv and
     * sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + negativeSlope^2)) for leaky relu,
     * 3/4 for selu. {@code negativeSlope} is read only for leaky relu.
     */
    public static double gain(Nonlinearity nonlinearity, double negativeSlope) {
        return switch (nonlinearity) {
            case LINEAR, CONV, SIGMOID -> 1.0;
            case TANH -> 5.0 / 3.0;
            case RELU -> Math.sqrt(2.0);
            case LEAKY_RELU -> Math.sqrt(2.0 / (1 + negativeSlope * negativeSlope));
            case SELU -> 3.0 / 4.0;
        };
    }

    /** {@link #gain(Nonlinearity, double)} with PyTorch's default slope for leaky relu, 0.01. */
    public static double gain(Nonlinearity nonlinearity) {
        return gain(nonlinearity, 0.01);
    }

    // ---- Kaiming (He et al. 2015)

    /**
     * The standard deviation Kaiming initialisation aims at: gain / sqrt(fan), fan chosen by
     * {@code mode}, gain from {@code nonlinearity} with slope {@code a} (leaky relu only).
     */
    public static double kaimingStd(int[] shape, double a, FanMode mode, Nonlinearity nonlinearity) {
        Fans f = fans(shape);
        int fan = mode == FanMode.FAN_IN ? f.fanIn() : f.fanOut();
        return gain(nonlinearity, a) / Math.sqrt(fan);
    }

    /**
     * U(-bound, bound) with bound = sqrt(3) * gain / sqrt(fan), the uniform with Kaiming's
     * standard deviation (PyTorch's {@code kaiming_uniform_(w, a, mode, nonlinearity)}).
     * PyTorch's default layer init is this with a = sqrt(5), FAN_IN, LEAKY_RELU: bound = 1/sqrt(fan_in).
     */
    public static NDArray kaimingUniform(NDArray w, double a, FanMode mode, Nonlinearity nonlinearity,
                                         SeededRandom rng) {
        double bound = Math.sqrt(3.0) * kaimingStd(w.shape(), a, mode, nonlinearity);
        return uniform(w, -bound, bound, rng);
    }

    /** {@link #kaimingUniform(NDArray, double, FanMode, Nonlinearity, SeededRandom)} for a relu network, fan_in. */
    public static NDArray kaimingUniform(NDArray w, SeededRandom rng) {
        return kaimingUniform(w, 0, FanMode.FAN_IN, Nonlinearity.RELU, rng);
    }

    /** N(0, std^2) with std = gain / sqrt(fan) (PyTorch's {@code kaiming_normal_(w, a, mode, nonlinearity)}). */
    public static NDArray kaimingNormal(NDArray w, double a, FanMode mode, Nonlinearity nonlinearity,
                                        SeededRandom rng) {
        return normal(w, 0, kaimingStd(w.shape(), a, mode, nonlinearity), rng);
    }

    /** {@link #kaimingNormal(NDArray, double, FanMode, Nonlinearity, SeededRandom)} for a relu network, fan_in. */
    public static NDArray kaimingNormal(NDArray w, SeededRandom rng) {
        return kaimingNormal(w, 0, FanMode.FAN_IN, Nonlinearity.RELU, rng);
    }

    // ---- Xavier / Glorot (Glorot and Bengio 2010)

    /** gain * sqrt(2 / (fan_in + fan_out)), the standard deviation of Xavier initialisation. */
    public static double xavierStd(int[] shape, double gain) {
        Fans f = fans(shape);
        return gain * Math.sqrt(2.0 / (f.fanIn() + f.fanOut()));
    }

    /** U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)) (PyTorch's {@code xavier_uniform_}). */
    public static NDArray xavierUniform(NDArray w, double gain, SeededRandom rng) {
        double bound = Math.sqrt(3.0) * xavierStd(w.shape(), gain);
        return uniform(w, -bound, bound, rng);
    }

    /** N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (PyTorch's {@code xavier_normal_}). */
    public static NDArray xavierNormal(NDArray w, double gain, SeededRandom rng) {
        return normal(w, 0, xavierStd(w.shape(), gain), rng);
    }

    // ---- plain fills

    /**
     * Values uniform in [a, b) (PyTorch's {@code uniform_(a, b)}); element i (row-major) takes
     * the generator's next draw i. With a == b every element is a (and no draw is taken).
     */
    public static NDArray uniform(NDArray w, double a, double b, SeededRandom rng) {
        if (a == b) {
            return constant(w, a);
        }
        Autograd.backend().randomUniform(w, rng, a, b);
        return w;
    }

    /** Values N(mean, std^2) (PyTorch's {@code normal_(mean, std)}); element i takes the next draw i. */
    public static NDArray normal(NDArray w, double mean, double std, SeededRandom rng) {
        Autograd.backend().randomNormal(w, rng, mean, std);
        return w;
    }

    /** Every element set to {@code value}. */
    public static NDArray constant(NDArray w, double value) {
        Autograd.backend().fill(w, value);
        return w;
    }

    public static NDArray zeros(NDArray w) {
        return constant(w, 0);
    }

    public static NDArray ones(NDArray w) {
        return constant(w, 1);
    }
}
