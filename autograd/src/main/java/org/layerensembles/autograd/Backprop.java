package org.layerensembles.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.memory.MemoryScope;

/**
 * The reverse-mode graph walk. One topological order of the tensors reachable from the root
 * (inputs before outputs), walked backwards: each tensor's gradient is complete once every
 * consumer has contributed, then its node's rule sends it on. A tensor used twice receives both
 * contributions (they are added). Leaves that require gradients accumulate into {@code grad}.
 *
 * <p>No temporaries for sums: a leaf's gradient is accumulated in place
 * ({@link Backend#binaryInto}), and so is every further contribution to a sum this walk has
 * already allocated. A rule may return the same array for several inputs (an add's backward
 * passes its upstream gradient on unchanged), so an array is only written in place while the
 * walk owns it alone: from its allocation here until it is handed to a rule.
 */
final class Backprop {
    private Backprop() {
    }

    static void run(Tensor root, NDArray gradOutput, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: the tensor does not require a gradient "
                    + "(no input of its graph requires one, or it was computed under GradMode.noGrad())");
        }
        if (!root.data().isAlive()) {
            MemoryScope owner = root.data().allocation().owner();
            throw new IllegalStateException("backward: the tensor's memory"
                    + (owner == null ? "" : " (scope '" + owner.name() + "')")
                    + " was freed when its scope closed, and with it the arrays its graph saved; "
                    + "call backward inside the scope that ran the forward pass");
        }
        NDArray seed = gradOutput;
        if (seed == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException("backward: an implicit gradient needs a one-element tensor, got shape "
                        + Shapes.str(root.shape()) + "; pass the upstream gradient explicitly");
            }
            seed = BackendArrays.placedLike(NDArrays.full(1f, root.shape()), root.data());
        } else if (!Arrays.equals(seed.shape(), root.shape()) || seed.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("backward: upstream gradient " + seed.dtype() + " " + Shapes.str(seed.shape())
                    + " does not match the tensor's float32 " + Shapes.str(root.shape()));
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, NDArray> grads = new IdentityHashMap<>();
        Set<NDArray> ownSums = Collections.newSetFromMap(new IdentityHashMap<>());
        grads.put(root, seed);
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            NDArray g = grads.remove(t);
            if (g == null) {
                continue;
            }
            ownSums.remove(g);
            Node node = t.node();
            if (node == null) {
                t.accumulateGrad(g);
                continue;
            }
            boolean[] needs = new boolean[node.inputs.length];
            for (int k = 0; k < needs.length; k++) {
                needs[k] = node.inputs[k] != null && node.inputs[k].requiresGrad();
            }
            NDArray[] inputGrads = node.rule().apply(g, needs);
            if (!retainGraph) {
                node.free();
            }
            for (int k = 0; k < needs.length; k++) {
                if (!needs[k]) {
                    continue;
                }
                Tensor input = node.inputs[k];
                NDArray gk = inputGrads[k];
                if (gk == null || !Arrays.equals(gk.shape(), input.shape())) {
                    throw new IllegalStateException("backward of '" + node.op + "' gave input " + k + " a gradient of shape "
                            + (gk == null ? "null" : Shapes.str(gk.shape())) + " for an input of shape "
                            + Shapes.str(input.shape()));
                }
                NDArray before = grads.get(input);
                if (before == null) {
                    grads.put(input, gk);
                } else if (ownSums.contains(before)) {
                    backend().binaryInto(BinaryOp.ADD, before, gk, before);
                } else {
                    NDArray sum = backend().binary(BinaryOp.ADD, before, gk);
                    ownSums.add(sum);
                    grads.put(input, sum);
                }
            }
        }
    }

    /** Tensors requiring gradients reachable from the root, each after all of its inputs. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        // Iterative depth-first search (deep networks would overflow a recursive one).
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.node() == null ? new Tensor[0] : t.node().inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad() && seen.put(in, Boolean.TRUE) == null) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    /** Adds g into a leaf's gradient in place, allocating it beside the leaf's data on first use. */
    static NDArray accumulateInto(NDArray grad, NDArray g, NDArray data) {
        if (grad == null || !grad.isAlive()) {
            grad = BackendArrays.zerosBeside(data);
            backend().copy(g, grad);
            return grad;
        }
        backend().binaryInto(BinaryOp.ADD, grad, g, grad);
        return grad;
    }

    private static Backend backend() {
        return Autograd.backend();
    }
}
