package org.layerensembles.autograd.nn.layers;

import static org.layerensembles.core.backend.BinaryOp.DIV;
import static org.layerensembles.core.backend.BinaryOp.LT;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.ElementwiseOps;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Backend;

/**
 * PyTorch's {@code nn.Dropout} (inverted dropout). In training mode each element is kept with
 * probability 1 - p and scaled by 1 / (1 - p), or zeroed:
 * <pre>
 *   y = x * mask,   mask = [u &lt; 1 - p] / (1 - p),   u ~ U[0, 1) per element
 * </pre>
 * so E[y] = x, and dL/dx = dL/dy * mask. In eval mode (and for p = 0) the input passes through
 * unchanged; p = 1 gives zeros. The uniforms come from the layer's own {@link SeededRandom}, one
 * draw per mask element per forward pass: the same seed replays the same masks.
 */
public final class Dropout extends Module {
    private final double p;
    private final SeededRandom rng;

    /**
     * @param p   probability of zeroing an element, in [0, 1]
     * @param rng where the masks are drawn from
     */
    public Dropout(double p, SeededRandom rng) {
        this.p = checkProbability("Dropout", p);
        this.rng = rng;
    }

    @Override
    protected Tensor compute(Tensor input) {
        return isTraining() ? apply(input, p, rng, input.shape()) : input;
    }

    public double p() {
        return p;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }

    static double checkProbability(String layer, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(layer + ": probability must be in [0, 1], got " + p);
        }
        return p;
    }

    /**
     * Training-mode dropout with one mask value per element of {@code maskShape}, which
     * broadcasts against the input (the input's shape for Dropout, [N, C, 1, 1] for Dropout2d).
     */
    static Tensor apply(Tensor x, double p, SeededRandom rng, int[] maskShape) {
        if (p == 0 || x.numel() == 0) {
            return x;
        }
        if (p == 1) {
            return ElementwiseOps.mul(x, 0.0);
        }
        Backend backend = Autograd.backend();
        NDArray u = backend.empty(DType.FLOAT32, maskShape);
        backend.randomUniform(u, rng, 0, 1);
        float keep = (float) (1 - p);
        // [u < 1 - p] / (1 - p), divided as PyTorch does (a float32 division by float32(1 - p)).
        NDArray mask = backend.binary(DIV, backend.binary(LT, u, NDArrays.scalar(keep)), NDArrays.scalar(keep));
        return ElementwiseOps.mul(x, Tensor.constant(mask));
    }
}
