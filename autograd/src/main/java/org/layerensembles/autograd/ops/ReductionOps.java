package org.layerensembles.autograd.ops;

import static org.layerensembles.core.backend.BinaryOp.DIV;
import static org.layerensembles.core.backend.BinaryOp.EQ;
import static org.layerensembles.core.backend.BinaryOp.MUL;

import java.util.Arrays;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.ReduceOp;

/**
 * Differentiable reductions over axes. {@code axes} null or empty reduces over all of them;
 * negative axes count from the end; {@code keepDims} keeps reduced axes with extent 1.
 *
 * <p>Every backward rule first views the output's gradient with the reduced axes kept at
 * extent 1 ("kept shape"), so that it broadcasts against the input.
 */
public final class ReductionOps {
    private ReductionOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /** Sum over all elements: a scalar of shape []. */
    public static Tensor sum(Tensor x) {
        return sum(x, null, false);
    }

    /** y = sum of x over the axes; dx = g broadcast back over the reduced axes. */
    public static Tensor sum(Tensor x, int[] axes, boolean keepDims) {
        NDArray y = cpu().reduce(ReduceOp.SUM, x.data(), axes, keepDims);
        int[] kept = keptShape(x.shape(), axes);
        return Tensor.fromOp("sum", y, (g, needs) -> new NDArray[] {
            g.reshape(kept).broadcastTo(x.shape())}, x);
    }

    /** Mean over all elements: a scalar of shape []. */
    public static Tensor mean(Tensor x) {
        return mean(x, null, false);
    }

    /** y = sum / n over the axes (n = the number of elements reduced into each output); dx = g / n broadcast back. */
    public static Tensor mean(Tensor x, int[] axes, boolean keepDims) {
        NDArray y = cpu().reduce(ReduceOp.MEAN, x.data(), axes, keepDims);
        int[] kept = keptShape(x.shape(), axes);
        long n = Shapes.numel(x.shape()) / Math.max(1, Shapes.numel(kept));
        return Tensor.fromOp("mean", y, (g, needs) -> {
            NDArray scaled = cpu().binary(DIV, g.reshape(kept), NDArrays.scalar((float) n));
            return new NDArray[] {scaled.broadcastTo(x.shape())};
        }, x);
    }

    /** Largest element over all of x: a scalar of shape []. */
    public static Tensor max(Tensor x) {
        return max(x, null, false);
    }

    /**
     * Largest element over the axes (amax). The gradient goes to the positions equal to the
     * result, split evenly among ties (PyTorch's amax): dx = [x == y] * g / count(x == y).
     * A NaN maximum gives NaN gradients along its reduced positions.
     */
    public static Tensor max(Tensor x, int[] axes, boolean keepDims) {
        return extremum("max", ReduceOp.MAX, x, axes, keepDims);
    }

    /** Smallest element over all of x: a scalar of shape []. */
    public static Tensor min(Tensor x) {
        return min(x, null, false);
    }

    /** Smallest element over the axes (amin); gradient as {@link #max(Tensor, int[], boolean)}. */
    public static Tensor min(Tensor x, int[] axes, boolean keepDims) {
        return extremum("min", ReduceOp.MIN, x, axes, keepDims);
    }

    private static Tensor extremum(String name, ReduceOp op, Tensor x, int[] axes, boolean keepDims) {
        NDArray y = cpu().reduce(op, x.data(), axes, keepDims);
        int[] kept = keptShape(x.shape(), axes);
        return Tensor.fromOp(name, y, (g, needs) -> {
            NDArray winners = cpu().binary(EQ, x.data(), y.reshape(kept));
            NDArray count = cpu().reduce(ReduceOp.SUM, winners, axes, true);
            NDArray share = cpu().binary(DIV, g.reshape(kept), count);
            return new NDArray[] {cpu().binary(MUL, winners, share)};
        }, x);
    }

    /**
     * int32 index of the largest element along an axis (the first one on ties); not
     * differentiable.
     */
    public static Tensor argmax(Tensor x, int axis, boolean keepDims) {
        return Tensor.constant(cpu().argmax(x.data(), axis, keepDims));
    }

    /** x's shape with the reduced axes at extent 1 (the backend has already checked the axes). */
    private static int[] keptShape(int[] shape, int[] axes) {
        int[] kept = shape.clone();
        if (axes == null || axes.length == 0) {
            Arrays.fill(kept, 1);
        } else {
            for (int a : axes) {
                kept[Shapes.axis("reduce", a, shape.length)] = 1;
            }
        }
        return kept;
    }
}
