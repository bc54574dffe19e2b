package org.layerensembles.ensemble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

class HeadCombinerTest {
    private static final int N = 2;
    private static final int H = 3;
    private static final int W = 5;

    private static HeadOutputs randomHeads(int heads, int classes, long seed) {
        List<HeadOutput> out = new ArrayList<>();
        SeededRandom rng = new SeededRandom(seed);
        for (int t = 0; t < heads; t++) {
            out.add(new HeadOutput("h" + t, Tensor.constant(NDArrays.randomNormal(rng.fork(t), 0, 2, N, classes, H, W))));
        }
        return new HeadOutputs(out);
    }

    /** Heads whose argmax at pixel i of a 1 x 1 x P image is labels[t][i] (logit 3 there, 0 elsewhere). */
    private static HeadOutputs votingHeads(int classes, int[][] labels) {
        List<HeadOutput> out = new ArrayList<>();
        for (int t = 0; t < labels.length; t++) {
            int p = labels[t].length;
            float[] v = new float[classes * p];
            for (int i = 0; i < p; i++) {
                v[labels[t][i] * p + i] = 3f;
            }
            out.add(new HeadOutput("h" + t, Tensor.constant(NDArrays.of(v, 1, classes, 1, p))));
        }
        return new HeadOutputs(out);
    }

    /** softmax over classes in double of head t at (n, ., y, x). */
    private static double[] softmax(HeadOutputs heads, int t, int n, int y, int x) {
        NDArray l = heads.logits(t).data();
        int c = l.size(1);
        double[] p = new double[c];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) {
            max = Math.max(max, l.getFloat(n, k, y, x));
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
            p[k] = Math.exp(l.getFloat(n, k, y, x) - max);
            sum += p[k];
        }
        for (int k = 0; k < c; k++) {
            p[k] /= sum;
        }
        return p;
    }

    private static void checkMeanAgainstDouble(int heads, int classes, int skip) {
        HeadOutputs h = randomHeads(heads, classes, 10 + classes);
        Combination m = HeadCombiner.mean(h, skip);
        assertEquals(CombineRule.MEAN, m.rule());
        assertEquals(skip, m.skipped());
        assertEquals(heads - skip, m.used());
        assertArrayEquals(new int[] {N, classes, H, W}, m.probabilities().shape());
        assertArrayEquals(new int[] {N, H, W}, m.labels().shape());
        assertEquals(DType.INT32, m.labels().dtype());
        double worst = 0;
        int ambiguous = 0;
        for (int n = 0; n < N; n++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    double[] mean = new double[classes];
                    for (int t = skip; t < heads; t++) {
                        double[] p = softmax(h, t, n, y, x);
                        for (int k = 0; k < classes; k++) {
                            mean[k] += p[k] / (heads - skip);
                        }
                    }
                    int best = 0;
                    double total = 0;
                    for (int k = 0; k < classes; k++) {
                        worst = Math.max(worst, Math.abs(mean[k] - m.probabilities().getFloat(n, k, y, x)));
                        best = mean[k] > mean[best] ? k : best;
                        total += m.probabilities().getFloat(n, k, y, x);
                    }
                    assertEquals(1.0, total, 1e-6);
                    double second = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < classes; k++) {
                        second = k == best ? second : Math.max(second, mean[k]);
                    }
                    if (mean[best] - second < 1e-6) {
                        ambiguous++;
                    } else {
                        assertEquals(best, m.labels().getInt(n, y, x), "label at " + n + "," + y + "," + x);
                    }
                }
            }
        }
        assertTrue(worst < 1e-6, "mean softmax differs from double by " + worst);
        assertEquals(0, ambiguous, "random logits gave a near-tie");
    }

    @Test
    void meanOfSoftmaxMatchesADoubleComputationMultiClass() {
        checkMeanAgainstDouble(5, 4, 0);
        checkMeanAgainstDouble(5, 4, 2);
    }

    @Test
    void meanOfSoftmaxMatchesADoubleComputationBinary() {
        checkMeanAgainstDouble(4, 2, 0);
        checkMeanAgainstDouble(4, 2, 1);
    }

    @Test
    void skippingAllButOneHeadIsTheLastHead() {
        HeadOutputs h = randomHeads(4, 4, 3);
        Combination last = HeadCombiner.last(h);
        assertEquals(1, last.used());
        assertArrayEquals(last.probabilities().toFloatArray(), HeadCombiner.mean(h, 3).probabilities().toFloatArray());
        assertArrayEquals(last.labels().toIntArray(), HeadCombiner.mean(h, 3).labels().toIntArray());
        assertArrayEquals(last.labels().toIntArray(), HeadCombiner.vote(h, 3).labels().toIntArray());
        // LAST ignores S (only checks it).
        assertArrayEquals(last.probabilities().toFloatArray(),
                HeadCombiner.combine(h, CombineRule.LAST, 2).probabilities().toFloatArray());
        // softmax of the last head, by hand.
        double[] p = softmax(h, 3, 1, 2, 4);
        for (int k = 0; k < 4; k++) {
            assertEquals(p[k], last.probabilities().getFloat(1, k, 2, 4), 1e-6);
        }
    }

    @Test
    void majorityVoteBreaksTiesToTheLowestClass() {
        int[][] labels = {
            {0, 1, 2, 3},
            {3, 1, 2, 0},
            {3, 2, 1, 1},
            {1, 2, 3, 2},
        };
        HeadOutputs h = votingHeads(4, labels);
        Combination v = HeadCombiner.vote(h, 0);
        assertEquals(CombineRule.VOTE, v.rule());
        // pixel 0: 3 wins 2-1-1; pixel 1: 1 and 2 tie 2-2 -> 1; pixel 2: 2 wins; pixel 3: a four-way tie -> 0.
        assertArrayEquals(new int[] {3, 1, 2, 0}, v.labels().toIntArray());
        assertArrayEquals(new int[] {1, 1, 4}, v.labels().shape());
        // Vote fractions at pixel 0: classes 0, 1, 2, 3 got 1, 1, 0, 2 of 4 votes.
        float[] q = new float[4];
        for (int k = 0; k < 4; k++) {
            q[k] = v.probabilities().getFloat(0, k, 0, 0);
        }
        assertArrayEquals(new float[] {0.25f, 0.25f, 0f, 0.5f}, q);
        // Skipping head 0: pixel 1 becomes 1 vs 2, 2 -> 2; pixel 2 a three-way tie (2, 1, 3) -> 1.
        Combination s = HeadCombiner.vote(h, 1);
        assertEquals(3, s.used());
        assertArrayEquals(new int[] {3, 2, 1, 0}, s.labels().toIntArray());
    }

    @Test
    void majorityVoteBinary() {
        HeadOutputs h = votingHeads(2, new int[][] {{0, 1, 1}, {1, 1, 0}, {0, 1, 1}, {1, 0, 0}});
        // pixel 0: 2-2 tie -> background; pixel 1: 3-1 -> 1; pixel 2: 2-2 -> 0.
        assertArrayEquals(new int[] {0, 1, 0}, HeadCombiner.vote(h, 0).labels().toIntArray());
        // Skipping head 0: pixel 0 gets 1, 0, 1 -> 1; pixel 1: 1, 1, 0 -> 1; pixel 2: 0, 1, 0 -> 0.
        assertArrayEquals(new int[] {1, 1, 0}, HeadCombiner.combine(h, CombineRule.VOTE, 1).labels().toIntArray());
        assertEquals(2f / 3, HeadCombiner.vote(h, 1).probabilities().getFloat(0, 1, 0, 0), 1e-7);
    }

    @Test
    void perHeadProbabilitiesAreTheSoftmaxOfTheKeptHeads() {
        HeadOutputs h = randomHeads(4, 2, 5);
        List<NDArray> p = HeadCombiner.probabilities(h, 1);
        assertEquals(3, p.size());
        double[] byHand = softmax(h, 1, 0, 1, 1);
        assertEquals(byHand[1], p.get(0).getFloat(0, 1, 1, 1), 1e-6);
    }

    @Test
    void worksOnModelOutputsThatCarryAGraph() {
        LayerEnsemble le = new LayerEnsemble(TestNets.convNet(2, 4, new SeededRandom(1)),
                LayerEnsemble.pathEndsWith(".relu"), 4, new int[] {1, 2, 8, 8}, new SeededRandom(2));
        HeadOutputs out = le.heads(LayerEnsembleTest.images(3, 2, 2, 8, 8));
        Combination m = HeadCombiner.combine(out, CombineRule.MEAN, 0);
        assertArrayEquals(new int[] {2, 4, 8, 8}, m.probabilities().shape());
        assertArrayEquals(new int[] {2, 8, 8}, m.labels().shape());
    }

    @Test
    void invalidSkipAndBadLogits() {
        HeadOutputs h = randomHeads(3, 4, 1);
        for (int bad : new int[] {-1, 3, 7}) {
            for (CombineRule rule : CombineRule.values()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> HeadCombiner.combine(h, rule, bad));
                assertTrue(e.getMessage().contains("cannot skip " + bad + " of 3"), e.getMessage());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> HeadCombiner.probabilities(h, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HeadCombiner.mean(randomHeads(2, 1, 1), 0));
        assertTrue(e.getMessage().contains("C >= 2"), e.getMessage());
        NDArray a = NDArrays.zeros(1, 2, 2, 2);
        e = assertThrows(IllegalArgumentException.class,
                () -> HeadCombiner.combine(List.of(a, NDArrays.zeros(1, 2, 2, 3)), CombineRule.MEAN, 0));
        assertTrue(e.getMessage().contains("head 1's logits are [1, 2, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> HeadCombiner.combine(List.of(NDArrays.zeros(DType.INT32, 1, 2, 2, 2)), CombineRule.VOTE, 0));
        assertTrue(e.getMessage().contains("float32 [N, C, H, W]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> HeadCombiner.combine(List.of(NDArrays.zeros(2, 2, 2)), CombineRule.MEAN, 0));
        assertThrows(IllegalArgumentException.class, () -> HeadCombiner.combine(List.of(), CombineRule.MEAN, 0));
        assertThrows(NullPointerException.class, () -> HeadCombiner.combine(h, null, 0));
    }
}
