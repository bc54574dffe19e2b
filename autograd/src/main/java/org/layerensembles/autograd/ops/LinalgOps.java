package org.layerensembles.autograd.ops;

import static org.layerensembles.autograd.ops.ElementwiseOps.sumTo;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;

/** Differentiable linear algebra: the batched matrix product. */
public final class LinalgOps {
    private LinalgOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /** A · B of [..., M, K] and [..., K, N]; leading (batch) dimensions broadcast. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, false, false);
    }

    /**
     * C = op(A) · op(B), where op transposes the last two dimensions when asked; batch
     * dimensions broadcast. With g = dL/dC, for the plain product dA = g · B^T and
     * dB = A^T · g; the transposed forms follow from (XY)^T = Y^T X^T:
     * <pre>
     *   transposeA  transposeB   dA            dB
     *   no          no           g · B^T       A^T · g
     *   no          yes          g · B         g^T · A
     *   yes         no           B · g^T       A · g
     *   yes         yes          B^T · g^T     g^T · A^T
     * </pre>
     * An operand broadcast along batch dimensions gets its per-batch gradients summed back to
     * its own shape. A 2-D B against a batched A (x · W) folds the batch into the rows of one
     * product instead: dB = A'^T · g' with A' = A as [P, K], g' = g as [P, N].
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transposeA, boolean transposeB) {
        NDArray y = cpu().matmul(a.data(), b.data(), transposeA, transposeB);
        return Tensor.fromOp("matmul", y, (g, needs) -> {
            NDArray va = a.data();
            NDArray vb = b.data();
            NDArray ga = null;
            NDArray gb = null;
            if (needs[0]) {
                NDArray d;
                if (!transposeA) {
                    d = transposeB ? mm(g, vb, false, false) : mm(g, vb, false, true);
                } else {
                    d = transposeB ? mm(vb, g, true, true) : mm(vb, g, false, true);
                }
                ga = sumTo(d, a);
            }
            if (needs[1]) {
                if (!transposeA && b.rank() == 2 && a.rank() > 2) {
                    NDArray rowsA = va.reshape(-1, va.size(va.rank() - 1));
                    NDArray rowsG = g.reshape(-1, g.size(g.rank() - 1));
                    gb = transposeB ? mm(rowsG, rowsA, true, false) : mm(rowsA, rowsG, true, false);
                } else {
                    NDArray d;
                    if (!transposeB) {
                        d = transposeA ? mm(va, g, false, false) : mm(va, g, true, false);
                    } else {
                        d = transposeA ? mm(g, va, true, true) : mm(g, va, true, false);
                    }
                    gb = sumTo(d, b);
                }
            }
            return new NDArray[] {ga, gb};
        }, a, b);
    }

    private static NDArray mm(NDArray x, NDArray y, boolean tx, boolean ty) {
        return cpu().matmul(x, y, tx, ty);
    }
}
