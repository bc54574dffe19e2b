package org.layerensembles.autograd.ops;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;

/**
 * Differentiable views and movement. A movement moves numbers without changing them, so each
 * backward rule moves the output's gradient back to where its elements came from:
 * <pre>
 *   view op (y shares x's memory)     backward
 *   reshape(x, s)                     g.reshape(x.shape)
 *   permute(x, dims)                  g.permute(inverse of dims)
 *   slice(x, d, start, end)           zeros(x.shape) with g copied into [start, end) along d
 *   select(x, d, i)                   zeros(x.shape) with g copied into index i along d
 *   broadcastTo(x, s)                 sum of g over the repeated positions (sumTo x.shape)
 *   unsqueeze / squeeze               the other one
 *   copy op (y is new memory)
 *   contiguous(x)                     g
 *   concat(xs, d)                     the pieces of g (backend split)
 *   split(x, d, sizes) -> piece p     zeros(x.shape) with g copied into piece p's range along d
 * </pre>
 * View ops return arrays that share memory with their input (metadata only, nothing copied);
 * their rules capture only shapes, so they keep no array alive for the backward pass. Every op
 * here also works on int32 tensors (labels), whose results are constants.
 */
public final class ShapeOps {
    private ShapeOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    // ---- views

    /**
     * The same elements with another shape (one extent may be -1). A view when x is contiguous,
     * otherwise a contiguous copy.
     */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] inShape = x.shape();
        NDArray y = x.data().reshape(shape);
        return Tensor.fromOp("reshape", y, (g, needs) -> new NDArray[] {g.reshape(inShape)}, x);
    }

    /** Dimension i of the result is dimension {@code dims[i]} of x (a view). */
    public static Tensor permute(Tensor x, int... dims) {
        NDArray y = x.data().permute(dims);
        int[] inverse = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            inverse[Shapes.axis("permute", dims[i], dims.length)] = i;
        }
        return Tensor.fromOp("permute", y, (g, needs) -> new NDArray[] {g.permute(inverse)}, x);
    }

    /** Two dimensions swapped (a view); its own inverse. */
    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        NDArray y = x.data().transpose(dim0, dim1);
        return Tensor.fromOp("transpose", y, (g, needs) -> new NDArray[] {g.transpose(dim0, dim1)}, x);
    }

    /** Indices [start, end) along {@code dim} (a view). */
    public static Tensor slice(Tensor x, int dim, int start, int end) {
        int[] inShape = x.shape();
        NDArray y = x.data().slice(dim, start, end);
        return Tensor.fromOp("slice", y, (g, needs) -> {
            NDArray gx = zeros(inShape);
            cpu().copy(g, gx.slice(dim, start, end));
            return new NDArray[] {gx};
        }, x);
    }

    /** Index {@code index} along {@code dim}, which disappears: rank drops by one (a view). */
    public static Tensor select(Tensor x, int dim, int index) {
        int[] inShape = x.shape();
        NDArray y = x.data().select(dim, index);
        return Tensor.fromOp("select", y, (g, needs) -> {
            NDArray gx = zeros(inShape);
            cpu().copy(g, gx.select(dim, index));
            return new NDArray[] {gx};
        }, x);
    }

    /**
     * x repeated along broadcast dimensions (NumPy rules; a stride-0 view). Each input element
     * appears at several output positions, so its gradient is the sum of theirs: sumTo(g, x.shape).
     */
    public static Tensor broadcastTo(Tensor x, int... shape) {
        int[] inShape = x.shape();
        NDArray y = x.data().broadcastTo(shape);
        return Tensor.fromOp("broadcastTo", y, (g, needs) -> new NDArray[] {cpu().sumTo(g, inShape)}, x);
    }

    /** A new dimension of extent 1 at {@code dim} (0..rank; negative counts from the end). */
    public static Tensor unsqueeze(Tensor x, int dim) {
        int d = Shapes.axis("unsqueeze", dim, x.rank() + 1);
        NDArray y = unsqueeze(x.data(), d);
        return Tensor.fromOp("unsqueeze", y, (g, needs) -> new NDArray[] {squeeze(g, d)}, x);
    }

    /** Removes dimension {@code dim}, which must have extent 1. */
    public static Tensor squeeze(Tensor x, int dim) {
        int d = Shapes.axis("squeeze", dim, x.rank());
        if (x.size(d) != 1) {
            throw new IllegalArgumentException("squeeze: dimension " + dim + " of " + Shapes.str(x.shape())
                    + " has extent " + x.size(d) + ", not 1");
        }
        NDArray y = squeeze(x.data(), d);
        return Tensor.fromOp("squeeze", y, (g, needs) -> new NDArray[] {unsqueeze(g, d)}, x);
    }

    // ---- copies

    /** x itself when its data is contiguous, otherwise a contiguous copy (gradient passes unchanged). */
    public static Tensor contiguous(Tensor x) {
        if (x.data().isContiguous()) {
            return x;
        }
        NDArray y = cpu().empty(x.dtype(), x.shape());
        cpu().copy(x.data(), y);
        return Tensor.fromOp("contiguous", y, (g, needs) -> new NDArray[] {g}, x);
    }

    /** Joins tensors along {@code axis}; each input's gradient is its piece of g. */
    public static Tensor concat(List<Tensor> xs, int axis) {
        List<NDArray> data = new ArrayList<>(xs.size());
        for (Tensor t : xs) {
            data.add(t.data());
        }
        NDArray y = cpu().concat(data, axis);
        int a = Shapes.axis("concat", axis, y.rank());
        int[] sizes = new int[xs.size()];
        for (int p = 0; p < sizes.length; p++) {
            sizes[p] = xs.get(p).size(a);
        }
        Tensor[] inputs = xs.toArray(new Tensor[0]);
        return Tensor.fromOp("concat", y, (g, needs) -> {
            List<NDArray> pieces = cpu().split(g, a, sizes);
            NDArray[] grads = new NDArray[sizes.length];
            for (int p = 0; p < grads.length; p++) {
                grads[p] = needs[p] ? pieces.get(p) : null;
            }
            return grads;
        }, inputs);
    }

    /**
     * Cuts x along {@code axis} into contiguous pieces of the given extents (which sum to the
     * axis extent). Each piece is its own node: its rule returns a gradient of x's full shape,
     * zero outside the piece's range, and the graph walk adds those of the pieces that were used.
     */
    public static List<Tensor> split(Tensor x, int axis, int... sizes) {
        List<NDArray> pieces = cpu().split(x.data(), axis, sizes);
        int a = Shapes.axis("split", axis, x.rank());
        int[] inShape = x.shape();
        List<Tensor> out = new ArrayList<>(pieces.size());
        int offset = 0;
        for (int p = 0; p < pieces.size(); p++) {
            int start = offset;
            int end = offset + sizes[p];
            out.add(Tensor.fromOp("split", pieces.get(p), (g, needs) -> {
                NDArray gx = zeros(inShape);
                cpu().copy(g, gx.slice(a, start, end));
                return new NDArray[] {gx};
            }, x));
            offset = end;
        }
        return out;
    }

    // ---- helpers

    private static NDArray zeros(int[] shape) {
        NDArray z = cpu().empty(DType.FLOAT32, shape);
        cpu().fill(z, 0);
        return z;
    }

    /** A view with a new extent-1 dimension at d (its stride is irrelevant; chosen to keep contiguity). */
    private static NDArray unsqueeze(NDArray x, int d) {
        int[] shape = x.shape();
        int[] strides = x.strides();
        int[] newShape = new int[shape.length + 1];
        int[] newStrides = new int[shape.length + 1];
        for (int i = 0, j = 0; i < newShape.length; i++) {
            if (i == d) {
                newShape[i] = 1;
                newStrides[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                newShape[i] = shape[j];
                newStrides[i] = strides[j++];
            }
        }
        return NDArray.view(x.allocation(), x.dtype(), newShape, newStrides, x.offset());
    }

    /** A view without the extent-1 dimension d. */
    private static NDArray squeeze(NDArray x, int d) {
        return x.select(d, 0);
    }
}
