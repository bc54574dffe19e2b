package org.layerensembles.evaluation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layerensembles.report.Heatmap;
import org.layerensembles.report.ImageResult;
import org.layerensembles.report.ReliabilityData;
import org.layerensembles.report.Report;
import org.layerensembles.report.ReportWriter;

/** Turns the evaluations of several methods on one dataset into the report files. */
public final class Reports {
    private Reports() {
    }

    /**
     * Writes per_image.csv, summary.md and the figures into {@code folder}. Heatmaps are taken
     * from the first evaluation (LE when it is given first).
     *
     * @param tau the DSC below which a segmentation counts as poor in the quality-control curves
     */
    public static Report write(Path folder, List<Evaluator.MethodEvaluation> evaluations, double tau,
                               Map<String, String> provenance) throws IOException {
        List<ImageResult> images = new ArrayList<>();
        Map<String, double[]> nll = new LinkedHashMap<>();
        Map<String, double[]> dice = new LinkedHashMap<>();
        Map<String, ReliabilityData> reliability = new LinkedHashMap<>();
        for (Evaluator.MethodEvaluation e : evaluations) {
            images.addAll(e.images());
            nll.put(e.method(), e.nllBySkip());
            dice.put(e.method(), e.diceBySkip());
            reliability.put(e.method(), new ReliabilityData(e.reliability().meanConfidence(), e.reliability().accuracy(),
                    e.reliability().count()));
        }
        List<Heatmap> heatmaps = new ArrayList<>();
        if (!evaluations.isEmpty()) {
            for (Evaluator.Case c : evaluations.get(0).cases()) {
                heatmaps.add(new Heatmap(c.name(), c.image(), c.entropy(), c.prediction(), c.width(), c.height()));
            }
        }
        Report report = new Report(images, nll, dice, reliability, heatmaps, tau, provenance);
        ReportWriter.write(folder, report);
        return report;
    }
}
