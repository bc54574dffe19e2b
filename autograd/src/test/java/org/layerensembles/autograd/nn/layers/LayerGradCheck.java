package org.layerensembles.autograd.nn.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;

/**
 * GradCheck for a layer: runs {@code layer.forward(x)} and compares it with a double-precision
 * twin, then backpropagates L = sum(w * y) (random w) and compares the gradient of the input and
 * of every named parameter (in {@code namedParameters()} order) with central finite differences
 * of the twin.
 *
 * <p>The twin takes {input, parameter 1, parameter 2, ...} as row-major doubles. Tolerances as
 * GradCheck's: |diff| <= atol + rtol * |expected|, defaults 1e-5 and 1e-4; finite differences
 * with h = 1e-6 in double contribute about 1e-9.
 */
final class LayerGradCheck {
    private final String what;
    private final Module layer;
    private final Function<double[][], double[]> twin;
    private double atol = 1e-5;
    private double rtol = 1e-4;

    private LayerGradCheck(String what, Module layer, Function<double[][], double[]> twin) {
        this.what = what;
        this.layer = layer;
        this.twin = twin;
    }

    static LayerGradCheck of(String what, Module layer, Function<double[][], double[]> twin) {
        return new LayerGradCheck(what, layer, twin);
    }

    LayerGradCheck tolerance(double absolute, double relative) {
        this.atol = absolute;
        this.rtol = relative;
        return this;
    }

    /** Runs the check; returns the layer's output. {@code inputGrad} says whether x's gradient is checked too. */
    Tensor run(NDArray input, boolean inputGrad) {
        Map<String, Tensor> params = layer.namedParameters();
        List<String> names = new ArrayList<>();
        names.add("input");
        names.addAll(params.keySet());
        List<NDArray> grads = new ArrayList<>();
        double[][] values = new double[names.size()][];
        values[0] = RefArrays.doubles(input);
        int k = 1;
        for (Tensor p : params.values()) {
            values[k++] = RefArrays.doubles(p.data());
        }
        layer.zeroGrad();
        Tensor x = inputGrad ? Tensor.parameter(input) : Tensor.constant(input);
        Tensor y = layer.forward(x);
        double[] expected = twin.apply(values);
        Compare.assertClose(what + " forward", expected, y.data(), atol, rtol);

        double[] weights = new double[expected.length];
        Random r = new Random(what.hashCode());
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (2 * r.nextDouble() - 1);
        }
        y.backward(NDArrays.of(weights, y.shape()));
        grads.add(x.grad());
        for (Tensor p : params.values()) {
            grads.add(p.grad());
        }
        for (int i = inputGrad ? 0 : 1; i < values.length; i++) {
            int at = i;
            double[] numeric = FiniteDifferences.gradient(v -> {
                double[][] perturbed = values.clone();
                perturbed[at] = v;
                return FiniteDifferences.dot(weights, twin.apply(perturbed));
            }, values[i].clone(), 1e-6);
            NDArray grad = grads.get(i);
            if (grad == null) {
                throw new AssertionError(what + ": " + names.get(i) + " received no gradient");
            }
            Compare.assertClose(what + " d/d(" + names.get(i) + ") " + Arrays.toString(grad.shape()), numeric, grad,
                    atol, rtol);
        }
        return y;
    }
}
