package org.layerensembles.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportWriterTest {

    private static final List<String> METHODS = List.of("LE", "Plain", "MH", "DE");
    private static final int IMAGES = 12;
    private static final int HEADS = 10;

    /** A small synthetic report: 4 methods x 12 images; Plain has no MI/variance/AULA. */
    static Report syntheticReport() {
        Random rnd = new Random(42);
        List<ImageResult> images = new ArrayList<>();
        for (String m : METHODS) {
            boolean plain = m.equals("Plain");
            for (int i = 0; i < IMAGES; i++) {
                double dice = 0.6 + 0.4 * rnd.nextDouble();
                double unc = (1 - dice) * 100 + rnd.nextDouble() * 5;
                double mhd = i == 3 && m.equals("MH") ? Double.POSITIVE_INFINITY : (1 - dice) * 10;
                double[] agreements = new double[plain ? 0 : HEADS - 1];
                double aula = Double.NaN;
                if (!plain) {
                    for (int k = 0; k < agreements.length; k++) {
                        agreements[k] = Math.min(1, dice + 0.05 * k / agreements.length);
                    }
                    aula = 0;
                    for (double a : agreements) {
                        aula += a;
                    }
                    aula -= 0.5 * (agreements[0] + agreements[agreements.length - 1]);
                }
                images.add(new ImageResult(m, "case_" + i, dice, mhd * 1.5, mhd, unc / 50, unc,
                        plain ? Double.NaN : unc / 3, plain ? Double.NaN : unc / 7, aula, agreements));
            }
        }
        Map<String, double[]> nll = new LinkedHashMap<>();
        Map<String, double[]> dsc = new LinkedHashMap<>();
        for (String m : METHODS) {
            int t = m.equals("Plain") ? 1 : HEADS;
            double[] n = new double[t];
            double[] d = new double[t];
            for (int s = 0; s < t; s++) {
                n[s] = 0.3 + 0.05 * s;
                d[s] = 0.87 - 0.01 * s;
            }
            nll.put(m, n);
            dsc.put(m, d);
        }
        Map<String, ReliabilityData> rel = new LinkedHashMap<>();
        for (String m : METHODS) {
            double[] conf = new double[15];
            double[] acc = new double[15];
            long[] count = new long[15];
            for (int b = 0; b < 15; b++) {
                conf[b] = (b + 0.5) / 15;
                acc[b] = Math.min(1, conf[b] * 0.95);
                count[b] = b < 5 ? 0 : 100 * b; // empty low bins
                if (b < 5) {
                    conf[b] = Double.NaN;
                    acc[b] = Double.NaN;
                }
            }
            rel.put(m, new ReliabilityData(conf, acc, count));
        }
        List<Heatmap> heatmaps = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            int w = 32;
            float[] img = new float[w * w];
            float[] unc = new float[w * w];
            int[] pred = new int[w * w];
            for (int y = 0; y < w; y++) {
                for (int x = 0; x < w; x++) {
                    double r = Math.hypot(x - 16, y - 16);
                    img[y * w + x] = (float) (Math.exp(-r * r / 60) + 0.1 * rnd.nextGaussian());
                    unc[y * w + x] = (float) Math.exp(-(r - 8) * (r - 8) / 4);
                    pred[y * w + x] = r < 8 + c ? 1 : 0;
                }
            }
            heatmaps.add(new Heatmap("case_" + c, img, unc, pred, w, w));
        }
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("commit", "abc123");
        prov.put("dataset", "synthetic masses | test split");
        return new Report(images, nll, dsc, rel, heatmaps, 0.9, prov);
    }

    @Test
    void writesAllFilesThatParseBack(@TempDir Path dir) throws IOException {
        Report report = syntheticReport();
        Path out = dir.resolve("report");
        ReportWriter.write(out, report);
        if (System.getProperty("report.view") != null) { // -Dreport.view=DIR keeps a copy to look at
            ReportWriter.write(Path.of(System.getProperty("report.view")), report);
        }
        assertTrue(GraphicsEnvironment.isHeadless());

        Set<String> expected = new TreeSet<>(List.of(ReportWriter.PER_IMAGE_CSV, ReportWriter.SUMMARY_MD,
                ReportWriter.QC_PNG, ReportWriter.SKIP_PNG, ReportWriter.AGREEMENT_PNG,
                ReportWriter.RELIABILITY_PNG, ReportWriter.HEATMAPS_PNG));
        assertEquals(expected, listing(out), "exactly the report files, no temporary file");

        // per_image.csv: header + one row per result, values round-trip, NaN as empty.
        List<String> lines = Files.readAllLines(out.resolve(ReportWriter.PER_IMAGE_CSV));
        assertEquals(ReportWriter.CSV_HEADER, lines.getFirst());
        assertEquals(report.images().size() + 1, lines.size());
        Map<String, ImageResult> byKey = new HashMap<>();
        for (ImageResult r : report.images()) {
            byKey.put(r.method() + "/" + r.image(), r);
        }
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            assertEquals(11, f.length, line);
            ImageResult r = byKey.get(f[0] + "/" + f[1]);
            assertNotNull(r, line);
            double[] values = {r.dice(), r.hd95(), r.mhd(), r.nll(), r.entropy(), r.mutualInformation(),
                r.variance(), r.aula()};
            for (int i = 0; i < values.length; i++) {
                double parsed = f[i + 2].isEmpty() ? Double.NaN : Double.parseDouble(f[i + 2]);
                assertEquals(values[i], parsed, 0.0, line);
            }
            double[] agreements = f[10].isEmpty() ? new double[0]
                    : Stream.of(f[10].split(";")).mapToDouble(Double::parseDouble).toArray();
            assertArrayEquals(r.agreements(), agreements, 0.0);
            assertFalse(line.contains("NaN"), line);
        }

        String summary = Files.readString(out.resolve(ReportWriter.SUMMARY_MD), StandardCharsets.UTF_8);
        for (String section : List.of("# Evaluation summary", "## Findings", "## Metrics per method: mean (std)",
                "## Spearman correlation", "## NLL and DSC by number of skipped heads S", "### NLL",
                "### DSC", "## Quality control", "## Wilcoxon signed-rank tests", "## Figures",
                "## Provenance", "| LE vs |", "| Plain |", "| -AULA |", "abc123",
                "synthetic masses \\| test split", "1 infinite MHD value(s)", "| 9 |")) {
            assertTrue(summary.contains(section), "summary lacks " + section + ":\n" + summary);
        }
        assertFalse(summary.contains("NaN"), summary);
        assertFalse(summary.contains("Infinity"), summary);
        assertFalse(summary.contains("not written"), summary);
        // Plain has no MI/variance/AULA: "—" in its rows.
        String plainMetrics = summary.lines().filter(l -> l.startsWith("| Plain | 12 |")).findFirst().orElseThrow();
        assertTrue(plainMetrics.endsWith("| — | — | — |"), plainMetrics);
        // Plain's QC rows: entropy only.
        assertEquals(1, summary.lines().filter(l -> l.startsWith("| Plain | ")
                && (l.contains("| Entropy |") || l.contains("| MI |") || l.contains("-AULA"))).count());
        // Wilcoxon rows for the three other methods, 12 pairs each.
        String wilcoxon = summary.substring(summary.indexOf("## Wilcoxon"), summary.indexOf("## Figures"));
        assertEquals(3, wilcoxon.lines().filter(l -> l.matches("\\| (Plain|MH|DE) \\| 12 \\| .*")).count(), wilcoxon);

        assertPng(out.resolve(ReportWriter.QC_PNG), 2 * ReportWriter.PANEL_WIDTH, 2 * ReportWriter.PANEL_HEIGHT);
        assertPng(out.resolve(ReportWriter.SKIP_PNG), 2 * ReportWriter.PANEL_WIDTH, ReportWriter.PANEL_HEIGHT);
        assertPng(out.resolve(ReportWriter.AGREEMENT_PNG), ReportWriter.AGREEMENT_WIDTH, ReportWriter.AGREEMENT_HEIGHT);
        assertPng(out.resolve(ReportWriter.RELIABILITY_PNG), ReportWriter.RELIABILITY_WIDTH, ReportWriter.RELIABILITY_HEIGHT);
        int panel = 32 * (ReportWriter.HEATMAP_TARGET / 32);
        assertPng(out.resolve(ReportWriter.HEATMAPS_PNG), 3 * panel + 4 * ReportWriter.HEATMAP_GAP,
                ReportWriter.HEATMAP_GAP + 2 * (ReportWriter.HEATMAP_HEADER + panel + ReportWriter.HEATMAP_GAP));

        // Rewriting replaces the files and still leaves no temporary file.
        ReportWriter.write(out, report);
        assertEquals(expected, listing(out));
    }

    @Test
    void sparseReportHasNoNaNAndSkipsEmptyFigures(@TempDir Path dir) throws IOException {
        List<ImageResult> images = List.of(
                new ImageResult("Plain", "a,\"b\"", 0.8, Double.NaN, Double.NaN, 0.2, 1.0,
                        Double.NaN, Double.NaN, Double.NaN, null),
                new ImageResult("Plain", "c", 0.95, 1.0, 1.0, 0.1, 0.5,
                        Double.NaN, Double.NaN, Double.NaN, new double[0]));
        Report report = new Report(images, null, null, null, null, 0.9, null);
        ReportWriter.write(dir, report);
        assertEquals(new TreeSet<>(List.of(ReportWriter.PER_IMAGE_CSV, ReportWriter.SUMMARY_MD,
                ReportWriter.QC_PNG)), listing(dir));
        String summary = Files.readString(dir.resolve(ReportWriter.SUMMARY_MD));
        assertFalse(summary.contains("NaN"), summary);
        assertTrue(summary.contains("No LE results"), summary);
        assertTrue(summary.contains(ReportWriter.AGREEMENT_PNG + ": not written (no data)"), summary);
        assertTrue(summary.contains("None recorded."), summary);
        List<String> lines = Files.readAllLines(dir.resolve(ReportWriter.PER_IMAGE_CSV));
        assertEquals("Plain,\"a,\"\"b\"\"\",0.8,,,0.2,1.0,,,,", lines.get(1));
        assertPng(dir.resolve(ReportWriter.QC_PNG), ReportWriter.PANEL_WIDTH, ReportWriter.PANEL_HEIGHT);
    }

    @Test
    void formatsNeverPrintNaN() {
        assertEquals("—", ReportWriter.fmt(Double.NaN));
        assertEquals("—", ReportWriter.fmt(Double.POSITIVE_INFINITY));
        assertEquals("0.865", ReportWriter.fmt(0.8654));
        assertEquals("1.000e-05", ReportWriter.fmt(1e-5));
        assertEquals("—", ReportWriter.meanStd(new double[] {Double.NaN, Double.NaN}));
        assertEquals("2.000 (1.000)", ReportWriter.meanStd(new double[] {1, 3, Double.NaN}));
        assertEquals("—", ReportWriter.fmtP(Double.NaN));
        assertEquals("1.00e-04", ReportWriter.fmtP(1e-4));
    }

    private static void assertPng(Path file, int width, int height) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img, file + " does not decode");
        assertEquals(width, img.getWidth(), file + " width");
        assertEquals(height, img.getHeight(), file + " height");
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
