package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.Resize.Mode;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.reference.ResampleRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.FiniteDifferences;
import org.layerensembles.core.testing.Nd4jInterop;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Resizing kernels against their twin ({@link ResampleRef}), ND4J's TF-style resize ops, values
 * pinned from PyTorch's CPU source, and finite differences.
 *
 * <p>Tolerances: nearest moves values, so it must match exactly. Bilinear forward blends 4
 * inputs in [-1, 1) with weights computed in float32 like PyTorch, against the twin's exact
 * double weights. The float32 source coordinate (up to in-1) carries a rounding error of about
 * one ulp of the input extent, which moves each weight by that much, times a neighbour difference
 * of at most 2, on each axis: atol 1e-6 + 4 ulp(max(H, W)) (3e-5 for 70 pixels; PyTorch's own
 * values carry the same error), rtol 1e-5. Backward sums up to n = (OH/H + 1)(OW/W + 1) weighted float32
 * gradients per input pixel (289 for 8 -> 128): atol 1e-6 sqrt(n) plus the same coordinate
 * term, rtol 1e-5 (largest difference seen: 5.7e-6 at 8 -> 128, tolerance 2.1e-5). Backward twin against
 * central finite differences (h = 1e-6, double; resizing is linear): atol 1e-7.
 */
class ResampleTest {
    private static final CpuBackend CPU = new CpuBackend();

    /** Input shape and resize spec pairs: up, down, odd, mixed, 2x, identity axes, out = 1, by size and scale. */
    private static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        int[][] sizes = {{5, 7, 11, 3}, {7, 9, 14, 18}, {7, 9, 7, 20}, {8, 8, 128, 128}, {16, 33, 5, 4},
            {6, 5, 1, 1}, {3, 70, 4, 35}, {1, 2, 3, 82}};
        for (int[] s : sizes) {
            out.add(new Case(new int[] {2, 3, s[0], s[1]}, Resize.toSize(Mode.NEAREST, s[2], s[3], false)));
            out.add(new Case(new int[] {2, 3, s[0], s[1]}, Resize.toSize(Mode.BILINEAR, s[2], s[3], true)));
            out.add(new Case(new int[] {2, 3, s[0], s[1]}, Resize.toSize(Mode.BILINEAR, s[2], s[3], false)));
        }
        double[][] scales = {{2, 2}, {1.5, 0.6}, {1.2, 2.1}, {0.5, 3.3}, {1.0, 1.7}};
        for (double[] sc : scales) {
            for (Mode m : Mode.values()) {
                for (boolean align : m == Mode.NEAREST ? new boolean[] {false} : new boolean[] {false, true}) {
                    out.add(new Case(new int[] {1, 2, 5, 9}, Resize.byScale(m, sc[0], sc[1], align)));
                }
            }
        }
        return out;
    }

    private record Case(int[] shape, Resize spec) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + " " + spec;
        }
    }

    @Test
    void forwardMatchesTwin() {
        int seed = 1;
        for (Case c : cases()) {
            NDArray x = (seed % 2 == 0) ? TestData.nonContiguous(seed, c.shape) : TestData.array(seed, c.shape);
            seed++;
            NDArray y = CPU.resize(x, c.spec);
            assertArrayEquals(c.spec.outputShape("test", c.shape), y.shape(), "shape of " + c);
            double[] ref = ResampleRef.resize(RefArrays.doubles(x), c.shape, c.spec);
            double tol = c.spec.mode() == Mode.NEAREST ? 0
                    : 1e-6 + 4 * Math.ulp((float) Math.max(c.shape[2], c.shape[3]));
            Compare.assertClose("resize " + c, ref, y, tol, tol == 0 ? 0 : 1e-5);
        }
    }

    /**
     * Values worked out by hand from PyTorch's CPU kernels (UpSample.h / UpSampleKernel.cpp), for
     * the conventions where a naive formula would differ.
     */
    @Test
    void pinnedPyTorchCpuValues() {
        NDArray ramp = NDArrays.of(new float[] {0, 1, 2, 3}, 1, 1, 1, 4);
        // F.interpolate(ramp, size=(1, 8), mode='bilinear', align_corners=False)
        assertRow(new float[] {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3},
                CPU.resize(ramp, Resize.toSize(Mode.BILINEAR, 1, 8, false)));
        // align_corners=True, size 7: src = d * 3/6.
        assertRow(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f, 3}, CPU.resize(ramp, Resize.toSize(Mode.BILINEAR, 1, 7, true)));
        // align_corners=True to one pixel takes the first.
        assertRow(new float[] {0}, CPU.resize(ramp, Resize.toSize(Mode.BILINEAR, 1, 1, true)));
        // nearest with scale_factor=2.1 gives 8 pixels = 2 * 4: PyTorch's CPU shortcut d >> 1
        // ([0,0,1,1,2,2,3,3]), not floor(d / 2.1) ([0,0,0,1,1,2,2,3]).
        assertRow(new float[] {0, 0, 1, 1, 2, 2, 3, 3}, CPU.resize(ramp, Resize.byScale(Mode.NEAREST, 1, 2.1, false)));
        // scale_factor=1.2 keeps 4 pixels (floor(4.8)): a copy, not floor(d / 1.2) ([0,0,1,2]).
        assertRow(new float[] {0, 1, 2, 3}, CPU.resize(ramp, Resize.byScale(Mode.NEAREST, 1, 1.2, false)));
        assertRow(new float[] {0, 1, 2, 3}, CPU.resize(ramp, Resize.byScale(Mode.BILINEAR, 1, 1.2, false)));
        // bilinear by scale uses r = 1/scale, not in/out: 4 -> floor(4 * 1.7) = 6 pixels,
        // src = max(0, (d + 0.5) / 1.7 - 0.5).
        float[] expected = new float[6];
        for (int d = 0; d < 6; d++) {
            expected[d] = Math.min(3f, Math.max(0f, (d + 0.5f) * (float) (1 / 1.7) - 0.5f));
        }
        Compare.assertClose("bilinear by scale 1.7", toDoubles(expected),
                CPU.resize(ramp, Resize.byScale(Mode.BILINEAR, 1, 1.7, false)), 1e-6, 0);
        // nearest 2 -> 82 pixels: PyTorch computes floorf(41 * (2f / 82)) = floorf(0.99999994f) = 0
        // in float32, where exact arithmetic gives 1.
        NDArray two = NDArrays.of(new float[] {5, 7}, 1, 1, 1, 2);
        NDArray wide = CPU.resize(two, Resize.toSize(Mode.NEAREST, 1, 82, false));
        assertTrue(wide.getFloat(0, 0, 0, 40) == 5f && wide.getFloat(0, 0, 0, 41) == 5f
                        && wide.getFloat(0, 0, 0, 42) == 7f, "float32 index rule: pixel 41 should come from input 0");
    }

    /**
     * ND4J's resize ops are TF-style: NHWC images, so our NCHW data is permuted to NHWC and the
     * result back. Their flags map onto PyTorch's conventions as follows (checked below):
     * <ul>
     *   <li>bilinear align_corners=True = ND4J resize_bilinear(alignCorners=true, halfPixelCenters=false);</li>
     *   <li>bilinear align_corners=False = ND4J resize_bilinear(alignCorners=false, halfPixelCenters=true)
     *       (TF's half-pixel rule clamps the lower tap at 0 and the upper at in-1, which gives the same
     *       values as PyTorch's clamping of the source coordinate at 0);</li>
     *   <li>nearest = ND4J resize_nearest_neighbor(alignCorners=false, halfPixelCenters=false), the
     *       floor(d * in/out) rule (TF's legacy nearest); ND4J (false, false) bilinear has no PyTorch
     *       counterpart.</li>
     * </ul>
     * ND4J resizes to a size, with ratio in/out; PyTorch's scale-factor ratio 1/scale differs from
     * in/out unless out = in * scale exactly, so scale factors are checked against the twin and the
     * pinned values only, and against ND4J only for scale 2. The ND4J class ResizeBilinear failed to
     * run (its output shape), so the ops are built with DynamicCustomOp and explicit outputs.
     */
    @Test
    void forwardMatchesNd4j() {
        int seed = 100;
        for (Case c : cases()) {
            if (c.spec.byScale() && !(c.spec.scaleH() == 2 && c.spec.scaleW() == 2)) {
                continue;
            }
            NDArray x = TestData.array(seed++, c.shape);
            int[] out = c.spec.outputShape("test", c.shape);
            INDArray nhwc = Nd4jInterop.nd4j(x).permute(0, 2, 3, 1).dup('c');
            INDArray result = Nd4j.create(DataType.FLOAT, out[0], out[2], out[3], out[1]);
            boolean nearest = c.spec.mode() == Mode.NEAREST;
            boolean align = c.spec.alignCorners();
            DynamicCustomOp op = DynamicCustomOp.builder(nearest ? "resize_nearest_neighbor" : "resize_bilinear")
                    .addInputs(nhwc)
                    .addIntegerArguments(out[2], out[3])
                    .addBooleanArguments(align, !nearest && !align)
                    .addOutputs(result)
                    .build();
            Nd4j.exec(op);
            double[] expected = Nd4jInterop.doubles(result.permute(0, 3, 1, 2));
            double tol = nearest ? 0 : 1e-5;
            Compare.assertClose("resize vs ND4J " + c, expected, CPU.resize(x, c.spec), tol, tol);
        }
    }

    @Test
    void backwardTwinMatchesFiniteDifferences() {
        int[] shape = {1, 2, 4, 5};
        Resize[] specs = {
            Resize.toSize(Mode.NEAREST, 7, 3, false),
            Resize.toSize(Mode.BILINEAR, 7, 3, true),
            Resize.toSize(Mode.BILINEAR, 7, 3, false),
            Resize.toSize(Mode.BILINEAR, 3, 11, false),
            Resize.byScale(Mode.BILINEAR, 1.7, 0.5, false),
        };
        for (Resize spec : specs) {
            double[] x = TestData.uniform(7, RefArrays.numel(shape));
            double[] gy = TestData.uniform(8, RefArrays.numel(spec.outputShape("test", shape)));
            double[] analytic = ResampleRef.resizeBackward(gy, shape, spec);
            double[] numeric = FiniteDifferences.gradient(
                    v -> FiniteDifferences.dot(gy, ResampleRef.resize(v, shape, spec)), x, 1e-6);
            Compare.assertClose("resize backward twin vs finite differences " + spec, numeric, analytic, shape, 1e-7, 0);
        }
    }

    @Test
    void backwardMatchesTwin() {
        int seed = 200;
        for (Case c : cases()) {
            int[] out = c.spec.outputShape("test", c.shape);
            NDArray gy = (seed % 2 == 0) ? TestData.nonContiguous(seed, out) : TestData.array(seed, out);
            seed++;
            NDArray gx = CPU.resizeBackward(gy, c.shape, c.spec);
            assertArrayEquals(c.shape, gx.shape());
            double[] ref = ResampleRef.resizeBackward(RefArrays.doubles(gy), c.shape, c.spec);
            double taps = (Math.ceil((double) out[2] / c.shape[2]) + 1) * (Math.ceil((double) out[3] / c.shape[3]) + 1);
            double tol = 1e-6 * Math.sqrt(taps) + 4 * Math.ulp((float) Math.max(c.shape[2], c.shape[3]));
            Compare.assertClose("resizeBackward " + c, ref, gx, tol, 1e-5);
        }
    }

    @Test
    void backwardIsBitIdenticalOnOneAndTwoThreads() {
        int[] shape = {8, 2, 8, 8};
        Resize spec = Resize.toSize(Mode.BILINEAR, 128, 128, true);
        NDArray gy = TestData.array(300, 8, 2, 128, 128);
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            NDArray one = CPU.resizeBackward(gy, shape, spec);
            Parallel.setThreads(2);
            Compare.assertIdentical("resizeBackward 1 vs 2 threads", one, CPU.resizeBackward(gy, shape, spec));
        } finally {
            Parallel.setThreads(threads);
        }
    }

    @Test
    void rejectsBadInput() {
        NDArray x = TestData.array(1, 1, 2, 5, 5);
        Resize up = Resize.toSize(Mode.BILINEAR, 10, 10, false);
        assertMessage(() -> CPU.resize(TestData.array(2, 2, 5, 5), up), "resize", "[2, 5, 5]");
        assertMessage(() -> CPU.resize(NDArrays.zeros(DType.INT32, 1, 1, 5, 5), up), "resize", "float32");
        assertMessage(() -> CPU.resize(x, Resize.byScale(Mode.NEAREST, 0.1, 1, false)), "resize", "empty");
        assertMessage(() -> Resize.toSize(Mode.NEAREST, 4, 4, true), "resize", "alignCorners");
        assertMessage(() -> Resize.toSize(Mode.NEAREST, 0, 4, false), "resize", "0x4");
        assertMessage(() -> Resize.byScale(Mode.BILINEAR, -1, 2, false), "resize", "> 0");
        NDArray gy = TestData.array(3, 1, 2, 10, 9);
        assertMessage(() -> CPU.resizeBackward(gy, x.shape(), up), "resizeBackward", "[1, 2, 10, 9]");
        assertMessage(() -> CPU.resizeBackward(gy, new int[] {2, 5, 5}, up), "resizeBackward", "[2, 5, 5]");
        assertMessage(() -> CPU.resizeBackward(gy, new int[] {1, 2, 0, 5}, up), "resizeBackward", "empty");
    }

    // ---- helpers

    private static void assertMessage(Runnable r, String op, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op + ":"), "message should name " + op + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message should contain '" + fragment + "': " + e.getMessage());
    }

    private static void assertRow(float[] expected, NDArray actual) {
        assertArrayEquals(expected, actual.toFloatArray(), 1e-6f, "row " + Arrays.toString(actual.toFloatArray()));
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
