package org.layerensembles.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layerensembles.core.testing.DoubleArrays.add;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.TestModules.Affine;
import org.layerensembles.autograd.nn.TestModules.ScaleShift;
import org.layerensembles.core.reference.ConcatRef;
import org.layerensembles.core.reference.MatmulRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * Sequential, Residual and ChannelConcat: child naming and order, forward values, and gradients
 * of the input and of every branch's parameters through {@link GradCheck} (forward against a
 * double twin built from {@code MatmulRef}/{@code ConcatRef}, gradients against central finite
 * differences of that twin).
 *
 * <p>Tolerances: atol 1e-5 + rtol 1e-4 (products of at most 4 float32 terms of magnitude
 * <= 1, gradients sums of at most 4 * 6 of them; finite differences, h = 1e-6 in double, add ~1e-9).
 */
class ContainersTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    // ---- Sequential

    @Test
    void sequentialNamesChildrenByPositionUnlessNamed() {
        ScaleShift a = new ScaleShift(1, 1);
        ScaleShift b = new ScaleShift(1, 2);
        ScaleShift c = new ScaleShift(1, 3);
        ScaleShift d = new ScaleShift(1, 4);
        Sequential seq = new Sequential(a, b).add("head", c).add(d);
        assertEquals(List.of("0", "1", "head", "3"), List.copyOf(seq.children().keySet()));
        assertSame(a, seq.get("0"));
        assertSame(c, seq.get("head"));
        assertSame(d, seq.get("3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> seq.add("head", a));
        assertTrue(e.getMessage().contains("'head'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> seq.add("x.y", a));
        assertEquals(4, seq.children().size());
        // a failed add does not consume a position
        assertEquals("4", List.copyOf(seq.add(a).children().keySet()).get(4));
    }

    @Test
    void sequentialRunsChildrenInOrderAndNestsNames() {
        // (2x + 1) * 3 - 4 in this order, (3x - 4) * 2 + 1 in the other
        Tensor x = TestModules.input(1, 2, 3);
        Tensor y = new Sequential(new ScaleShift(2, 1), new ScaleShift(3, -4)).forward(x);
        Tensor z = new Sequential(new ScaleShift(3, -4), new ScaleShift(2, 1)).forward(x);
        float[] xv = x.data().toFloatArray();
        double[] ye = new double[xv.length];
        double[] ze = new double[xv.length];
        for (int i = 0; i < xv.length; i++) {
            ye[i] = (xv[i] * 2.0 + 1) * 3 - 4;
            ze[i] = (xv[i] * 3.0 - 4) * 2 + 1;
        }
        Compare.assertClose("sequential order", ye, y.data(), 1e-6, 1e-6);
        Compare.assertClose("reverse order", ze, z.data(), 1e-6, 1e-6);

        Sequential nested = new Sequential(new Sequential(new Affine(3, 4, 1), new Affine(4, 2, 3)))
                .add("out", new Affine(2, 2, 5));
        assertEquals(List.of("0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "out.weight", "out.bias"),
                List.copyOf(nested.namedParameters().keySet()));
        assertArrayEquals(new int[] {2, 2}, nested.forward(x).shape());
    }

    @Test
    void anEmptySequentialIsTheIdentity() {
        Tensor x = TestModules.input(1, 2, 3);
        assertSame(x, new Sequential().forward(x));
    }

    @Test
    void sequentialGradientsReachEveryLayerAndTheInput() {
        int[] xs = {3, 4};
        int[] w1s = {4, 3};
        int[] w2s = {3, 2};
        GradCheck.of("sequential affine-affine",
                t -> new Sequential(new Affine(t[1], t[2]), new Affine(t[3], t[4])).forward(t[0]),
                v -> affine(affine(v[0], xs, v[1], w1s, v[2]), new int[] {3, 3}, v[3], w2s, v[4]))
                .tolerance(ATOL, RTOL)
                .run(TestData.array(1, xs), TestData.array(2, w1s), TestData.array(3, 3), TestData.array(4, w2s),
                        TestData.array(5, 2));
    }

    // ---- Residual

    @Test
    void residualWithoutShortcutAddsTheInput() {
        int[] xs = {3, 4};
        int[] ws = {4, 4};
        Affine body = new Affine(4, 4, 1);
        Residual r = new Residual(body);
        assertEquals(List.of("body"), List.copyOf(r.children().keySet()));
        assertEquals(List.of("body.weight", "body.bias"), List.copyOf(r.namedParameters().keySet()));
        GradCheck.of("x + body(x)", t -> new Residual(new Affine(t[1], t[2])).forward(t[0]),
                v -> add(v[0], affine(v[0], xs, v[1], ws, v[2])))
                .tolerance(ATOL, RTOL)
                .run(TestData.array(11, xs), TestData.array(12, ws), TestData.array(13, 4));
    }

    @Test
    void residualWithShortcutAddsTheShortcutOfTheInput() {
        int[] xs = {3, 4};
        int[] ws = {4, 2};
        Residual r = new Residual(new Affine(4, 2, 1), new Affine(4, 2, 3));
        assertEquals(List.of("body", "shortcut"), List.copyOf(r.children().keySet()));
        assertEquals(List.of("body.weight", "body.bias", "shortcut.weight", "shortcut.bias"),
                List.copyOf(r.namedParameters().keySet()));
        GradCheck.of("shortcut(x) + body(x)",
                t -> new Residual(new Affine(t[1], t[2]), new Affine(t[3], t[4])).forward(t[0]),
                v -> add(affine(v[0], xs, v[3], ws, v[4]), affine(v[0], xs, v[1], ws, v[2])))
                .tolerance(ATOL, RTOL)
                .run(TestData.array(21, xs), TestData.array(22, ws), TestData.array(23, 2), TestData.array(24, ws),
                        TestData.array(25, 2));
    }

    @Test
    void residualWithoutShortcutNeedsMatchingShapes() {
        Residual r = new Residual(new Affine(4, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> r.forward(TestModules.input(1, 3, 4)));
    }

    // ---- ChannelConcat

    @Test
    void channelConcatJoinsBranchOutputsAlongAxisOne() {
        Tensor x = TestModules.input(1, 2, 3, 2, 2);
        ChannelConcat cat = new ChannelConcat(new ScaleShift(2, 0), new ScaleShift(1, 1), new ScaleShift(-1, 0));
        assertEquals(List.of("0", "1", "2"), List.copyOf(cat.children().keySet()));
        Tensor y = cat.forward(x);
        assertArrayEquals(new int[] {2, 9, 2, 2}, y.shape());
        float[] xv = x.data().toFloatArray();
        double[] expected = new double[2 * 9 * 4];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < 4; p++) {
                    double v = xv[(n * 3 + c) * 4 + p];
                    expected[(n * 9 + c) * 4 + p] = 2 * v;
                    expected[(n * 9 + 3 + c) * 4 + p] = (float) (v + 1); // float32 rounding, as the kernel
                    expected[(n * 9 + 6 + c) * 4 + p] = -v;
                }
            }
        }
        Compare.assertClose("concat of branches", expected, y.data(), 0, 0);

        Tensor z = new ChannelConcat(new Affine(3, 2, 1), new Affine(3, 5, 3)).forward(TestModules.input(4, 4, 3));
        assertArrayEquals(new int[] {4, 7}, z.shape());
    }

    @Test
    void channelConcatGradientsReachEveryBranchAndAddUpAtTheSharedInput() {
        int[] xs = {3, 4};
        int[] w1s = {4, 2};
        int[] w2s = {4, 3};
        GradCheck.of("concat(branch1(x), branch2(x))",
                t -> new ChannelConcat(new Affine(t[1], t[2]), new Affine(t[3], t[4])).forward(t[0]),
                v -> ConcatRef.concat(List.of(affine(v[0], xs, v[1], w1s, v[2]), affine(v[0], xs, v[3], w2s, v[4])),
                        List.of(new int[] {3, 2}, new int[] {3, 3}), 1))
                .tolerance(ATOL, RTOL)
                .run(TestData.array(31, xs), TestData.array(32, w1s), TestData.array(33, 2), TestData.array(34, w2s),
                        TestData.array(35, 3));
    }

    @Test
    void channelConcatNeedsABranch() {
        assertThrows(IllegalArgumentException.class, ChannelConcat::new);
    }

    // ---- twins

    /** x · w + b in double, x [N, K], w [K, M], b [M]. */
    private static double[] affine(double[] x, int[] xs, double[] w, int[] ws, double[] b) {
        double[] y = MatmulRef.matmul(x, xs, w, ws, false, false);
        int m = ws[1];
        for (int i = 0; i < y.length; i++) {
            y[i] += b[i % m];
        }
        return y;
    }
}
