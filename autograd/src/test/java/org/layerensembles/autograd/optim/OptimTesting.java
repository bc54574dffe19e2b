package org.layerensembles.autograd.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.TestData;

/** Shared helpers of the optimizer tests. */
final class OptimTesting {
    private OptimTesting() {
    }

    /** A parameter with values uniform in [-1, 1). */
    static Tensor param(long seed, int... shape) {
        return Tensor.parameter(TestData.array(seed, shape));
    }

    /** Parameters by name, in the order given: name0, tensor0, name1, tensor1, ... */
    static Map<String, Tensor> named(Object... nameThenTensor) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenTensor.length; i += 2) {
            m.put((String) nameThenTensor[i], (Tensor) nameThenTensor[i + 1]);
        }
        return m;
    }

    /** Makes p's gradient exactly g (zero, then add g through a backward pass from the leaf). */
    static void setGrad(Tensor p, double[] g) {
        p.zeroGrad();
        p.backward(NDArrays.of(g, p.shape()));
    }

    /** The gradient of step t for a parameter of n elements: uniform in [-1, 1), float32 values. */
    static double[] grad(long seed, int t, int n) {
        return TestData.uniform(seed * 1000 + t, n);
    }

    static double[] values(Tensor t) {
        return RefArrays.doubles(t.data());
    }

    static double[] values(NDArray a) {
        return RefArrays.doubles(a);
    }
}
