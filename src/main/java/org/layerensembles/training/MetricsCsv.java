package org.layerensembles.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;

/**
 * {@code metrics.csv}: a header and one row per epoch. The whole file is written to a temporary
 * file beside it and renamed over it after every epoch, so a crash leaves either the previous
 * complete file or the new one, never half a line. Numbers are written with
 * {@link Double#toString}, which reads back to the same double; a value that was not measured
 * (validation at an epoch that was not validated) is an empty field.
 */
final class MetricsCsv {
    static final String HEADER = "epoch,train_loss,val_loss,val_dice,lr,seconds";

    private MetricsCsv() {
    }

    static String render(List<EpochMetrics> history) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (EpochMetrics m : history) {
            sb.append(m.epoch()).append(',')
                    .append(num(m.trainLoss())).append(',')
                    .append(num(m.validationLoss())).append(',')
                    .append(num(m.validationDice())).append(',')
                    .append(num(m.learningRate())).append(',')
                    .append(String.format(java.util.Locale.ROOT, "%.3f", m.seconds())).append('\n');
        }
        return sb.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    static void write(Path file, List<EpochMetrics> history) throws IOException {
        Path target = file.toAbsolutePath();
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(temp, render(history), StandardCharsets.UTF_8);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
