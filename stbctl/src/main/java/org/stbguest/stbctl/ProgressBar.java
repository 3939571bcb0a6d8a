package org.stbguest.stbctl;

import java.io.PrintWriter;

/**
 * A progress bar on standard error: redrawn in place on a terminal at most ten times a second, or a line every 10%
 * when the output is a log.
 */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastDecile = -1;

    ProgressBar(PrintWriter out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = System.console() != null;
    }

    synchronized void update(long done) {
        long now = System.nanoTime();
        int decile = (int) (done * 10 / total);
        if (terminal ? now - lastDraw < 100_000_000L && done < total : decile == lastDecile) {
            return;
        }
        lastDraw = now;
        lastDecile = decile;
        int filled = (int) Math.min(WIDTH, done * WIDTH / total);
        double seconds = Math.max(1e-3, (now - start) / 1e9);
        String line = String.format("%s [%s%s] %3d%% %.1f/%.1f MiB %.1f MiB/s", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), done * 100 / total, done / 1048576.0, total / 1048576.0,
                done / 1048576.0 / seconds);
        out.print(terminal ? "\r" + line : line + System.lineSeparator());
        out.flush();
    }

    synchronized void done() {
        update(total);
        if (terminal) {
            out.println();
        }
    }
}
