package org.layerensembles.autograd;

import java.util.Arrays;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * What users and {@code nn} see: an {@link NDArray} plus {@code requiresGrad}, {@code grad} and
 * the node of the op that made it. Ops live in the op-family classes of
 * {@code org.layerensembles.autograd.ops}; each records, beside its forward kernel call, the rule
 * that sends gradients back.
 *
 * <p>Gradients are kept only for leaves that require them (parameters); their {@code grad}
 * array lives in the same memory scope as the data, so it survives the step's scope.
 */
public final class Tensor {
    private NDArray data;
    private final Node node;
    private boolean requiresGrad;
    private NDArray grad;

    private Tensor(NDArray data, Node node, boolean requiresGrad) {
        this.data = data;
        this.node = node;
        this.requiresGrad = requiresGrad;
    }

    /** A leaf that needs no gradient (inputs, labels). */
    public static Tensor constant(NDArray data) {
        return new Tensor(data, null, false);
    }

    /** A leaf whose gradient is wanted (a parameter). Must be float32. */
    public static Tensor parameter(NDArray data) {
        requireFloat(data);
        return new Tensor(data, null, true);
    }

    /**
     * The output of an op. It records a node (so gradients flow back) only when gradient mode is
     * on and some input requires a gradient; otherwise it is a plain constant and {@code rule}
     * is dropped with everything it captured.
     */
    public static Tensor fromOp(String op, NDArray output, BackwardRule rule, Tensor... inputs) {
        if (!GradMode.isEnabled() || output.dtype() != DType.FLOAT32) {
            return constant(output);
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad) {
                return new Tensor(output, new Node(op, inputs.clone(), rule), true);
            }
        }
        return constant(output);
    }

    private static void requireFloat(NDArray data) {
        if (data.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("only float32 tensors can require gradients, got " + data.dtype());
        }
    }

    public NDArray data() {
        return data;
    }

    /**
     * Makes this leaf hold {@code newData} (same shape and dtype), e.g. a copy on another device;
     * the gradient accumulated so far is dropped. For {@code Module.to}.
     */
    public void replaceData(NDArray newData) {
        if (node != null) {
            throw new IllegalStateException("replaceData: only a leaf's data can be replaced, this is the output of '"
                    + node.op + "'");
        }
        if (newData.dtype() != data.dtype() || !Arrays.equals(newData.shape(), data.shape())) {
            throw new IllegalArgumentException("replaceData: " + data.dtype() + Shapes.str(data.shape())
                    + " cannot become " + newData.dtype() + Shapes.str(newData.shape()));
        }
        data = newData;
        grad = null;
    }

    /** dL/d(this) accumulated by backward passes; null until the first one reaches this leaf. */
    public NDArray grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Turns gradient tracking of a leaf on or off. Returns this. */
    public Tensor requiresGrad(boolean value) {
        if (node != null) {
            throw new IllegalStateException("requiresGrad can only be set on a leaf; use detach() on op results");
        }
        if (value) {
            requireFloat(data);
        }
        requiresGrad = value;
        return this;
    }

    /** Whether this tensor was made by the user rather than by a recorded op. */
    public boolean isLeaf() {
        return node == null;
    }

    /** The name of the op that made this tensor, or null for a leaf. */
    public String op() {
        return node == null ? null : node.op;
    }

    Node node() {
        return node;
    }

    /** The same data, cut from the graph: no gradient flows through it. */
    public Tensor detach() {
        return constant(data);
    }

    public int[] shape() {
        return data.shape();
    }

    public int size(int dim) {
        return data.size(dim);
    }

    public int rank() {
        return data.rank();
    }

    public long numel() {
        return data.numel();
    }

    public DType dtype() {
        return data.dtype();
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (data.numel() != 1) {
            throw new IllegalStateException("item() needs a one-element tensor, this one has shape "
                    + Shapes.str(data.shape()));
        }
        return data.reshape().getFloat();
    }

    /** Sets the accumulated gradient to zero (keeping its memory for the next step). */
    public void zeroGrad() {
        if (grad != null) {
            Autograd.backend().fill(grad, 0);
        }
    }

    void accumulateGrad(NDArray g) {
        grad = Backprop.accumulateInto(grad, g, data);
    }

    /** Backward pass from a one-element tensor (a loss): dL/dL = 1. Frees the graph. */
    public void backward() {
        Backprop.run(this, null, false);
    }

    /** Backward pass with an explicit upstream gradient of this tensor's shape. Frees the graph. */
    public void backward(NDArray gradOutput) {
        Backprop.run(this, gradOutput, false);
    }

    /**
     * Backward pass that keeps the graph when {@code retainGraph}, so it can run again.
     * {@code gradOutput} may be null for a one-element tensor (then dL/dL = 1).
     */
    public void backward(NDArray gradOutput, boolean retainGraph) {
        Backprop.run(this, gradOutput, retainGraph);
    }

    @Override
    public String toString() {
        return "Tensor(" + data.dtype() + ", " + Arrays.toString(data.shape())
                + (node != null ? ", op=" + node.op : requiresGrad ? ", requiresGrad" : "") + ")";
    }
}
