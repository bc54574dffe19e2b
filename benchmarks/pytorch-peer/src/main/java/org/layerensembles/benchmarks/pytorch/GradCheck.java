package org.layerensembles.benchmarks.pytorch;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/**
 * PEERS.md pitfall 2: checks libtorch's gradients of the 2-output-channel convolutions (the nine
 * heads' 3x3 and the final 1x1) at their real shapes (batch 8) against the same convolution with
 * the weight zero-padded to 16 output channels (the out-channels % 16 == 0 path, found exact).
 * Returns the largest relative error over input and weight gradients (NaN if any gradient is NaN).
 */
final class GradCheck {
    private GradCheck() {}

    static double worstRelativeError(NDManager base, int batch, int size) {
        double worst = 0;
        for (String tap : TorchUnetSmall.TAPS) {
            int s = switch (tap) {
                case "enc1", "dec4" -> size;
                case "enc2", "dec3" -> size / 2;
                case "enc3", "dec2" -> size / 4;
                case "enc4", "dec1" -> size / 8;
                default -> size / 16;
            };
            worst = Math.max(worst, check(base, batch, TorchUnetSmall.channels(tap), s, 3, 1, tap));
        }
        return Math.max(worst, check(base, batch, 16, size, 1, 0, "final1x1"));
    }

    private static double check(NDManager base, int batch, int c, int s, int k, int pad, String label) {
        try (NDManager m = base.newSubManager()) {
            m.getEngine().setRandomSeed(11);
            NDArray x = m.randomNormal(new Shape(batch, c, s, s));
            NDArray w = m.randomNormal(0, (float) Math.sqrt(1.0 / (c * k * k)), new Shape(2, c, k, k), x.getDataType());
            NDArray b = m.randomNormal(new Shape(2));
            NDArray r = m.randomNormal(new Shape(batch, 2, s, s));
            NDArray[] plain = grads(m, x, w, b, r, pad, false);
            NDArray[] padded = grads(m, x, w, b, r, pad, true);
            double err = 0;
            for (int i = 0; i < 2; i++) {
                double scale = padded[i].abs().max().getFloat() + 1e-12;
                float diff = plain[i].sub(padded[i]).abs().max().getFloat();
                err = Math.max(err, Float.isNaN(diff) ? Double.NaN : diff / scale);
                if (Double.isNaN(err)) {
                    break;
                }
            }
            System.out.printf("grad check %-10s C=%3d %3dx%-3d k=%d: max rel err %.3g%n", label, c, s, s, k, err);
            return Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        }
    }

    private static NDArray[] grads(NDManager m, NDArray x0, NDArray w0, NDArray b0, NDArray r, int pad, boolean padded) {
        NDArray x = x0.duplicate();
        NDArray w = w0.duplicate();
        NDArray b = b0.duplicate();
        x.setRequiresGradient(true);
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray y = padded ? paddedConv(x, w, b, pad) : ai.djl.nn.convolutional.Conv2d.conv2d(
                    x, w, b, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1), 1).singletonOrThrow();
            gc.backward(y.mul(r).sum());
        }
        return new NDArray[] {x.getGradient().duplicate(), w.getGradient().duplicate()};
    }

    private static NDArray paddedConv(NDArray x, NDArray w, NDArray b, int pad) {
        Shape ws = w.getShape();
        NDArray wp = w.concat(x.getManager().zeros(new Shape(14, ws.get(1), ws.get(2), ws.get(3))), 0);
        NDArray bp = b.concat(x.getManager().zeros(new Shape(14)), 0);
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, wp, bp, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1), 1)
                .singletonOrThrow().get(":, 0:2");
    }
}
