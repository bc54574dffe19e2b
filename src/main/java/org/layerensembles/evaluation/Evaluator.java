package org.layerensembles.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.data.Batches;
import org.layerensembles.data.SegmentationDataset;
import org.layerensembles.ensemble.CombineRule;
import org.layerensembles.ensemble.HeadCombiner;
import org.layerensembles.ensemble.HeadOutputs;
import org.layerensembles.ensemble.SegmentationModel;
import org.layerensembles.metrics.Calibration;
import org.layerensembles.metrics.Overlap;
import org.layerensembles.metrics.ReliabilityBins;
import org.layerensembles.metrics.SurfaceDistance;
import org.layerensembles.metrics.SurfaceDistances;
import org.layerensembles.report.ImageResult;
import org.layerensembles.uncertainty.FusedUncertainty;
import org.layerensembles.uncertainty.UncertaintyOptions;
import org.layerensembles.uncertainty.UncertaintyResult;

/**
 * Evaluates one trained model on a labelled dataset: per image DSC, HD95, MHD, NLL and the
 * uncertainty scores (entropy, MI, variance, AULA with its agreement curve) of the heads kept
 * after skipping the first S; NLL and DSC for every possible skip; pooled reliability bins; a
 * few cases for heatmap figures. Runs in eval mode without a graph, one memory scope per batch.
 */
public final class Evaluator {
    private static final int CALIBRATION_BINS = 15;

    /**
     * @param skip      heads to skip (METHOD.md §4); 0 for single-output models
     * @param rule      how the kept heads make the label map
     * @param spacing   pixel spacing [row, column] in physical units for HD95 and MHD
     * @param batchSize images per forward pass
     * @param heatmaps  how many of the first images to keep for heatmap figures
     */
    public record Options(int skip, CombineRule rule, double[] spacing, int batchSize, int heatmaps) {
        public Options {
            if (skip < 0 || batchSize < 1 || heatmaps < 0 || spacing.length != 2) {
                throw new IllegalArgumentException("evaluation needs skip >= 0, batchSize >= 1, heatmaps >= 0 and a 2-value spacing");
            }
        }

        public static Options defaults() {
            return new Options(0, CombineRule.MEAN, new double[] {1, 1}, 8, 4);
        }
    }

    /** One case kept for figures: the image, its entropy map, the predicted and the true labels. */
    public record Case(String name, int height, int width, float[] image, float[] entropy, int[] prediction, int[] truth) {
    }

    /** All results of one model on one dataset. */
    public record MethodEvaluation(String method, int heads, List<ImageResult> images, double[] nllBySkip,
                                   double[] diceBySkip, ReliabilityBins reliability, List<Case> cases) {
    }

    private Evaluator() {
    }

    public static MethodEvaluation evaluate(SegmentationModel model, SegmentationDataset data, Options options) {
        model.module().eval();
        List<ImageResult> results = new ArrayList<>();
        List<Case> cases = new ArrayList<>();
        double[] nllSum = null;
        double[] diceSum = null;
        long[] binCount = new long[CALIBRATION_BINS];
        double[] binConfidence = new double[CALIBRATION_BINS];
        double[] binAccuracy = new double[CALIBRATION_BINS];
        double[] lower = null;
        double[] upper = null;
        int heads = 0;
        int n = data.size();
        if (n == 0) {
            throw new IllegalArgumentException("no images to evaluate");
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < n; from += options.batchSize()) {
                int[] indices = range(from, Math.min(n, from + options.batchSize()));
                try (MemoryScope batchScope = MemoryScope.open()) {
                    Batches.Batch batch = Batches.of(data, indices);
                    HeadOutputs outputs = model.heads(batch.images());
                    heads = outputs.size();
                    int skip = options.skip();
                    if (skip >= heads) {
                        throw new IllegalArgumentException("skipping " + skip + " heads leaves none: " + model.method()
                                + " has " + heads);
                    }
                    List<NDArray> probabilities = HeadCombiner.probabilities(outputs, 0);
                    NDArray truth = batch.masks().data();
                    int[] truthLabels = truth.toIntArray();
                    UncertaintyResult kept = FusedUncertainty.compute(probabilities.subList(skip, heads), truth,
                            UncertaintyOptions.defaults());
                    NDArray labels = options.rule() == CombineRule.MEAN ? kept.labels()
                            : HeadCombiner.combine(outputs, options.rule(), skip).labels();
                    int[] predicted = labels.toIntArray();
                    int[] shape = truth.shape();
                    int pixels = shape[1] * shape[2];
                    for (int i = 0; i < indices.length; i++) {
                        int[] p = Arrays.copyOfRange(predicted, i * pixels, (i + 1) * pixels);
                        int[] t = Arrays.copyOfRange(truthLabels, i * pixels, (i + 1) * pixels);
                        results.add(imageResult(model.method(), batch.names().get(i), p, t, shape, options, kept, i, heads - skip));
                        if (cases.size() < options.heatmaps()) {
                            cases.add(caseOf(batch, i, kept, p, t, shape));
                        }
                    }
                    if (nllSum == null) {
                        nllSum = new double[heads];
                        diceSum = new double[heads];
                    }
                    for (int s = 0; s < heads; s++) {
                        UncertaintyResult r = s == skip ? kept
                                : FusedUncertainty.compute(probabilities.subList(s, heads), truth, UncertaintyOptions.defaults());
                        for (int i = 0; i < indices.length; i++) {
                            nllSum[s] += r.nll()[i];
                            diceSum[s] += r.dice()[i];
                        }
                    }
                    ReliabilityBins bins = Calibration.bins(kept.meanProbabilities(), truthLabels, CALIBRATION_BINS);
                    lower = bins.lower();
                    upper = bins.upper();
                    for (int b = 0; b < CALIBRATION_BINS; b++) {
                        binConfidence[b] += bins.meanConfidence()[b] * bins.count()[b];
                        binAccuracy[b] += bins.accuracy()[b] * bins.count()[b];
                        binCount[b] += bins.count()[b];
                    }
                }
            }
        }
        for (int b = 0; b < CALIBRATION_BINS; b++) {
            binConfidence[b] = binCount[b] == 0 ? 0 : binConfidence[b] / binCount[b];
            binAccuracy[b] = binCount[b] == 0 ? 0 : binAccuracy[b] / binCount[b];
        }
        for (int s = 0; s < heads; s++) {
            nllSum[s] /= n;
            diceSum[s] /= n;
        }
        return new MethodEvaluation(model.method(), heads, results, nllSum, diceSum,
                new ReliabilityBins(lower, upper, binCount, binConfidence, binAccuracy), cases);
    }

    private static ImageResult imageResult(String method, String name, int[] predicted, int[] truth, int[] shape,
                                           Options options, UncertaintyResult r, int i, int keptHeads) {
        boolean[] p = Overlap.foreground(predicted);
        boolean[] t = Overlap.foreground(truth);
        double dice = Overlap.dice(p, t, true);
        SurfaceDistances d = SurfaceDistance.compute(p, t, new int[] {shape[1], shape[2]}, options.spacing());
        boolean ensemble = keptHeads > 1;
        return new ImageResult(method, name, dice, d.hd95(), d.mhd(), r.nll()[i], r.entropyScore()[i],
                ensemble ? r.miScore()[i] : Double.NaN, ensemble ? r.varianceScore()[i] : Double.NaN,
                ensemble ? r.aula()[i] : Double.NaN, ensemble ? r.agreement()[i].clone() : new double[0]);
    }

    private static Case caseOf(Batches.Batch batch, int i, UncertaintyResult r, int[] predicted, int[] truth, int[] shape) {
        int h = shape[1];
        int w = shape[2];
        float[] image = batch.images().data().select(0, i).select(0, 0).toFloatArray();
        float[] entropy = r.entropy().select(0, i).toFloatArray();
        return new Case(batch.names().get(i), h, w, image, entropy, predicted, truth);
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
