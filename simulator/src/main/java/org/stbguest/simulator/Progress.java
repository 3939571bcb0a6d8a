package org.stbguest.simulator;

import java.io.PrintStream;

/**
 * Progress on screen: a redrawn bar on a terminal, or a new line whenever the numbers change when the output is
 * a file or a pipe (CI logs).
 */
final class Progress {

    private static final int WIDTH = 24;

    private final PrintStream out;
    private final boolean terminal;
    private String last = "";

    Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Shows {@code done} of {@code total} with a label and a free-text suffix. */
    void show(String label, long done, long total, String suffix) {
        int filled = total == 0 ? 0 : (int) Math.min(WIDTH, done * WIDTH / total);
        String line = String.format("%-11s %s%s %3d/%-3d %s", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                done, total, suffix);
        if (line.equals(last)) {
            return;
        }
        last = line;
        if (terminal) {
            out.print("\r" + line + "\u001b[K");
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Ends the current bar. */
    void done() {
        if (terminal && !last.isEmpty()) {
            out.println();
        }
        last = "";
    }

    /** Prints a plain line. */
    void line(String label, String text) {
        done();
        out.printf("%-11s %s%n", label, text);
        out.flush();
    }
}
