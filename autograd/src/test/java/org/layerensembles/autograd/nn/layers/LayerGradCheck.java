package org.layerensembles.autograd.nn.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.reference.RefArrays;

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
        double[] weights = GradCheck.forwardAndBackward(what, y, twin.apply(values), atol, rtol);
        grads.add(x.grad());
        for (Tensor p : params.values()) {
            grads.add(p.grad());
        }
        for (int i = inputGrad ? 0 : 1; i < values.length; i++) {
            GradCheck.assertGradient(what, names.get(i), grads.get(i), twin, values, i, weights, 1e-6, atol, rtol);
        }
        return y;
    }
}
