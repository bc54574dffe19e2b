package org.layerensembles.core.nd4j;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.cpu.CpuBackend;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU backend against ND4J as an independent oracle, on copied data (no wrapper involved):
 * {@code INDArray.mmul} and ND4J's {@code Conv2D} op.
 *
 * <p>Conventions matched for Conv2D: data format NCHW, explicit padding (PaddingMode VALID with
 * pH/pW), and ND4J's default weight layout YXIO = [KH, KW, C, F], into which our [F, C, KH, KW]
 * weights are permuted (dims 2, 3, 1, 0). ND4J 1.0.0-M2.1's oneDNN helper fails on dilated
 * convolutions, so helpers are switched off for those cases (ND4J's own implementation runs).
 * Tolerance: atol 1e-5 * sqrt(K), rtol 1e-5, as two float32 sums in different orders.
 */
class CpuVsNd4jTest {
    private final Backend cpu = new CpuBackend();

    private static INDArray copy(NDArray x) {
        return Nd4j.create(x.toFloatArray(), Arrays.stream(x.shape()).asLongStream().toArray(), 'c');
    }

    private static double[] values(INDArray x) {
        return x.dup('c').data().asDouble();
    }

    @Test
    void matmulMatchesNd4jMmul() {
        int[][] sizes = {{1, 1, 1}, {7, 13, 5}, {65, 129, 33}, {1, 300, 70}, {70, 300, 1}, {260, 600, 130}};
        for (int[] s : sizes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                NDArray a = TestData.array(1 + t, ta ? new int[] {s[1], s[0]} : new int[] {s[0], s[1]});
                NDArray b = TestData.array(5 + t, tb ? new int[] {s[2], s[1]} : new int[] {s[1], s[2]});
                INDArray na = copy(a);
                INDArray nb = copy(b);
                INDArray expected = (ta ? na.transpose() : na).mmul(tb ? nb.transpose() : nb);
                Compare.assertClose("matmul vs ND4J mmul " + Arrays.toString(s) + " tA=" + ta + " tB=" + tb,
                        values(expected), cpu.matmul(a, b, ta, tb), 1e-5 * Math.sqrt(s[1]), 1e-5);
            }
        }
        // Batched: ND4J mmul of each [M, K] x [K, N] slice.
        NDArray a = TestData.array(9, 3, 9, 17);
        NDArray b = TestData.array(10, 17, 11);
        NDArray c = cpu.matmul(a, b, false, false);
        INDArray nb = copy(b);
        for (int i = 0; i < 3; i++) {
            INDArray expected = copy(a.select(0, i)).mmul(nb);
            Compare.assertClose("batched matmul vs ND4J, entry " + i, values(expected), c.select(0, i), 1e-4, 1e-5);
        }
    }

    @Test
    void conv2dMatchesNd4jConv2D() {
        int[][] shapes = {
                // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, bias
                {2, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // 3x3 pad 1
                {2, 5, 6, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1},    // 1x1
                {1, 3, 15, 13, 4, 7, 7, 2, 2, 3, 3, 1, 1, 0},  // 7x7 stride 2 pad 3
                {2, 2, 8, 9, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1},    // stride 2
                {1, 3, 10, 9, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1},   // dilation 2
                {2, 1, 5, 17, 6, 2, 4, 1, 3, 0, 2, 2, 1, 0},   // C = 1, odd H/W, mixed
                {1, 16, 20, 20, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1}, // more channels
        };
        for (int[] s : shapes) {
            Conv2dParams p = new Conv2dParams(s[7], s[8], s[9], s[10], s[11], s[12]);
            NDArray x = TestData.array(21, s[0], s[1], s[2], s[3]);
            NDArray w = TestData.array(22, s[4], s[1], s[5], s[6]);
            NDArray b = s[13] == 1 ? TestData.array(23, s[4]) : null;
            NDArray y = cpu.conv2d(x, w, b, p);

            Conv2DConfig config = Conv2DConfig.builder().kH(s[5]).kW(s[6]).sH(s[7]).sW(s[8]).pH(s[9]).pW(s[10])
                    .dH(s[11]).dW(s[12]).dataFormat(Conv2DConfig.NCHW).build(); // default weights: YXIO
            INDArray weightsYxio = copy(w).permute(2, 3, 1, 0).dup('c');
            INDArray[] inputs = b == null ? new INDArray[] {copy(x), weightsYxio}
                    : new INDArray[] {copy(x), weightsYxio, copy(b)};
            INDArray out = Nd4j.create(DataType.FLOAT, Arrays.stream(y.shape()).asLongStream().toArray());
            boolean dilated = s[11] != 1 || s[12] != 1;
            if (dilated) {
                Nd4j.getEnvironment().allowHelpers(false);
            }
            try {
                Nd4j.exec(new Conv2D(inputs, new INDArray[] {out}, config));
            } finally {
                if (dilated) {
                    Nd4j.getEnvironment().allowHelpers(true);
                }
            }
            Compare.assertClose("conv2d vs ND4J Conv2D " + Arrays.toString(s), values(out), y,
                    1e-5 * Math.sqrt(s[1] * s[5] * s[6]), 1e-5);
        }
    }
}
