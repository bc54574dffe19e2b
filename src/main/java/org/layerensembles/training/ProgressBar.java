package org.layerensembles.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress line of a training run: epoch, a text bar, step/steps, the epoch's running loss,
 * elapsed time and the estimated time left in the epoch. At most one line per interval (the last
 * step of an epoch always shows). On a terminal the line is redrawn in place (carriage return);
 * elsewhere (logs, tests) each update is a line of its own.
 */
final class ProgressBar {
    private static final int WIDTH = 24;

    private final PrintStream out;
    private final boolean enabled;
    private final long intervalNanos;
    private final boolean inPlace;
    private final String label;
    private long lastPrint = Long.MIN_VALUE;
    private boolean lineOpen;

    ProgressBar(PrintStream out, boolean enabled, long intervalMillis, boolean inPlace, String label) {
        this.out = out;
        this.enabled = enabled && out != null;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.inPlace = inPlace;
        this.label = label == null ? "" : label + " ";
    }

    /** After step {@code step} (1-based) of {@code steps} of epoch {@code epoch}. */
    void step(int epoch, int epochs, int step, int steps, double runningLoss, long epochStartNanos) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (step < steps && lastPrint != Long.MIN_VALUE && now - lastPrint < intervalNanos) {
            return;
        }
        lastPrint = now;
        double elapsed = (now - epochStartNanos) / 1e9;
        double left = elapsed / step * (steps - step);
        int filled = (int) ((long) WIDTH * step / steps);
        String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
        String line = String.format(Locale.ROOT, "%sepoch %d/%d [%s] %d/%d loss %.4f elapsed %s left %s", label, epoch,
                epochs, bar, step, steps, runningLoss, clock(elapsed), clock(left));
        if (inPlace) {
            out.print("\r" + line);
            lineOpen = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** The epoch's summary line. */
    void epochDone(String summary) {
        if (!enabled) {
            return;
        }
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
        out.println(label + summary);
        out.flush();
        lastPrint = Long.MIN_VALUE;
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
