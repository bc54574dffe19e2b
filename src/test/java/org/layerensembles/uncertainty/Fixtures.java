package org.layerensembles.uncertainty;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

/** Test inputs: head probabilities and ground truths. */
final class Fixtures {
    private Fixtures() {
    }

    /** T heads of softmax(normal(0, 2) logits), [n, c, h, w] each. */
    static List<NDArray> randomHeads(long seed, int t, int n, int c, int h, int w) {
        SeededRandom rng = new SeededRandom(seed);
        List<NDArray> heads = new ArrayList<>();
        for (int k = 0; k < t; k++) {
            float[] logits = NDArrays.randomNormal(rng.fork(k), 0, 2, n, c, h, w).toFloatArray();
            heads.add(NDArrays.of(softmax(logits, n, c, h * w), n, c, h, w));
        }
        return heads;
    }

    /**
     * Heads whose probabilities are small integers 0..2 per class normalised by their sum (uniform
     * when all are 0): many exact ties between classes and between heads.
     */
    static List<NDArray> tiedHeads(long seed, int t, int n, int c, int h, int w) {
        SeededRandom rng = new SeededRandom(seed);
        List<NDArray> heads = new ArrayList<>();
        int hw = h * w;
        for (int k = 0; k < t; k++) {
            float[] u = NDArrays.randomUniform(rng.fork(k), 0, 3, n, c, h, w).toFloatArray();
            float[] p = new float[u.length];
            for (int img = 0; img < n; img++) {
                for (int x = 0; x < hw; x++) {
                    float s = 0;
                    for (int cls = 0; cls < c; cls++) {
                        s += (float) Math.floor(u[(img * c + cls) * hw + x]);
                    }
                    for (int cls = 0; cls < c; cls++) {
                        int j = (img * c + cls) * hw + x;
                        p[j] = s == 0 ? 1f / c : (float) Math.floor(u[j]) / s;
                    }
                }
            }
            heads.add(NDArrays.of(p, n, c, h, w));
        }
        return heads;
    }

    static NDArray randomTruth(long seed, int n, int c, int h, int w) {
        float[] u = NDArrays.randomUniform(new SeededRandom(seed), 0, c, n, h, w).toFloatArray();
        int[] g = new int[u.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = Math.min(c - 1, (int) u[i]);
        }
        return NDArrays.of(g, n, h, w);
    }

    static float[] softmax(float[] logits, int n, int c, int hw) {
        float[] p = new float[logits.length];
        for (int img = 0; img < n; img++) {
            for (int x = 0; x < hw; x++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int cls = 0; cls < c; cls++) {
                    max = Math.max(max, logits[(img * c + cls) * hw + x]);
                }
                double s = 0;
                for (int cls = 0; cls < c; cls++) {
                    s += Math.exp(logits[(img * c + cls) * hw + x] - max);
                }
                for (int cls = 0; cls < c; cls++) {
                    int j = (img * c + cls) * hw + x;
                    p[j] = (float) (Math.exp(logits[j] - max) / s);
                }
            }
        }
        return p;
    }

    /** Binary heads on one image of P pixels in a row: fg[t][x] is head t's foreground probability. */
    static List<NDArray> binaryHeads(float[][] fg, int n, int h, int w) {
        List<NDArray> heads = new ArrayList<>();
        int hw = h * w;
        for (float[] f : fg) {
            float[] p = new float[2 * f.length];
            for (int img = 0; img < n; img++) {
                for (int x = 0; x < hw; x++) {
                    p[(img * 2) * hw + x] = 1f - f[img * hw + x];
                    p[(img * 2 + 1) * hw + x] = f[img * hw + x];
                }
            }
            heads.add(NDArrays.of(p, n, 2, h, w));
        }
        return heads;
    }

    /** Heads whose argmax at pixel x is labels[t][x] (probability 0.6 there, the rest shared). */
    static List<NDArray> votingHeads(int c, int[][] labels, int n, int h, int w) {
        List<NDArray> heads = new ArrayList<>();
        int hw = h * w;
        float other = 0.4f / (c - 1);
        for (int[] l : labels) {
            float[] p = new float[c * l.length];
            for (int img = 0; img < n; img++) {
                for (int x = 0; x < hw; x++) {
                    for (int cls = 0; cls < c; cls++) {
                        p[(img * c + cls) * hw + x] = l[img * hw + x] == cls ? 0.6f : other;
                    }
                }
            }
            heads.add(NDArrays.of(p, n, c, h, w));
        }
        return heads;
    }
}
