package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.layerensembles.cuda.GpuVsCpu.dev;
import static org.layerensembles.cuda.GpuVsCpu.gpu;
import static org.layerensembles.cuda.GpuVsCpu.ints;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.Compare;
import org.layerensembles.core.testing.TestData;

/**
 * The fused agreement kernel against a plain double-precision reference written here (the
 * definitions of CudaLayerAgreement's Javadoc, one loop per quantity) on random softmax heads
 * whose labels disagree often. Maps: 1e-6 + 1e-6 relative (CUDA's log vs Java's differ by an ulp);
 * labels and every count exactly; sums 1e-9 relative.
 */
@Tag("gpu")
class CudaLayerAgreementGpuTest {
    private static final double EPS = 1e-5;
    private MemoryScope scope;

    @BeforeEach
    void requireGpu() {
        GpuAssumption.requireGpu();
        scope = MemoryScope.open();
    }

    @AfterEach
    void closeScope() {
        if (scope != null) {
            gpu().synchronize();
            scope.close();
        }
    }

    @Test
    void binaryImages() {
        check(5, 3, 2, 37, 61, false);
    }

    @Test
    void multiClassWithSeveralBlocksPerImage() {
        check(4, 2, 4, 70, 90, false);
    }

    @Test
    void volume() {
        check(3, 4, 4, 33, 33, true);
    }

    @Test
    void badTruthLabelIsReported() {
        List<NDArray> heads = List.of(dev(softmax(1, 1, 2, 4, 4)), dev(softmax(2, 1, 2, 4, 4)));
        NDArray truth = dev(NDArrays.of(new int[] {0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 4, 4));
        assertThrows(IllegalArgumentException.class,
                () -> new CudaLayerAgreement(gpu()).compute(heads, truth, EPS, false));
    }

    private static NDArray softmax(long seed, int n, int c, int h, int w) {
        NDArray logits = Backends.cpu().binary(org.layerensembles.core.backend.BinaryOp.MUL,
                TestData.array(seed, n, c, h, w), NDArrays.scalar(3f));
        return Backends.cpu().softmax(logits, 1);
    }

    private void check(int t, int n, int c, int h, int w, boolean volume) {
        List<NDArray> heads = new ArrayList<>();
        List<NDArray> devHeads = new ArrayList<>();
        for (int k = 0; k < t; k++) {
            NDArray p = softmax(100 + k, n, c, h, w);
            heads.add(p);
            devHeads.add(dev(p));
        }
        NDArray truth = ints(7, c, n, h, w);
        CudaLayerAgreement.Result r = new CudaLayerAgreement(gpu()).compute(devHeads, dev(truth), EPS, volume);
        Reference ref = new Reference(heads, truth.toIntArray(), n, c, h * w, volume);
        String what = "agreement T=" + t + " C=" + c + (volume ? " volume" : "");
        Compare.assertClose(what + " mean", ref.mean, gpu().toHost(r.meanProbabilities()), 1e-7, 1e-6);
        Compare.assertIdentical(what + " labels", NDArrays.of(ref.labels, n, h, w), gpu().toHost(r.labels()));
        Compare.assertClose(what + " entropy", ref.entropy, gpu().toHost(r.entropy()), 1e-6, 1e-6);
        Compare.assertClose(what + " MI", ref.mi, gpu().toHost(r.mutualInformation()), 1e-6, 1e-6);
        Compare.assertClose(what + " variance", ref.variance, gpu().toHost(r.variance()), 1e-7, 1e-6);
        Compare.assertClose(what + " soft variance", ref.soft, gpu().toHost(r.softVariance()), 1e-7, 1e-6);
        assertEquals(ref.groups, r.groups().size());
        for (int g = 0; g < ref.groups; g++) {
            CudaLayerAgreement.Counts k = r.groups().get(g);
            assertEquals(ref.pixels[g], k.pixels());
            for (int m = 0; m < 3; m++) {
                assertEquals(ref.sums[g][m], k.mapSums()[m], 1e-9 * Math.abs(ref.sums[g][m]) + 1e-9, what + " sum " + m);
                assertEquals(ref.normalised[g][m], k.normalisedSums()[m], 1e-6 * Math.abs(ref.normalised[g][m]) + 1e-6,
                        what + " normalised " + m);
            }
            assertArrayEquals(ref.agreeInter[g], k.agreeIntersection(), what + " agreement intersections");
            assertArrayEquals(ref.agreeSize[g], k.agreeSizeSum(), what + " agreement sizes");
            if (c > 2) {
                for (int p = 0; p < t - 1; p++) {
                    assertArrayEquals(ref.classInter[g][p], k.classIntersection()[p], what + " class intersections");
                    assertArrayEquals(ref.classSize[g][p], k.classSizeSum()[p], what + " class sizes");
                }
                assertArrayEquals(ref.classDiceInter[g], k.classDiceIntersection(), what + " class DSC intersections");
                assertArrayEquals(ref.classDiceSize[g], k.classDiceSizeSum(), what + " class DSC sizes");
            }
            assertEquals(ref.nll[g], k.nllSum(), 1e-9 * ref.nll[g], what + " NLL sum");
            assertEquals(ref.diceInter[g], k.diceIntersection());
            assertEquals(ref.diceSize[g], k.diceSizeSum());
            assertArrayEquals(ref.binCount[g], k.binCounts(), what + " bin counts");
            assertArrayEquals(ref.binCorrect[g], k.binCorrect(), what + " bin correct");
            assertArrayEquals(ref.binConf[g], k.binConfidenceSums(), 1e-9 * ref.pixels[g], what + " bin confidences");
            assertEquals(ref.brier[g], k.brierSum(), 1e-9 * ref.brier[g], what + " Brier sum");
        }
        System.out.printf("[gpu] %-48s maps, labels and counts agree with the reference%n", what);
    }

    /** Plain loops in double precision over the definitions. */
    private static final class Reference {
        final double[] mean;
        final int[] labels;
        final double[] entropy;
        final double[] mi;
        final double[] variance;
        final double[] soft;
        final int groups;
        final long[] pixels;
        final double[][] sums;
        final double[][] normalised;
        final long[][] agreeInter;
        final long[][] agreeSize;
        final long[][][] classInter;
        final long[][][] classSize;
        final long[][] classDiceInter;
        final long[][] classDiceSize;
        final double[] nll;
        final long[] diceInter;
        final long[] diceSize;
        final long[][] binCount;
        final long[][] binCorrect;
        final double[][] binConf;
        final double[] brier;

        Reference(List<NDArray> heads, int[] truth, int n, int c, int hw, boolean volume) {
            int t = heads.size();
            float[][] p = new float[t][];
            for (int k = 0; k < t; k++) {
                p[k] = heads.get(k).toFloatArray();
            }
            int total = n * hw;
            mean = new double[n * c * hw];
            labels = new int[total];
            entropy = new double[total];
            mi = new double[total];
            variance = new double[total];
            soft = new double[total];
            int[][] headLabel = new int[t][total];
            for (int i = 0; i < total; i++) {
                int img = i / hw;
                int x = i % hw;
                double headEnt = 0;
                int[] votes = new int[c];
                for (int k = 0; k < t; k++) {
                    int best = 0;
                    for (int cls = 0; cls < c; cls++) {
                        double v = p[k][(img * c + cls) * hw + x];
                        headEnt -= v * Math.log(v + EPS);
                        if (v > p[k][(img * c + best) * hw + x]) {
                            best = cls;
                        }
                    }
                    headLabel[k][i] = best;
                    votes[best]++;
                }
                double h = 0;
                int label = 0;
                for (int cls = 0; cls < c; cls++) {
                    double s = 0;
                    double sq = 0;
                    for (int k = 0; k < t; k++) {
                        double v = p[k][(img * c + cls) * hw + x];
                        s += v;
                        sq += v * v;
                    }
                    double m = s / t;
                    mean[(img * c + cls) * hw + x] = m;
                    h -= m * Math.log(m + EPS);
                    if (m > mean[(img * c + label) * hw + x]) {
                        label = cls;
                    }
                    double q = (double) votes[cls] / t;
                    variance[i] += q * (1 - q) / c;
                    soft[i] += Math.max(0, sq / t - m * m);
                }
                labels[i] = label;
                entropy[i] = h;
                mi[i] = h - headEnt / t;
            }
            groups = volume ? 1 : n;
            int per = volume ? total : hw;
            pixels = new long[groups];
            sums = new double[groups][3];
            normalised = new double[groups][3];
            agreeInter = new long[groups][t - 1];
            agreeSize = new long[groups][t - 1];
            classInter = new long[groups][t - 1][c];
            classSize = new long[groups][t - 1][c];
            classDiceInter = new long[groups][c];
            classDiceSize = new long[groups][c];
            nll = new double[groups];
            diceInter = new long[groups];
            diceSize = new long[groups];
            binCount = new long[groups][CudaLayerAgreement.BINS];
            binCorrect = new long[groups][CudaLayerAgreement.BINS];
            binConf = new double[groups][CudaLayerAgreement.BINS];
            brier = new double[groups];
            double[][] maps = {entropy, mi, variance};
            for (int g = 0; g < groups; g++) {
                pixels[g] = per;
                for (int m = 0; m < 3; m++) {
                    double lo = Double.POSITIVE_INFINITY;
                    double hi = Double.NEGATIVE_INFINITY;
                    for (int i = g * per; i < (g + 1) * per; i++) {
                        sums[g][m] += maps[m][i];
                        lo = Math.min(lo, maps[m][i]);
                        hi = Math.max(hi, maps[m][i]);
                    }
                    for (int i = g * per; hi > lo && i < (g + 1) * per; i++) {
                        normalised[g][m] += (maps[m][i] - lo) / (hi - lo);
                    }
                }
                for (int i = g * per; i < (g + 1) * per; i++) {
                    for (int k = 0; k + 1 < t; k++) {
                        int a = headLabel[k][i];
                        int b = headLabel[k + 1][i];
                        agreeInter[g][k] += a > 0 && b > 0 ? 1 : 0;
                        agreeSize[g][k] += (a > 0 ? 1 : 0) + (b > 0 ? 1 : 0);
                        classInter[g][k][a] += a == b ? 1 : 0;
                        classSize[g][k][a]++;
                        classSize[g][k][b]++;
                    }
                    int img = i / hw;
                    int x = i % hw;
                    int y = truth[i];
                    int l = labels[i];
                    nll[g] -= Math.log(mean[(img * c + y) * hw + x] + EPS);
                    diceInter[g] += l > 0 && y > 0 ? 1 : 0;
                    diceSize[g] += (l > 0 ? 1 : 0) + (y > 0 ? 1 : 0);
                    classDiceInter[g][y] += l == y ? 1 : 0;
                    classDiceSize[g][l]++;
                    classDiceSize[g][y]++;
                    double conf = mean[(img * c + l) * hw + x];
                    int bin = Math.max(0, Math.min(CudaLayerAgreement.BINS - 1, (int) (conf * CudaLayerAgreement.BINS)));
                    binCount[g][bin]++;
                    binConf[g][bin] += conf;
                    binCorrect[g][bin] += l == y ? 1 : 0;
                    for (int cls = 0; cls < c; cls++) {
                        double d = mean[(img * c + cls) * hw + x] - (cls == y ? 1 : 0);
                        brier[g] += d * d;
                    }
                }
            }
        }
    }
}
