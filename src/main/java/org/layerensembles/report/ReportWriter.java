package org.layerensembles.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.AWTError;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Writes the evaluation report of METHOD.md §6 into a folder: {@code per_image.csv},
 * {@code summary.md} and PNG figures ({@code qc_curves.png}, {@code nll_vs_skip.png},
 * {@code agreement_curves.png}, {@code reliability.png}, {@code heatmaps.png}).
 *
 * <p>Every file is written atomically: to a temporary file in the same folder, then renamed over
 * the target; a failure leaves no temporary file behind. A figure with no data is not written;
 * a figure that cannot be rendered (e.g. no fonts on a bare machine) is skipped and the reason is
 * listed in {@code summary.md} rather than failing the report.
 *
 * <p>Rules of the summary:
 * <ul>
 *   <li>Methods appear in the order LE, Plain, MH, DE, then any others in order of appearance.</li>
 *   <li>Mean (std): over the images with a finite value; std is the population standard deviation
 *       (ddof = 0, as numpy's default). "—" where a method has no value (never NaN).</li>
 *   <li>Infinite distances (one mask empty) are replaced, for the summary, the correlations and
 *       the tests, by the largest finite value of that metric over the whole table (all methods),
 *       as the original did; the number replaced is stated. {@code per_image.csv} keeps them.</li>
 *   <li>Spearman correlations (paper Table 2) per method of {DSC, MHD} with {entropy, MI,
 *       variance, AULA}; "—" where undefined (e.g. Plain has no MI).</li>
 *   <li>Quality-control curves use entropy, MI, variance and -AULA as uncertainties.</li>
 *   <li>Wilcoxon signed-rank tests pair LE and each other method by image name.</li>
 * </ul>
 */
public final class ReportWriter {

    static {
        // XChart and java.awt render off-screen; must be set before AWT initialises.
        System.setProperty("java.awt.headless", "true");
    }

    /** Canonical method order. */
    public static final List<String> METHOD_ORDER = List.of("LE", "Plain", "MH", "DE");
    /** Size of one chart panel in pixels. */
    public static final int PANEL_WIDTH = 600;
    public static final int PANEL_HEIGHT = 450;
    /** Size of the agreement-curve and reliability figures. */
    public static final int AGREEMENT_WIDTH = 800;
    public static final int AGREEMENT_HEIGHT = 500;
    public static final int RELIABILITY_WIDTH = 700;
    public static final int RELIABILITY_HEIGHT = 600;
    /** Heatmap layout: target panel size, gap and per-case header height. */
    public static final int HEATMAP_TARGET = 192;
    public static final int HEATMAP_GAP = 8;
    public static final int HEATMAP_HEADER = 20;
    /** Most cases drawn in heatmaps.png; most curves per group in agreement_curves.png. */
    public static final int MAX_HEATMAPS = 8;
    public static final int AGREEMENT_CASES = 3;

    public static final String PER_IMAGE_CSV = "per_image.csv";
    public static final String SUMMARY_MD = "summary.md";
    public static final String QC_PNG = "qc_curves.png";
    public static final String SKIP_PNG = "nll_vs_skip.png";
    public static final String AGREEMENT_PNG = "agreement_curves.png";
    public static final String RELIABILITY_PNG = "reliability.png";
    public static final String HEATMAPS_PNG = "heatmaps.png";

    static final String DASH = "—";
    static final String CSV_HEADER =
            "method,image,dice,hd95,mhd,nll,entropy,mi,variance,aula,agreements";

    private ReportWriter() {
    }

    /** A metric column of the per-image table. */
    enum Metric {
        DSC("DSC", ImageResult::dice),
        HD95("HD95", ImageResult::hd95),
        MHD("MHD", ImageResult::mhd),
        NLL("NLL", ImageResult::nll),
        ENTROPY("Entropy", ImageResult::entropy),
        MI("MI", ImageResult::mutualInformation),
        VARIANCE("Variance", ImageResult::variance),
        AULA("AULA", ImageResult::aula);

        final String label;
        final ToDoubleFunction<ImageResult> get;

        Metric(String label, ToDoubleFunction<ImageResult> get) {
            this.label = label;
            this.get = get;
        }
    }

    /** The uncertainty measures of the correlations and QC curves. */
    private static final List<Metric> UNCERTAINTIES =
            List.of(Metric.ENTROPY, Metric.MI, Metric.VARIANCE, Metric.AULA);

    /**
     * Writes the report into {@code folder} (created if missing), replacing earlier files of the
     * same names.
     */
    public static void write(Path folder, Report report) throws IOException {
        Files.createDirectories(folder);
        Tables t = new Tables(report);
        writeText(folder.resolve(PER_IMAGE_CSV), perImageCsv(report.images()));

        Map<String, String> figures = new LinkedHashMap<>(); // file -> "" written, or reason
        figure(folder, QC_PNG, figures, () -> qcFigure(t));
        figure(folder, SKIP_PNG, figures, () -> skipFigure(report));
        figure(folder, AGREEMENT_PNG, figures, () -> agreementFigure(t));
        figure(folder, RELIABILITY_PNG, figures, () -> reliabilityFigure(report));
        figure(folder, HEATMAPS_PNG, figures, () -> heatmapFigure(report.heatmaps()));

        writeText(folder.resolve(SUMMARY_MD), summary(report, t, figures));
    }

    // ------------------------------------------------------------------ tables

    /** Per-method columns with infinities replaced, shared by the summary and figures. */
    static final class Tables {
        final List<String> methods;
        final Map<String, List<ImageResult>> byMethod = new LinkedHashMap<>();
        final Map<Metric, Integer> replacedInfinities = new LinkedHashMap<>();
        private final Map<Metric, double[]> finiteRange = new LinkedHashMap<>();
        final double tau;

        Tables(Report report) {
            tau = report.tau();
            LinkedHashSet<String> seen = new LinkedHashSet<>();
            for (ImageResult r : report.images()) {
                seen.add(r.method());
                byMethod.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
            }
            List<String> order = new ArrayList<>();
            for (String m : METHOD_ORDER) {
                if (seen.contains(m)) {
                    order.add(m);
                }
            }
            for (String m : seen) {
                if (!order.contains(m)) {
                    order.add(m);
                }
            }
            methods = List.copyOf(order);
            for (Metric metric : Metric.values()) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                int inf = 0;
                for (ImageResult r : report.images()) {
                    double v = metric.get.applyAsDouble(r);
                    if (Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    } else if (Double.isInfinite(v)) {
                        inf++;
                    }
                }
                finiteRange.put(metric, new double[] {lo, hi});
                replacedInfinities.put(metric, inf);
            }
        }

        /** A method's column of a metric, infinities replaced by the table's finite extremes. */
        double[] column(String method, Metric metric) {
            List<ImageResult> rs = byMethod.getOrDefault(method, List.of());
            double[] range = finiteRange.get(metric);
            double[] v = new double[rs.size()];
            for (int i = 0; i < v.length; i++) {
                double x = metric.get.applyAsDouble(rs.get(i));
                if (x == Double.POSITIVE_INFINITY) {
                    x = Double.isFinite(range[1]) ? range[1] : Double.NaN;
                } else if (x == Double.NEGATIVE_INFINITY) {
                    x = Double.isFinite(range[0]) ? range[0] : Double.NaN;
                }
                v[i] = x;
            }
            return v;
        }

        /** The uncertainty column used for sorting (higher = less certain): -AULA for AULA. */
        double[] uncertainty(String method, Metric metric) {
            double[] v = column(method, metric);
            if (metric == Metric.AULA) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = -v[i];
                }
            }
            return v;
        }

        /** The QC curve of a method and measure, or null if the method has no such value. */
        QcCurve qc(String method, Metric measure) {
            double[] u = uncertainty(method, measure);
            double[] d = column(method, Metric.DSC);
            for (int i = 0; i < u.length; i++) {
                if (!Double.isNaN(u[i]) && !Double.isNaN(d[i])) {
                    return QualityControl.curve(u, d, tau);
                }
            }
            return null;
        }
    }

    static String perImageCsv(List<ImageResult> images) {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (ImageResult r : images) {
            sb.append(csvField(r.method())).append(',').append(csvField(r.image()));
            for (double v : new double[] {r.dice(), r.hd95(), r.mhd(), r.nll(), r.entropy(),
                    r.mutualInformation(), r.variance(), r.aula()}) {
                sb.append(',').append(csvNumber(v));
            }
            sb.append(',');
            double[] a = r.agreements();
            for (int i = 0; i < a.length; i++) {
                sb.append(i > 0 ? ";" : "").append(csvNumber(a[i]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** NaN as empty; otherwise Java's shortest round-trip form ("Infinity" for +∞). */
    static String csvNumber(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0
                && s.indexOf('\r') < 0 && s.indexOf(';') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    // ----------------------------------------------------------------- summary

    static String summary(Report report, Tables t, Map<String, String> figures) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Evaluation summary\n\n");
        sb.append("Methods: ").append(t.methods.isEmpty() ? DASH : String.join(", ", t.methods))
                .append(". Images: ").append(report.images().size()).append(" results. ")
                .append("Quality-control threshold: DSC < τ = ").append(fmt(report.tau()))
                .append(".\n\n");
        sb.append(findings(t));

        sb.append("## Metrics per method: mean (std)\n\n");
        sb.append("Population std (ddof = 0) over the images with a value; ").append(DASH)
                .append(" where a method has no such value.\n");
        for (Metric m : Metric.values()) {
            int n = t.replacedInfinities.get(m);
            if (n > 0) {
                sb.append("- ").append(n).append(" infinite ").append(m.label)
                        .append(" value(s) (one mask empty) replaced by the largest finite ")
                        .append(m.label).append(" of the table.\n");
            }
        }
        sb.append('\n');
        sb.append("| Method | N |");
        for (Metric m : Metric.values()) {
            sb.append(' ').append(m.label).append(" |");
        }
        sb.append('\n').append("|---|---|");
        sb.append("---|".repeat(Metric.values().length)).append('\n');
        for (String method : t.methods) {
            sb.append("| ").append(md(method)).append(" | ")
                    .append(t.byMethod.get(method).size()).append(" |");
            for (Metric m : Metric.values()) {
                sb.append(' ').append(meanStd(t.column(method, m))).append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');

        sb.append("## Spearman correlation of segmentation quality with uncertainty (paper Table 2)\n\n");
        sb.append("Per method across test images; ").append(DASH)
                .append(" where undefined (no such uncertainty, fewer than 3 images, or a constant column).\n\n");
        sb.append("| Method |");
        for (Metric q : List.of(Metric.DSC, Metric.MHD)) {
            for (Metric u : UNCERTAINTIES) {
                sb.append(' ').append(q.label).append(" vs ").append(u.label).append(" |");
            }
        }
        sb.append('\n').append("|---|").append("---|".repeat(2 * UNCERTAINTIES.size())).append('\n');
        for (String method : t.methods) {
            sb.append("| ").append(md(method)).append(" |");
            for (Metric q : List.of(Metric.DSC, Metric.MHD)) {
                for (Metric u : UNCERTAINTIES) {
                    double rho = Statistics.spearman(t.column(method, q), t.column(method, u));
                    sb.append(' ').append(fmt(rho)).append(" |");
                }
            }
            sb.append('\n');
        }
        sb.append('\n');

        sb.append("## NLL and DSC by number of skipped heads S\n\n");
        skipTable(sb, "NLL", report.nllBySkip());
        skipTable(sb, "DSC", report.diceBySkip());

        sb.append("## Quality control (DSC < τ = ").append(fmt(report.tau())).append(")\n\n");
        sb.append("Area under the curve of the fraction of all images that are poor and unflagged, "
                + "flagging the most uncertain first (f = linspace(0, 1, 50), trapezoid dx = 1/49; "
                + "lower is better). AULA is a certainty, so -AULA is the uncertainty.\n\n");
        sb.append("| Method | Uncertainty | Area | Random | Ideal |\n|---|---|---|---|---|\n");
        int qcRows = 0;
        for (String method : t.methods) {
            for (Metric u : UNCERTAINTIES) {
                QcCurve c = t.qc(method, u);
                if (c == null) {
                    continue;
                }
                qcRows++;
                sb.append("| ").append(md(method)).append(" | ")
                        .append(u == Metric.AULA ? "-AULA" : u.label).append(" | ")
                        .append(fmt(c.area())).append(" | ").append(fmt(c.randomArea()))
                        .append(" | ").append(fmt(c.idealArea())).append(" |\n");
            }
        }
        if (qcRows == 0) {
            sb.append("| ").append(DASH).append(" | ").append(DASH).append(" | ").append(DASH)
                    .append(" | ").append(DASH).append(" | ").append(DASH).append(" |\n");
        }
        sb.append('\n');

        sb.append("## Wilcoxon signed-rank tests: LE vs each method\n\n");
        sb.append("Paired by image, two-sided; exact null distribution for n ≤ ")
                .append(Statistics.WILCOXON_EXACT_MAX_N)
                .append(" non-zero differences, normal approximation above.\n\n");
        if (!t.byMethod.containsKey("LE")) {
            sb.append("No LE results: no tests.\n\n");
        } else {
            sb.append("| LE vs | Pairs | Mean DSC diff (LE - other) | p (DSC) | Mean NLL diff (LE - other) | p (NLL) |\n");
            sb.append("|---|---|---|---|---|---|\n");
            for (String other : t.methods) {
                if (other.equals("LE")) {
                    continue;
                }
                double[][] dice = paired(t, "LE", other, Metric.DSC);
                double[][] nll = paired(t, "LE", other, Metric.NLL);
                sb.append("| ").append(md(other)).append(" | ").append(dice[0].length).append(" | ")
                        .append(fmt(meanDiff(dice))).append(" | ")
                        .append(fmtP(Statistics.wilcoxonSignedRankP(dice[0], dice[1]))).append(" | ")
                        .append(fmt(meanDiff(nll))).append(" | ")
                        .append(fmtP(Statistics.wilcoxonSignedRankP(nll[0], nll[1]))).append(" |\n");
            }
            sb.append('\n');
        }

        sb.append("## Figures\n\n");
        for (Map.Entry<String, String> f : figures.entrySet()) {
            sb.append("- ").append(f.getKey()).append(": ")
                    .append(f.getValue().isEmpty() ? "written" : "not written (" + f.getValue() + ")")
                    .append('\n');
        }
        sb.append('\n');

        sb.append("## Provenance\n\n");
        if (report.provenance().isEmpty()) {
            sb.append("None recorded.\n");
        } else {
            sb.append("| Key | Value |\n|---|---|\n");
            for (Map.Entry<String, String> e : report.provenance().entrySet()) {
                sb.append("| ").append(md(e.getKey())).append(" | ")
                        .append(md(String.valueOf(e.getValue()))).append(" |\n");
            }
        }
        return sb.toString();
    }

    private static void skipTable(StringBuilder sb, String label, Map<String, double[]> bySkip) {
        sb.append("### ").append(label).append("\n\n");
        if (bySkip.isEmpty()) {
            sb.append("Not recorded.\n\n");
            return;
        }
        int rows = 0;
        sb.append("| S |");
        for (String m : bySkip.keySet()) {
            sb.append(' ').append(md(m)).append(" |");
            rows = Math.max(rows, bySkip.get(m).length);
        }
        sb.append('\n').append("|---|").append("---|".repeat(bySkip.size())).append('\n');
        for (int s = 0; s < rows; s++) {
            sb.append("| ").append(s).append(" |");
            for (double[] v : bySkip.values()) {
                sb.append(' ').append(s < v.length ? fmt(v[s]) : DASH).append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
    }

    /** {a, b}: values of two methods on the images both have, in the first method's order. */
    static double[][] paired(Tables t, String a, String b, Metric metric) {
        List<ImageResult> ra = t.byMethod.get(a);
        List<ImageResult> rb = t.byMethod.getOrDefault(b, List.of());
        double[] ca = t.column(a, metric);
        double[] cb = t.column(b, metric);
        Map<String, Integer> indexB = new LinkedHashMap<>();
        for (int i = 0; i < rb.size(); i++) {
            indexB.putIfAbsent(rb.get(i).image(), i);
        }
        List<double[]> pairs = new ArrayList<>();
        for (int i = 0; i < ra.size(); i++) {
            Integer j = indexB.get(ra.get(i).image());
            if (j != null) {
                pairs.add(new double[] {ca[i], cb[j]});
            }
        }
        double[][] out = new double[2][pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            out[0][i] = pairs.get(i)[0];
            out[1][i] = pairs.get(i)[1];
        }
        return out;
    }

    private static double meanDiff(double[][] p) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < p[0].length; i++) {
            double d = p[0][i] - p[1][i];
            if (Double.isFinite(d)) {
                sum += d;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The headline in plain sentences, whatever it comes out as: DSC and NLL per method, AULA's rank correlation. */
    static String findings(Tables t) {
        StringBuilder sb = new StringBuilder("## Findings\n\n");
        for (String method : t.methods) {
            sb.append("- ").append(md(method)).append(": mean DSC ").append(fmt(mean(t.column(method, Metric.DSC))))
                    .append(", mean NLL ").append(fmt(mean(t.column(method, Metric.NLL)))).append(".\n");
        }
        if (t.methods.contains("LE")) {
            double rho = Statistics.spearman(t.column("LE", Metric.AULA), t.column("LE", Metric.DSC));
            sb.append("- LE: Spearman(AULA, DSC) = ").append(fmt(rho))
                    .append(" (the method expects a positive value: more agreement between heads, better segmentation).\n");
            double leNll = mean(t.column("LE", Metric.NLL));
            double leDsc = mean(t.column("LE", Metric.DSC));
            for (String other : t.methods) {
                if (other.equals("LE")) {
                    continue;
                }
                double dNll = leNll - mean(t.column(other, Metric.NLL));
                double dDsc = leDsc - mean(t.column(other, Metric.DSC));
                sb.append("- LE vs ").append(md(other)).append(": NLL ").append(dNll <= 0 ? "lower" : "higher")
                        .append(" by ").append(fmt(Math.abs(dNll))).append(", DSC ").append(dDsc >= 0 ? "higher" : "lower")
                        .append(" by ").append(fmt(Math.abs(dDsc))).append(" (mean over images; tests below).\n");
            }
        }
        return sb.append('\n').toString();
    }

    private static double mean(double[] v) {
        double sum = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                sum += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    static String meanStd(double[] v) {
        double mean = mean(v);
        if (Double.isNaN(mean)) {
            return DASH;
        }
        double ss = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                ss += (x - mean) * (x - mean);
                n++;
            }
        }
        return fmt(mean) + " (" + fmt(Math.sqrt(ss / n)) + ")";
    }

    /** 3 decimals, scientific for small non-zero magnitudes, "—" for NaN or infinity. */
    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return DASH;
        }
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e7)) {
            return String.format(Locale.ROOT, "%.3e", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String fmtP(double p) {
        if (!Double.isFinite(p)) {
            return DASH;
        }
        return p < 1e-3 ? String.format(Locale.ROOT, "%.2e", p)
                : String.format(Locale.ROOT, "%.4f", p);
    }

    private static String md(String s) {
        return s.replace("|", "\\|").replace("\n", " ").replace("\r", " ");
    }

    // ----------------------------------------------------------------- figures

    @FunctionalInterface
    private interface Renderer {
        BufferedImage render();
    }

    /** Renders and writes one figure; records "" when written or the reason when not. */
    private static void figure(Path folder, String file, Map<String, String> figures,
                               Renderer renderer) throws IOException {
        BufferedImage img;
        try {
            img = renderer.render();
        } catch (RuntimeException | AWTError | LinkageError | InternalError e) {
            figures.put(file, "rendering failed: " + e);
            return;
        }
        if (img == null) {
            figures.put(file, "no data");
            return;
        }
        atomicWrite(folder.resolve(file), out -> {
            if (!ImageIO.write(img, "png", out)) {
                throw new IOException("no PNG writer available");
            }
        });
        figures.put(file, "");
    }

    /** One colour per method across all figures: LE blue, Plain orange, MH purple, DE green. */
    static Color methodColor(String method) {
        return switch (method) {
            case "LE" -> new Color(0x1f77b4);
            case "Plain" -> new Color(0xff7f0e);
            case "MH" -> new Color(0x9467bd);
            case "DE" -> new Color(0x2ca02c);
            default -> Color.getHSBColor((method.hashCode() & 0xff) / 255f, 0.7f, 0.75f);
        };
    }

    private static XYChart chart(int w, int h, String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(w).height(h).title(title).xAxisTitle(x)
                .yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesVisible(true);
        return c;
    }

    private static BufferedImage grid(List<XYChart> charts, int cols) {
        int rows = (charts.size() + cols - 1) / cols;
        int w = charts.getFirst().getWidth();
        int h = charts.getFirst().getHeight();
        BufferedImage out = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            for (int i = 0; i < charts.size(); i++) {
                g.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)), (i % cols) * w,
                        (i / cols) * h, null);
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    static BufferedImage qcFigure(Tables t) {
        List<XYChart> charts = new ArrayList<>();
        for (Metric u : UNCERTAINTIES) {
            String measure = u == Metric.AULA ? "-AULA" : u.label;
            XYChart c = chart(PANEL_WIDTH, PANEL_HEIGHT, "Quality control: " + measure,
                    "fraction flagged (most uncertain first)", "fraction poor and unflagged");
            QcCurve reference = null;
            String referenceMethod = null;
            for (String method : t.methods) {
                QcCurve q = t.qc(method, u);
                if (q == null) {
                    continue;
                }
                XYSeries s = c.addSeries(method + " (" + fmt(q.area()) + ")", q.fractions(),
                        q.remainingPoor());
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(methodColor(method));
                if (reference == null || method.equals("LE")) {
                    reference = q;
                    referenceMethod = method;
                }
            }
            if (reference == null) {
                continue;
            }
            XYSeries r = c.addSeries("random (" + referenceMethod + ")", reference.fractions(),
                    reference.random());
            r.setMarker(SeriesMarkers.NONE);
            r.setLineStyle(SeriesLines.DASH_DASH);
            r.setLineColor(Color.GRAY);
            XYSeries i = c.addSeries("ideal (" + referenceMethod + ")", reference.fractions(),
                    reference.ideal());
            i.setMarker(SeriesMarkers.NONE);
            i.setLineStyle(SeriesLines.DOT_DOT);
            i.setLineColor(Color.BLACK);
            c.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0);
            c.getStyler().setXAxisDecimalPattern("0.0#");
            charts.add(c);
        }
        return charts.isEmpty() ? null : grid(charts, Math.min(2, charts.size()));
    }

    static BufferedImage skipFigure(Report report) {
        List<XYChart> charts = new ArrayList<>();
        for (var entry : List.of(Map.entry("NLL", report.nllBySkip()),
                Map.entry("DSC", report.diceBySkip()))) {
            XYChart c = chart(PANEL_WIDTH, PANEL_HEIGHT, entry.getKey() + " vs skipped heads S",
                    "S (shallowest heads skipped)", "mean " + entry.getKey());
            // NLL usually rises with S toward the top-right corner: keep the legend off the data.
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
            int series = 0;
            for (Map.Entry<String, double[]> m : entry.getValue().entrySet()) {
                double[][] xy = finiteXY(m.getValue());
                if (xy[0].length == 0) {
                    continue;
                }
                XYSeries s = c.addSeries(m.getKey(), xy[0], xy[1]);
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setLineColor(methodColor(m.getKey()));
                s.setMarkerColor(methodColor(m.getKey()));
                series++;
            }
            if (series > 0) {
                charts.add(c);
            }
        }
        return charts.isEmpty() ? null : grid(charts, charts.size());
    }

    private static double[][] finiteXY(double[] y) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if (Double.isFinite(y[i])) {
                pts.add(new double[] {i, y[i]});
            }
        }
        double[][] out = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            out[0][i] = pts.get(i)[0];
            out[1][i] = pts.get(i)[1];
        }
        return out;
    }

    static BufferedImage agreementFigure(Tables t) {
        List<ImageResult> le = new ArrayList<>();
        for (ImageResult r : t.byMethod.getOrDefault("LE", List.of())) {
            if (Double.isFinite(r.aula()) && r.agreements().length > 0) {
                le.add(r);
            }
        }
        if (le.isEmpty()) {
            return null;
        }
        le.sort(Comparator.comparingDouble(ImageResult::aula).reversed());
        int k = le.size() == 1 ? 1 : Math.min(AGREEMENT_CASES, le.size() / 2);
        XYChart c = chart(AGREEMENT_WIDTH, AGREEMENT_HEIGHT,
                "LE layer agreement: most and least certain cases (by AULA)",
                "adjacent head pair k", "agreement a_k (DSC)");
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        Color[] blues = {new Color(0x08519c), new Color(0x3182bd), new Color(0x6baed6)};
        Color[] reds = {new Color(0xa50f15), new Color(0xde2d26), new Color(0xfb6a4a)};
        for (int i = 0; i < k; i++) {
            addAgreement(c, le.get(i), "most certain", blues[i % blues.length], i);
        }
        if (le.size() > 1) {
            for (int i = 0; i < k; i++) {
                addAgreement(c, le.get(le.size() - 1 - i), "least certain", reds[i % reds.length], i);
            }
        }
        return BitmapEncoder.getBufferedImage(c);
    }

    private static void addAgreement(XYChart c, ImageResult r, String group, Color color, int rank) {
        double[] a = r.agreements();
        double[] x = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            x[i] = i + 1;
        }
        XYSeries s = c.addSeries(group + " " + (rank + 1) + ": " + r.image() + " (AULA "
                + fmt(r.aula()) + ")", x, a);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    static BufferedImage reliabilityFigure(Report report) {
        if (report.reliability().isEmpty()) {
            return null;
        }
        XYChart c = chart(RELIABILITY_WIDTH, RELIABILITY_HEIGHT, "Reliability diagram",
                "mean confidence", "accuracy");
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        XYSeries diag = c.addSeries("perfect calibration", new double[] {0, 1},
                new double[] {0, 1});
        diag.setMarker(SeriesMarkers.NONE);
        diag.setLineStyle(SeriesLines.DASH_DASH);
        diag.setLineColor(Color.GRAY);
        for (Map.Entry<String, ReliabilityData> e : report.reliability().entrySet()) {
            ReliabilityData d = e.getValue();
            List<double[]> pts = new ArrayList<>();
            for (int b = 0; b < d.count().length; b++) {
                if (d.count()[b] > 0 && Double.isFinite(d.meanConfidence()[b])
                        && Double.isFinite(d.accuracy()[b])) {
                    pts.add(new double[] {d.meanConfidence()[b], d.accuracy()[b]});
                }
            }
            if (pts.isEmpty()) {
                continue;
            }
            double[] x = new double[pts.size()];
            double[] y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = pts.get(i)[0];
                y[i] = pts.get(i)[1];
            }
            XYSeries s = c.addSeries(e.getKey(), x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(methodColor(e.getKey()));
            s.setMarkerColor(methodColor(e.getKey()));
        }
        c.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        return BitmapEncoder.getBufferedImage(c);
    }

    /** Panel scale of a heatmap case: an integer zoom towards {@link #HEATMAP_TARGET}. */
    static int heatmapScale(Heatmap h) {
        return Math.max(1, HEATMAP_TARGET / Math.max(h.width(), h.height()));
    }

    /**
     * One row per case (at most {@link #MAX_HEATMAPS}): grayscale image, uncertainty heat overlay
     * (jet colours, per-case min-max, 60 % opacity) and prediction label boundaries in red, each
     * panel zoomed by {@link #heatmapScale}. Size: width = 3·max panel width + 4·gap, height =
     * Σ(header + panel height + gap) + gap.
     */
    static BufferedImage heatmapFigure(List<Heatmap> all) {
        if (all.isEmpty()) {
            return null;
        }
        List<Heatmap> cases = all.subList(0, Math.min(MAX_HEATMAPS, all.size()));
        int panelW = 0;
        int height = HEATMAP_GAP;
        for (Heatmap h : cases) {
            int s = heatmapScale(h);
            panelW = Math.max(panelW, h.width() * s);
            height += HEATMAP_HEADER + h.height() * s + HEATMAP_GAP;
        }
        int width = 3 * panelW + 4 * HEATMAP_GAP;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
                    RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            int y = HEATMAP_GAP;
            for (Heatmap h : cases) {
                int s = heatmapScale(h);
                g.setColor(Color.BLACK);
                g.drawString(h.name() + "   (image | uncertainty | prediction)", HEATMAP_GAP,
                        y + HEATMAP_HEADER - 6);
                y += HEATMAP_HEADER;
                BufferedImage[] panels = heatmapPanels(h);
                for (int p = 0; p < 3; p++) {
                    g.drawImage(panels[p], HEATMAP_GAP + p * (panelW + HEATMAP_GAP), y,
                            h.width() * s, h.height() * s, null);
                }
                y += h.height() * s + HEATMAP_GAP;
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** The three unscaled panels of a case: image, uncertainty overlay, prediction contour. */
    static BufferedImage[] heatmapPanels(Heatmap h) {
        int w = h.width();
        int hh = h.height();
        float[] gray = normalise(h.image());
        float[] unc = normalise(h.uncertainty());
        int[] label = h.prediction();
        BufferedImage a = new BufferedImage(w, hh, BufferedImage.TYPE_INT_RGB);
        BufferedImage b = new BufferedImage(w, hh, BufferedImage.TYPE_INT_RGB);
        BufferedImage c = new BufferedImage(w, hh, BufferedImage.TYPE_INT_RGB);
        for (int yy = 0; yy < hh; yy++) {
            for (int xx = 0; xx < w; xx++) {
                int i = yy * w + xx;
                int v = Math.round(gray[i] * 255f);
                int grayRgb = (v << 16) | (v << 8) | v;
                a.setRGB(xx, yy, grayRgb);
                int jet = jet(unc[i]);
                b.setRGB(xx, yy, blend(grayRgb, jet, 0.6f));
                boolean edge = false;
                if (label[i] != 0) {
                    edge = xx == 0 || yy == 0 || xx == w - 1 || yy == hh - 1
                            || label[i - 1] != label[i] || label[i + 1] != label[i]
                            || label[i - w] != label[i] || label[i + w] != label[i];
                }
                c.setRGB(xx, yy, edge ? 0xff2020 : grayRgb);
            }
        }
        return new BufferedImage[] {a, b, c};
    }

    private static float[] normalise(float[] v) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            if (Float.isFinite(x)) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        float[] out = new float[v.length];
        float range = hi - lo;
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.isFinite(v[i]) && range > 0 ? (v[i] - lo) / range : 0f;
        }
        return out;
    }

    private static int jet(float t) {
        int r = channel(1.5f - Math.abs(4f * t - 3f));
        int g = channel(1.5f - Math.abs(4f * t - 2f));
        int b = channel(1.5f - Math.abs(4f * t - 1f));
        return (r << 16) | (g << 8) | b;
    }

    private static int channel(float x) {
        return Math.round(Math.max(0f, Math.min(1f, x)) * 255f);
    }

    private static int blend(int under, int over, float alpha) {
        int out = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            float u = (under >> shift) & 0xff;
            float o = (over >> shift) & 0xff;
            out |= Math.round(u * (1 - alpha) + o * alpha) << shift;
        }
        return out;
    }

    // ------------------------------------------------------------ atomic files

    @FunctionalInterface
    interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    private static void writeText(Path target, String text) throws IOException {
        atomicWrite(target, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(text);
            w.flush();
        });
    }

    /** Writes to a temporary file beside {@code target}, then renames it over the target. */
    static void atomicWrite(Path target, StreamBody body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                body.write(out);
            }
            try {
                // Temporary files are created owner-only; a report is meant to be shared.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default permissions
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
