package org.layerensembles.autograd.ops;

import static org.layerensembles.core.testing.DoubleArrays.add;
import static org.layerensembles.core.testing.DoubleArrays.tanh;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.GradCheck;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Resize;
import org.layerensembles.core.backend.Resize.Mode;
import org.layerensembles.core.reference.RefArrays;
import org.layerensembles.core.reference.ResampleRef;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * resize against {@link ResampleRef}: forward and finite-difference gradients through
 * {@link GradCheck}, and the backward against ResampleRef.resizeBackward, for nearest and
 * bilinear (alignCorners true and false), by output size and by scale factor, up and down.
 * Resizing is linear in x, so finite differences are exact up to rounding.
 *
 * <p>Tolerances: |diff| <= 1e-5 + 1e-4 * |expected| (GradCheck's default); a bilinear output
 * mixes four float32 values, and a backward sums a few dozen, so errors stay near 1e-6.
 */
class ResampleOpsTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    private static final List<Resize> SPECS = List.of(
            Resize.toSize(Mode.NEAREST, 7, 9, false),           // up, uneven ratios
            Resize.toSize(Mode.NEAREST, 3, 2, false),           // down
            Resize.byScale(Mode.NEAREST, 2, 2, false),          // out == 2 * in shortcut
            Resize.byScale(Mode.NEAREST, 1.5, 0.75, false),
            Resize.toSize(Mode.BILINEAR, 7, 9, true),
            Resize.toSize(Mode.BILINEAR, 7, 9, false),
            Resize.toSize(Mode.BILINEAR, 3, 2, true),
            Resize.toSize(Mode.BILINEAR, 3, 2, false),
            Resize.byScale(Mode.BILINEAR, 2, 2, false),
            Resize.byScale(Mode.BILINEAR, 2, 2, true),
            Resize.byScale(Mode.BILINEAR, 1.7, 0.6, false),
            Resize.toSize(Mode.BILINEAR, 1, 5, true));          // out = 1 with alignCorners

    @Test
    void everySpec() {
        int[] xs = {2, 2, 4, 5};
        for (Resize spec : SPECS) {
            GradCheck.of("resize " + spec, t -> ResampleOps.resize(t[0], spec), v -> ResampleRef.resize(v[0], xs, spec))
                    .run(TestData.array(1, xs));
        }
    }

    @Test
    void everySpecOnView() {
        int[] xs = {1, 2, 5, 3};
        for (Resize spec : SPECS) {
            GradCheck.of("resize view " + spec, t -> ResampleOps.resize(t[0], spec), v -> ResampleRef.resize(v[0], xs, spec))
                    .run(TestData.nonContiguous(2, xs));
        }
    }

    @Test
    void backwardMatchesAnalyticGradient() {
        int[] xs = {2, 3, 5, 4};
        for (Resize spec : SPECS) {
            Tensor x = Tensor.parameter(TestData.array(3, xs));
            Tensor y = ResampleOps.resize(x, spec);
            NDArray gy = TestData.array(4, y.shape());
            y.backward(gy);
            Compare.assertClose("resize dx " + spec, ResampleRef.resizeBackward(RefArrays.doubles(gy), xs, spec), x.grad(),
                    ATOL, RTOL);
        }
    }

    @Test
    void inputResizedTwiceAccumulates() {
        // y = nearest(x) + bilinear(x) to the same size: x's gradient is the sum of both.
        int[] xs = {1, 2, 4, 4};
        Resize nearest = Resize.toSize(Mode.NEAREST, 6, 7, false);
        Resize bilinear = Resize.toSize(Mode.BILINEAR, 6, 7, false);
        GradCheck.of("nearest + bilinear",
                t -> ElementwiseOps.add(ResampleOps.resize(t[0], nearest), ResampleOps.resize(t[0], bilinear)),
                v -> add(ResampleRef.resize(v[0], xs, nearest), ResampleRef.resize(v[0], xs, bilinear)))
                .run(TestData.array(5, xs));
    }

    @Test
    void chainDownTanhUp() {
        int[] xs = {1, 2, 6, 6};
        int[] hs = {1, 2, 3, 3};
        Resize down = Resize.toSize(Mode.BILINEAR, 3, 3, true);
        Resize up = Resize.byScale(Mode.NEAREST, 2, 2, false);
        GradCheck.of("bilinear down -> tanh -> nearest up",
                t -> ResampleOps.resize(ElementwiseOps.tanh(ResampleOps.resize(t[0], down)), up),
                v -> ResampleRef.resize(tanh(ResampleRef.resize(v[0], xs, down)), hs, up))
                .run(TestData.array(6, xs));
    }
}
