package org.layerensembles.autograd.optim;

import java.util.Arrays;
import java.util.Collection;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    /** Added to the norm before dividing, as in PyTorch. */
    public static final double EPS = 1e-6;

    private GradClip() {
    }

    /**
     * Scales all gradients together so that their global L2 norm is at most about
     * {@code maxNorm}: with {@code norm} the L2 norm of all gradient elements of all tensors
     * (computed in double) and {@code coef = maxNorm / (norm + 1e-6)}, every gradient is
     * multiplied by {@code (float) coef} when {@code coef < 1} (PyTorch clamps coef at 1 and always
     * multiplies, which is the same). A NaN or infinite norm is returned as such, and, as in
     * PyTorch, the gradients then become NaN (or zero for an infinite norm with finite
     * elements): check the returned norm to skip such steps. Tensors without a gradient are
     * skipped.
     *
     * @param params  the parameters (e.g. {@code model.namedParameters().values()})
     * @param maxNorm the largest global norm, finite and >= 0
     * @return the global norm before clipping
     */
    public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
        if (!(maxNorm >= 0) || !Double.isFinite(maxNorm)) {
            throw new IllegalArgumentException("invalid maxNorm " + maxNorm + ": must be finite and >= 0");
        }
        double sumSq = 0;
        for (Tensor p : params) {
            NDArray g = p.grad();
            if (g != null) {
                requireContiguousFloat(g);
                sumSq += Autograd.backend().sumOfSquares(g);
            }
        }
        double norm = Math.sqrt(sumSq);
        double coef = maxNorm / (norm + EPS);
        if (!(coef >= 1)) {
            for (Tensor p : params) {
                NDArray g = p.grad();
                if (g != null) {
                    Autograd.backend().scaleInPlace(g, coef);
                }
            }
        }
        return norm;
    }

    private static void requireContiguousFloat(NDArray g) {
        if (g.dtype() != DType.FLOAT32 || !g.isContiguous()) {
            throw new IllegalArgumentException("clipGradNorm needs contiguous float32 gradients, got " + g.dtype() + " "
                    + Shapes.str(g.shape()) + " with strides " + Arrays.toString(g.strides()));
        }
    }
}
