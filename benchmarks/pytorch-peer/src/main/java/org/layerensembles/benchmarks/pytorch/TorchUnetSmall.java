package org.layerensembles.benchmarks.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * unet-small written by hand with DJL NDArray ops on PyTorch (libtorch), differentiable under a
 * GradientCollector: 1 input channel; enc1..enc4 DoubleConv (conv3x3 pad 1 no bias, BN, ReLU, x2)
 * of widths 16/32/64/128, max-pool 2x2 before enc2..enc4 and the 256-wide bottleneck; decoder
 * bilinear x2 (align_corners) up, concat skip, DoubleConv 384->128, 192->64, 96->32, 48->16;
 * final conv1x1 16->2 (bias). Layer Ensembles heads on enc1..enc4, bottleneck, dec1..dec4: conv3x3
 * (->2, bias) then bilinear align_corners upsampling to the input size.
 *
 * <p>Bilinear align_corners resampling is two matrix products with fixed interpolation matrices
 * (DJL 0.36 has no align_corners interpolate; PEERS.md pitfall 1).
 *
 * <p>{@code padTwoClassConvs}: run the 2-output convolutions (heads and final 1x1) with their
 * weight zero-padded to 16 output channels and the output sliced back to 2, as a workaround for
 * libtorch's wrong NCHW backward-data when out-channels % 16 != 0 on AVX-512 (PEERS.md pitfall 2).
 * It costs 8x the FLOPs of those small convolutions; it is only switched on where
 * {@link GradCheck} finds the plain path wrong.
 */
final class TorchUnetSmall {
    static final int[] WIDTHS = {16, 32, 64, 128};
    static final int BOTTLENECK = 256;
    static final int CLASSES = 2;
    static final String[] TAPS = {"enc1", "enc2", "enc3", "enc4", "bottleneck", "dec1", "dec2", "dec3", "dec4"};

    /** Trainable parameters by name, in creation order. */
    final Map<String, NDArray> params = new LinkedHashMap<>();
    /** BatchNorm running statistics. */
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    final List<String> backboneNames = new ArrayList<>();
    final List<String> finalNames = new ArrayList<>();
    final List<String> headNames = new ArrayList<>();
    private final NDManager manager;
    private final int size;
    /** Interpolation matrices for upsampling from side s to 2s, and from s to {@code size}. */
    private final Map<String, NDArray> interp = new LinkedHashMap<>();
    boolean training = true;
    boolean padTwoClassConvs;

    TorchUnetSmall(NDManager manager, int size, long seed) {
        this.manager = manager;
        this.size = size;
        Random rng = new Random(seed);
        int in = 1;
        for (int i = 0; i < 4; i++) {
            doubleConv("enc" + (i + 1), in, WIDTHS[i], rng);
            in = WIDTHS[i];
        }
        doubleConv("bottleneck", WIDTHS[3], BOTTLENECK, rng);
        int below = BOTTLENECK;
        for (int i = 0; i < 4; i++) {
            int skip = WIDTHS[3 - i];
            doubleConv("dec" + (i + 1), below + skip, skip, rng);
            below = skip;
        }
        finalNames.add(param("final.w", rng, 1.0 / 16, CLASSES, 16, 1, 1));
        finalNames.add(zeroParam("final.b", CLASSES));
        for (String tap : TAPS) {
            int c = channels(tap);
            headNames.add(param("head." + tap + ".w", rng, 1.0 / (9 * c), CLASSES, c, 3, 3));
            headNames.add(zeroParam("head." + tap + ".b", CLASSES));
        }
        for (int s = size >> 4; s < size; s <<= 1) {
            interp.put(s + "x2", interpolation(s, 2 * s, false));
            interp.put(s + "x2T", interpolation(s, 2 * s, true));
            interp.put(s + "full", interpolation(s, size, false));
            interp.put(s + "fullT", interpolation(s, size, true));
        }
    }

    static int channels(String tap) {
        return switch (tap) {
            case "enc1", "dec4" -> 16;
            case "enc2", "dec3" -> 32;
            case "enc3", "dec2" -> 64;
            case "enc4", "dec1" -> 128;
            default -> BOTTLENECK;
        };
    }

    private void doubleConv(String name, int in, int out, Random rng) {
        for (int k = 1; k <= 2; k++) {
            int cin = k == 1 ? in : out;
            String p = name + ".conv" + k;
            backboneNames.add(param(p + ".w", rng, 2.0 / (9 * cin), out, cin, 3, 3));
            backboneNames.add(onesParam(p + ".gamma", out));
            backboneNames.add(zeroParam(p + ".beta", out));
            buffers.put(p + ".mean", manager.zeros(new Shape(out)));
            buffers.put(p + ".var", manager.ones(new Shape(out)));
        }
    }

    private String param(String name, Random rng, double variance, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        double sd = Math.sqrt(variance);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * sd);
        }
        return register(name, manager.create(v, s));
    }

    private String zeroParam(String name, int n) {
        return register(name, manager.zeros(new Shape(n)));
    }

    private String onesParam(String name, int n) {
        return register(name, manager.ones(new Shape(n)));
    }

    private String register(String name, NDArray a) {
        a.setRequiresGradient(true);
        params.put(name, a);
        return name;
    }

    /**
     * Align-corners bilinear resampling matrix from n to m samples: [m, n], or its transpose
     * [n, m].
     */
    private NDArray interpolation(int n, int m, boolean transpose) {
        float[] r = new float[m * n];
        for (int i = 0; i < m; i++) {
            double src = m == 1 ? 0 : (double) i * (n - 1) / (m - 1);
            int lo = Math.min((int) Math.floor(src), n - 1);
            int hi = Math.min(lo + 1, n - 1);
            double f = src - lo;
            int row = transpose ? lo * m + i : i * n + lo;
            r[row] += (float) (1 - f);
            int row2 = transpose ? hi * m + i : i * n + hi;
            r[row2] += (float) f;
        }
        return manager.create(r, transpose ? new Shape(n, m) : new Shape(m, n));
    }

    /** x [N, C, s, s] to [N, C, s2, s2] with align_corners bilinear: Ry x Rx^T. */
    private NDArray upsample(NDArray x, String kind) {
        int s = (int) x.getShape().get(2);
        NDArray rows = interp.get(s + kind);
        NDArray colsT = interp.get(s + kind + "T");
        // The result of an op lives in its first operand's manager: keep it in the step's.
        NDArray y = rows.matMul(x.matMul(colsT));
        y.attach(x.getManager());
        return y;
    }

    private NDArray convBnRelu(NDArray x, String p) {
        NDArray y = Conv2d.conv2d(x, params.get(p + ".w"), null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
                .singletonOrThrow();
        NDArray z = BatchNorm.batchNorm(y, buffers.get(p + ".mean"), buffers.get(p + ".var"),
                params.get(p + ".gamma"), params.get(p + ".beta"), 1, 0.1f, 1e-5f, training).singletonOrThrow();
        return Activation.relu(z);
    }

    private NDArray doubleConv(NDArray x, String name) {
        return convBnRelu(convBnRelu(x, name + ".conv1"), name + ".conv2");
    }

    private static NDArray pool(NDArray x) {
        return Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
    }

    /** A convolution with 2 output channels, zero-padded to 16 when {@link #padTwoClassConvs}. */
    NDArray twoClassConv(NDArray x, NDArray w, NDArray b, int pad) {
        Shape padding = new Shape(pad, pad);
        Shape one = new Shape(1, 1);
        if (!padTwoClassConvs) {
            return Conv2d.conv2d(x, w, b, one, padding, one, 1).singletonOrThrow();
        }
        Shape ws = w.getShape();
        NDArray wp = w.concat(x.getManager().zeros(new Shape(16 - ws.get(0), ws.get(1), ws.get(2), ws.get(3))), 0);
        NDArray bp = b.concat(x.getManager().zeros(new Shape(16 - ws.get(0))), 0);
        wp.attach(x.getManager());
        bp.attach(x.getManager());
        return Conv2d.conv2d(x, wp, bp, one, padding, one, 1).singletonOrThrow().get(new NDIndex(":, 0:2"));
    }

    /** Activations of the nine taps, shallow to deep. */
    private NDList backbone(NDArray x) {
        NDArray e1 = doubleConv(x, "enc1");
        NDArray e2 = doubleConv(pool(e1), "enc2");
        NDArray e3 = doubleConv(pool(e2), "enc3");
        NDArray e4 = doubleConv(pool(e3), "enc4");
        NDArray b = doubleConv(pool(e4), "bottleneck");
        NDArray d1 = doubleConv(upsample(b, "x2").concat(e4, 1), "dec1");
        NDArray d2 = doubleConv(upsample(d1, "x2").concat(e3, 1), "dec2");
        NDArray d3 = doubleConv(upsample(d2, "x2").concat(e2, 1), "dec3");
        NDArray d4 = doubleConv(upsample(d3, "x2").concat(e1, 1), "dec4");
        return new NDList(e1, e2, e3, e4, b, d1, d2, d3, d4);
    }

    /** Plain U-Net logits [N, 2, H, W]. */
    NDArray forwardPlain(NDArray x) {
        NDArray d4 = backbone(x).get(8);
        return twoClassConv(d4, params.get("final.w"), params.get("final.b"), 0);
    }

    /** The nine heads' logits, each [N, 2, H, W], shallow to deep. */
    NDList forwardHeads(NDArray x) {
        NDList taps = backbone(x);
        NDList heads = new NDList();
        for (int t = 0; t < TAPS.length; t++) {
            NDArray f = taps.get(t);
            NDArray logits = twoClassConv(f, params.get("head." + TAPS[t] + ".w"), params.get("head." + TAPS[t] + ".b"), 1);
            if (f.getShape().get(2) != size) {
                logits = upsample(logits, "full");
            }
            heads.add(logits);
        }
        return heads;
    }

    /** Mean cross-entropy of logits [N, 2, H, W] against one-hot targets [N, 2, H, W]. */
    static NDArray crossEntropy(NDArray logits, NDArray oneHot) {
        return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).mean().neg();
    }

    static NDArray sumOfLosses(NDList outputs, NDArray oneHot) {
        NDArray loss = crossEntropy(outputs.get(0), oneHot);
        for (int i = 1; i < outputs.size(); i++) {
            loss = loss.add(crossEntropy(outputs.get(i), oneHot));
        }
        return loss;
    }

    /** Unused but handy: the element type every tensor here has. */
    static DataType dtype() {
        return DataType.FLOAT32;
    }

    static NDArray where(NDArray cond, NDArray a, NDArray b) {
        return NDArrays.where(cond, a, b);
    }
}
