package org.layerensembles.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@link ReportWriter} turns into tables and figures. Null collections are taken as
 * empty; map iteration order is kept.
 *
 * @param images      per-image results of every method
 * @param nllBySkip   method → mean NLL over the test set for S = 0..T-1 skipped heads
 * @param diceBySkip  method → mean DSC for S = 0..T-1
 * @param reliability method → reliability-diagram bins
 * @param heatmaps    a few cases to draw (image, uncertainty overlay, prediction contour)
 * @param tau         the "poor segmentation" threshold of the quality-control curves (DSC &lt; τ)
 * @param provenance  key → value lines identifying the run (commit, checkpoint, data, seed, ...)
 */
public record Report(List<ImageResult> images, Map<String, double[]> nllBySkip,
                     Map<String, double[]> diceBySkip, Map<String, ReliabilityData> reliability,
                     List<Heatmap> heatmaps, double tau, Map<String, String> provenance) {

    public Report {
        images = images == null ? List.of() : List.copyOf(images);
        nllBySkip = ordered(nllBySkip);
        diceBySkip = ordered(diceBySkip);
        reliability = ordered(reliability);
        heatmaps = heatmaps == null ? List.of() : List.copyOf(heatmaps);
        provenance = ordered(provenance);
    }

    private static <V> Map<String, V> ordered(Map<String, V> m) {
        return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
