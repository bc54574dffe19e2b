/**
 * The evaluation report (METHOD.md §6, §10): per-image results ({@link
 * org.layerensembles.report.ImageResult}), statistics ({@link org.layerensembles.report.Statistics}:
 * Spearman, Wilcoxon signed-rank), quality-control curves ({@link
 * org.layerensembles.report.QualityControl}) and the report files ({@link
 * org.layerensembles.report.ReportWriter}: per_image.csv, summary.md, PNG figures drawn with
 * XChart under a headless AWT).
 */
package org.layerensembles.report;
