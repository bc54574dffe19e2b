package org.layerensembles.core.testing;

import java.util.function.ToDoubleFunction;

/**
 * Central finite differences in double precision, the independent check of every analytic
 * gradient: dL/dx_i ~ (L(x + h e_i) - L(x - h e_i)) / 2h, with error O(h^2).
 */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** Gradient of a scalar function of a flat vector. {@code x} is restored afterwards. */
    public static double[] gradient(ToDoubleFunction<double[]> loss, double[] x, double h) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + h;
            double plus = loss.applyAsDouble(x);
            x[i] = saved - h;
            double minus = loss.applyAsDouble(x);
            x[i] = saved;
            g[i] = (plus - minus) / (2 * h);
        }
        return g;
    }

    /** Sum of weights[i] * y[i]: turns a vector-valued function into a scalar loss with upstream gradient {@code weights}. */
    public static double dot(double[] weights, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += weights[i] * y[i];
        }
        return s;
    }
}
