package org.layerensembles.autograd.ops;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;

/** Indexing: gather (differentiable in x) and one-hot encoding (not differentiable). */
public final class IndexOps {
    private IndexOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /**
     * out[..., i, ...] = x[..., index[..., i, ...], ...] along {@code axis} (torch.gather): out
     * has the shape of {@code index} (int32, x's rank, no larger than x off the axis). The
     * gradient scatters back: dx[..., index[i], ...] += g[i], into zeros of x's shape (an element
     * gathered twice receives both contributions). The index gets no gradient.
     */
    public static Tensor gather(Tensor x, int axis, Tensor index) {
        NDArray idx = index.data();
        NDArray y = cpu().gather(x.data(), axis, idx);
        return Tensor.fromOp("gather", y, (g, needs) -> new NDArray[] {
            cpu().gatherBackward(g, axis, idx, x.shape())}, x);
    }

    /**
     * float32 one-hot of int32 labels, with a new class dimension of extent {@code classes} at
     * {@code axis} of the output (labels [N, H, W] with axis 1 give [N, classes, H, W]). Not
     * differentiable.
     */
    public static Tensor oneHot(Tensor labels, int classes, int axis) {
        return Tensor.constant(cpu().oneHot(labels.data(), classes, axis));
    }
}
