package org.layerensembles.autograd.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.reference.ConcatRef;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * Shape ops against double twins written here. Every movement is an index map (the input
 * position each output position reads), so one twin gives both halves: forward y[i] = x[src(i)]
 * and the analytic backward gx[src(i)] += w[i] (scatter-add). Concat and split use
 * {@link ConcatRef}.
 *
 * <p>Tolerances: movements copy float32 numbers, so forward values and gradients that are copies
 * of the upstream weights are compared exactly (atol 0, rtol 0). Where positions repeat (a
 * broadcast, a tensor used twice) the gradient is a float32 sum of a few weights in [-1, 1):
 * atol 1e-6. GradCheck (finite differences of the twin, h = 1e-6 in double) keeps its defaults,
 * atol 1e-5 + rtol 1e-4; the twins are linear, so its differences are exact to about 1e-10, and
 * elementwise ops mixed in (mul, tanh) add float32 rounding well inside that.
 */
class ShapeOpsTest {

    // ---- the twin: movements as index maps

    /** Which input position an output position reads. */
    @FunctionalInterface
    interface IndexMap {
        int[] source(int[] outIndex);
    }

    /** A movement from inShape to outShape: forward gathers, the analytic backward scatters. */
    record Movement(int[] inShape, int[] outShape, IndexMap map) {
        double[] forward(double[] x) {
            double[] y = new double[RefArrays.numel(outShape)];
            for (int i = 0; i < y.length; i++) {
                y[i] = x[RefArrays.flat(inShape, map.source(RefArrays.unflat(outShape, i)))];
            }
            return y;
        }

        double[] adjoint(double[] w) {
            double[] g = new double[RefArrays.numel(inShape)];
            for (int i = 0; i < w.length; i++) {
                g[RefArrays.flat(inShape, map.source(RefArrays.unflat(outShape, i)))] += w[i];
            }
            return g;
        }

        /** This movement, then {@code next}. */
        Movement then(Movement next) {
            return new Movement(inShape, next.outShape, o -> map.source(next.map.source(o)));
        }
    }

    static Movement reshapeTwin(int[] in, int... out) {
        return new Movement(in, out, o -> RefArrays.unflat(in, RefArrays.flat(out, o)));
    }

    static Movement permuteTwin(int[] in, int... dims) {
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = in[dims[i]];
        }
        return new Movement(in, out, o -> {
            int[] s = new int[o.length];
            for (int i = 0; i < o.length; i++) {
                s[dims[i]] = o[i];
            }
            return s;
        });
    }

    static Movement transposeTwin(int[] in, int a, int b) {
        int[] dims = new int[in.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = i;
        }
        dims[a] = b;
        dims[b] = a;
        return permuteTwin(in, dims);
    }

    static Movement sliceTwin(int[] in, int dim, int start, int end) {
        int[] out = in.clone();
        out[dim] = end - start;
        return new Movement(in, out, o -> {
            int[] s = o.clone();
            s[dim] += start;
            return s;
        });
    }

    static Movement selectTwin(int[] in, int dim, int index) {
        int[] out = new int[in.length - 1];
        for (int i = 0, j = 0; i < in.length; i++) {
            if (i != dim) {
                out[j++] = in[i];
            }
        }
        return new Movement(in, out, o -> {
            int[] s = new int[in.length];
            for (int i = 0, j = 0; i < in.length; i++) {
                s[i] = i == dim ? index : o[j++];
            }
            return s;
        });
    }

    static Movement broadcastTwin(int[] in, int... out) {
        int lead = out.length - in.length;
        return new Movement(in, out, o -> {
            int[] s = new int[in.length];
            for (int i = 0; i < in.length; i++) {
                s[i] = in[i] == 1 ? 0 : o[lead + i];
            }
            return s;
        });
    }

    // ---- the checks

    /**
     * GradCheck of {@code op} against the twin's forward and finite differences, then the forward
     * compared exactly and the backward against the twin's scatter-add adjoint.
     */
    static void check(String what, NDArray x, Function<Tensor, Tensor> op, Movement twin, double gradAtol) {
        GradCheck.of(what, t -> op.apply(t[0]), v -> twin.forward(v[0])).run(x);

        Tensor p = Tensor.parameter(x);
        Tensor y = op.apply(p);
        assertArrayEquals(twin.outShape(), y.shape(), what + ": output shape");
        Compare.assertClose(what + " forward (exact)", twin.forward(RefArrays.doubles(x)), y.data(), 0, 0);
        double[] w = TestData.uniform(what.hashCode(), RefArrays.numel(twin.outShape()));
        y.backward(NDArrays.of(w, y.shape()));
        Compare.assertClose(what + " backward vs scatter-add", twin.adjoint(w), p.grad(), gradAtol, 0);
    }

    static void checkExact(String what, NDArray x, Function<Tensor, Tensor> op, Movement twin) {
        check(what, x, op, twin, 0);
    }

    // ---- views

    @Test
    void reshape() {
        int[] s = {2, 3, 4};
        checkExact("reshape [2,3,4] -> [4,-1]", TestData.array(1, s), x -> ShapeOps.reshape(x, 4, -1),
                reshapeTwin(s, 4, 6));
        checkExact("reshape non-contiguous (copies)", TestData.nonContiguous(2, s), x -> ShapeOps.reshape(x, 6, 4),
                reshapeTwin(s, 6, 4));
        checkExact("reshape to rank 0", TestData.array(3, 1, 1), x -> ShapeOps.reshape(x), reshapeTwin(new int[] {1, 1}));
        Tensor c = Tensor.parameter(TestData.array(4, s));
        assertSame(c.data().allocation(), ShapeOps.reshape(c, 24).data().allocation(), "contiguous reshape is a view");
    }

    @Test
    void permute() {
        int[] s = {2, 3, 4};
        checkExact("permute (2,0,1)", TestData.array(5, s), x -> ShapeOps.permute(x, 2, 0, 1), permuteTwin(s, 2, 0, 1));
        checkExact("permute (1,2,0) non-contiguous", TestData.nonContiguous(6, s), x -> ShapeOps.permute(x, 1, 2, 0),
                permuteTwin(s, 1, 2, 0));
        checkExact("permute negative dims", TestData.array(7, s), x -> ShapeOps.permute(x, -1, 0, -2),
                permuteTwin(s, 2, 0, 1));
        int[] s4 = {2, 1, 3, 2};
        checkExact("permute rank 4", TestData.array(8, s4), x -> ShapeOps.permute(x, 3, 1, 0, 2),
                permuteTwin(s4, 3, 1, 0, 2));
    }

    @Test
    void transpose() {
        int[] s = {3, 4, 5};
        checkExact("transpose (0,2)", TestData.array(9, s), x -> ShapeOps.transpose(x, 0, 2), transposeTwin(s, 0, 2));
        checkExact("transpose (-1,-2) non-contiguous", TestData.nonContiguous(10, s), x -> ShapeOps.transpose(x, -1, -2),
                transposeTwin(s, 2, 1));
    }

    @Test
    void slice() {
        int[] s = {4, 5};
        checkExact("slice dim 1 [1,4)", TestData.array(11, s), x -> ShapeOps.slice(x, 1, 1, 4), sliceTwin(s, 1, 1, 4));
        checkExact("slice dim -2 [2,4) non-contiguous", TestData.nonContiguous(12, s), x -> ShapeOps.slice(x, -2, 2, 4),
                sliceTwin(s, 0, 2, 4));
        int[] s3 = {2, 6, 3};
        checkExact("slice whole", TestData.array(13, s3), x -> ShapeOps.slice(x, 1, 0, 6), sliceTwin(s3, 1, 0, 6));
    }

    @Test
    void select() {
        int[] s = {3, 4, 5};
        checkExact("select dim 1 index 2", TestData.array(14, s), x -> ShapeOps.select(x, 1, 2), selectTwin(s, 1, 2));
        checkExact("select dim -1 index 4 non-contiguous", TestData.nonContiguous(15, s), x -> ShapeOps.select(x, -1, 4),
                selectTwin(s, 2, 4));
        int[] s1 = {5};
        checkExact("select to rank 0", TestData.nonContiguous(16, s1), x -> ShapeOps.select(x, 0, 3), selectTwin(s1, 0, 3));
    }

    @Test
    void broadcastTo() {
        // Each input element's gradient sums the weights of the positions it was repeated to.
        int[] s = {3, 1};
        check("broadcastTo [3,1] -> [2,3,4]", TestData.array(17, s), x -> ShapeOps.broadcastTo(x, 2, 3, 4),
                broadcastTwin(s, 2, 3, 4), 1e-6);
        int[] t = {4, 3};
        check("broadcastTo non-contiguous [4,3] -> [2,4,3]", TestData.nonContiguous(18, t),
                x -> ShapeOps.broadcastTo(x, 2, 4, 3), broadcastTwin(t, 2, 4, 3), 1e-6);
        check("broadcastTo [] -> [2,3]", NDArrays.scalar(0.25f), x -> ShapeOps.broadcastTo(x, 2, 3),
                broadcastTwin(new int[0], 2, 3), 1e-6);
        checkExact("broadcastTo same shape", TestData.array(19, t), x -> ShapeOps.broadcastTo(x, 4, 3),
                broadcastTwin(t, 4, 3));
    }

    @Test
    void unsqueezeAndSqueeze() {
        int[] s = {3, 4};
        checkExact("unsqueeze 0", TestData.array(20, s), x -> ShapeOps.unsqueeze(x, 0), reshapeTwin(s, 1, 3, 4));
        checkExact("unsqueeze 1 non-contiguous", TestData.nonContiguous(21, s), x -> ShapeOps.unsqueeze(x, 1),
                reshapeTwin(s, 3, 1, 4));
        checkExact("unsqueeze -1 (at the end)", TestData.nonContiguous(22, s), x -> ShapeOps.unsqueeze(x, -1),
                reshapeTwin(s, 3, 4, 1));
        checkExact("unsqueeze rank 0", NDArrays.scalar(0.5f), x -> ShapeOps.unsqueeze(x, 0), reshapeTwin(new int[0], 1));
        int[] t = {3, 1, 4};
        checkExact("squeeze 1", TestData.array(23, t), x -> ShapeOps.squeeze(x, 1), reshapeTwin(t, 3, 4));
        checkExact("squeeze(unsqueeze) of a non-contiguous view", TestData.nonContiguous(24, s),
                x -> ShapeOps.squeeze(ShapeOps.unsqueeze(x, 2), -1), reshapeTwin(s, 3, 4));
        // Views, also of non-contiguous data.
        NDArray nc = TestData.nonContiguous(25, s);
        assertSame(nc.allocation(), ShapeOps.unsqueeze(Tensor.constant(nc), 1).data().allocation());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShapeOps.squeeze(Tensor.constant(TestData.array(26, t)), 0));
        assertTrue(e.getMessage().contains("squeeze") && e.getMessage().contains("not 1"), e.getMessage());
    }

    // ---- copies

    @Test
    void contiguous() {
        int[] s = {3, 4};
        NDArray nc = TestData.nonContiguous(27, s);
        checkExact("contiguous of a transposed view", nc, ShapeOps::contiguous, reshapeTwin(s, 3, 4));
        Tensor y = ShapeOps.contiguous(Tensor.parameter(nc));
        assertTrue(y.data().isContiguous());
        Tensor c = Tensor.parameter(TestData.array(28, s));
        assertSame(c, ShapeOps.contiguous(c), "an already contiguous tensor is returned as it is");
    }

    @Test
    void concat() {
        int[][] shapes = {{2, 3, 4}, {2, 1, 4}, {2, 2, 4}};
        NDArray[] xs = {TestData.array(30, shapes[0]), TestData.nonContiguous(31, shapes[1]),
            TestData.nonContiguous(32, shapes[2])};
        Function<double[][], double[]> twin = v -> ConcatRef.concat(List.of(v), List.of(shapes), 1);
        GradCheck.of("concat axis 1", t -> ShapeOps.concat(List.of(t), 1), twin).run(xs);
        GradCheck.of("concat axis -2, middle input constant", t -> ShapeOps.concat(List.of(t), -2), twin)
                .run(xs, new boolean[] {true, false, true});

        // Analytic: each input's gradient is its piece of the upstream gradient (exact copies).
        Tensor[] ps = {Tensor.parameter(xs[0]), Tensor.constant(xs[1]), Tensor.parameter(xs[2])};
        Tensor y = ShapeOps.concat(List.of(ps), 1);
        assertArrayEquals(new int[] {2, 6, 4}, y.shape());
        double[] w = TestData.uniform(33, 48);
        y.backward(NDArrays.of(w, y.shape()));
        List<double[]> pieces = ConcatRef.split(w, new int[] {2, 6, 4}, 1, 3, 1, 2);
        Compare.assertClose("concat d/dx0", pieces.get(0), ps[0].grad(), 0, 0);
        assertNull(ps[1].grad(), "a constant input gets no gradient");
        Compare.assertClose("concat d/dx2", pieces.get(2), ps[2].grad(), 0, 0);

        // Axis 0, rank 1, and one tensor concatenated with itself (its two gradients add).
        GradCheck.of("concat x with itself", t -> ShapeOps.concat(List.of(t[0], t[0]), 0), v -> {
            double[] out = new double[2 * v[0].length];
            System.arraycopy(v[0], 0, out, 0, v[0].length);
            System.arraycopy(v[0], 0, out, v[0].length, v[0].length);
            return out;
        }).run(TestData.nonContiguous(34, 5));
    }

    @Test
    void splitPiecesUsedSeparately() {
        int[] s = {2, 6, 3};
        int[] sizes = {2, 1, 3};
        // Pieces reordered, one unused (its range gets zero gradient), one used twice.
        Function<double[][], double[]> twin = v -> {
            List<double[]> p = ConcatRef.split(v[0], s, 1, sizes);
            return ConcatRef.concat(List.of(p.get(2), p.get(0), p.get(0)), List.of(new int[] {2, 3, 3},
                    new int[] {2, 2, 3}, new int[] {2, 2, 3}), 1);
        };
        Function<Tensor[], Tensor> op = t -> {
            List<Tensor> p = ShapeOps.split(t[0], 1, sizes);
            return ShapeOps.concat(List.of(p.get(2), p.get(0), p.get(0)), 1);
        };
        GradCheck.of("split, pieces reordered", op, twin).run(TestData.array(40, s));
        GradCheck.of("split of a non-contiguous input", op, twin).run(TestData.nonContiguous(41, s));

        // Pieces combined by elementwise ops: y = p0 * p2 + tanh(p1), with p0, p2 of shape [2, 2].
        int[] t = {2, 5};
        GradCheck.of("split pieces in elementwise ops", x -> {
            List<Tensor> p = ShapeOps.split(x[0], -1, 2, 1, 2);
            return ElementwiseOps.add(ElementwiseOps.mul(p.get(0), p.get(2)), ElementwiseOps.tanh(p.get(1)));
        }, v -> {
            double[] x = v[0];
            double[] y = new double[4];
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 2; c++) {
                    y[r * 2 + c] = x[r * 5 + c] * x[r * 5 + 3 + c] + Math.tanh(x[r * 5 + 2]);
                }
            }
            return y;
        }).run(TestData.nonContiguous(42, t));

        // Analytic: through separate backward passes of two pieces the gradients add up in the
        // leaf; a piece's gradient lands in its own range only.
        Tensor x = Tensor.parameter(TestData.array(43, s));
        List<Tensor> p = ShapeOps.split(x, 1, sizes);
        assertTrue(p.get(0).data().isContiguous() && p.get(2).data().isContiguous(), "pieces are contiguous copies");
        double[] w0 = TestData.uniform(44, 12);
        double[] w2 = TestData.uniform(45, 18);
        p.get(0).backward(NDArrays.of(w0, 2, 2, 3));
        p.get(2).backward(NDArrays.of(w2, 2, 3, 3));
        double[] expected = ConcatRef.concat(List.of(w0, new double[6], w2),
                List.of(new int[] {2, 2, 3}, new int[] {2, 1, 3}, new int[] {2, 3, 3}), 1);
        Compare.assertClose("split pieces' gradients in x", expected, x.grad(), 0, 0);
    }

    // ---- compositions

    @Test
    void viewsOfViews() {
        int[] s = {2, 3, 4};
        Movement twin = permuteTwin(s, 2, 0, 1)              // [4, 2, 3]
                .then(sliceTwin(new int[] {4, 2, 3}, 0, 1, 4))   // [3, 2, 3]
                .then(selectTwin(new int[] {3, 2, 3}, 1, 1))     // [3, 3]
                .then(transposeTwin(new int[] {3, 3}, 0, 1))     // [3, 3]
                .then(reshapeTwin(new int[] {3, 3}, 9))          // [9] (copies: the view is not contiguous)
                .then(reshapeTwin(new int[] {9}, 1, 9))
                .then(broadcastTwin(new int[] {1, 9}, 2, 9));
        Function<Tensor, Tensor> op = x -> ShapeOps.broadcastTo(ShapeOps.unsqueeze(ShapeOps.reshape(ShapeOps.transpose(
                ShapeOps.select(ShapeOps.slice(ShapeOps.permute(x, 2, 0, 1), 0, 1, 4), 1, 1), 0, 1), 9), 0), 2, 9);
        check("chain of views", TestData.array(50, s), op, twin, 1e-6);
        check("chain of views of a non-contiguous input", TestData.nonContiguous(51, s), op, twin, 1e-6);
    }

    @Test
    void overlappingViewsUsedTwice() {
        // y = x[:, 0:3] * x[:, 1:4] + x[:, 1:4]: x's middle columns get gradients from three uses.
        int[] s = {2, 4};
        GradCheck.of("overlapping slices", t -> {
            Tensor a = ShapeOps.slice(t[0], 1, 0, 3);
            Tensor b = ShapeOps.slice(t[0], 1, 1, 4);
            return ElementwiseOps.add(ElementwiseOps.mul(a, b), b);
        }, v -> {
            double[] y = new double[6];
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 3; c++) {
                    y[r * 3 + c] = v[0][r * 4 + c] * v[0][r * 4 + c + 1] + v[0][r * 4 + c + 1];
                }
            }
            return y;
        }).run(TestData.nonContiguous(52, s));

        // A view and its source both feeding the output: y = x + transpose(x) (square x).
        GradCheck.of("x + x^T", t -> ElementwiseOps.add(t[0], ShapeOps.transpose(t[0], 0, 1)), v -> {
            double[] y = new double[9];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    y[r * 3 + c] = v[0][r * 3 + c] + v[0][c * 3 + r];
                }
            }
            return y;
        }).run(TestData.array(53, 3, 3));
    }

    @Test
    void int32TensorsMoveWithoutGraph() {
        Tensor labels = Tensor.constant(NDArrays.of(new int[] {0, 1, 2, 3, 4, 5}, 2, 3));
        Tensor t = ShapeOps.transpose(labels, 0, 1);
        assertTrue(t.isLeaf() && !t.requiresGrad() && t.dtype() == DType.INT32);
        assertArrayEquals(new int[] {0, 3, 1, 4, 2, 5}, ShapeOps.reshape(t, 6).data().toIntArray());
        List<Tensor> parts = ShapeOps.split(labels, 1, 1, 2);
        assertArrayEquals(new int[] {1, 2, 4, 5}, parts.get(1).data().toIntArray());
        assertFalse(parts.get(1).requiresGrad());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5},
                ShapeOps.concat(List.of(labels, labels), 0).data().toIntArray());
    }

    @Test
    void badArgumentsAreRejectedByTheArrays() {
        Tensor x = Tensor.parameter(TestData.array(60, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.reshape(x, 4, 2));
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.permute(x, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.slice(x, 1, 2, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> ShapeOps.select(x, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.broadcastTo(x, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.unsqueeze(x, 3));
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.split(x, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> ShapeOps.concat(List.of(x, Tensor.constant(TestData.array(61, 2, 2))), 0));
        List<Tensor> none = new ArrayList<>();
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.concat(none, 0));
    }
}
