package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.iso.StreamStats;
import java.io.Console;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress display of a streaming command. On a terminal: one line redrawn in place with a carriage
 * return (at most every 100 ms of wall time) and erased at the end, so that only the summary stays.
 * Otherwise (a pipe, a log, a test): a plain line every few seconds of wall time, so short runs print
 * none. Times shown are bus time: elapsed and, when known, the target.
 */
final class Progress {
    static final long BAR_PERIOD_NANOS = 100_000_000L;
    static final long LINE_PERIOD_NANOS = 2_000_000_000L;
    private static final int BAR_WIDTH = 24;

    private final PrintWriter out;
    private final boolean terminal;
    private final long targetFrames;
    private final LongSupplier nanoTime;
    private long lastNanos;
    private int lastWidth;

    /**
     * @param out where to draw
     * @param terminal redraw one line in place (else print plain lines)
     * @param targetFrames the bus frames the run should take, or 0 if unknown
     * @param nanoTime the wall clock
     */
    Progress(PrintWriter out, boolean terminal, long targetFrames, LongSupplier nanoTime) {
        this.out = out;
        this.terminal = terminal;
        this.targetFrames = Math.max(0, targetFrames);
        this.nanoTime = nanoTime;
        this.lastNanos = nanoTime.getAsLong();
    }

    /** A display on the command's output, in place when the JVM runs on a terminal. */
    static Progress forCommand(PrintWriter out, long targetFrames) {
        return new Progress(out, isTerminal(), targetFrames, System::nanoTime);
    }

    /**
     * {@code System.console() != null} means a terminal up to JDK 21; from JDK 22 the console exists even
     * when redirected and {@code Console.isTerminal()} (absent on 17) tells.
     */
    @SuppressWarnings("SystemConsoleNull") // handled: Console.isTerminal() is asked where it exists
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /**
     * Shows the state if its period has passed.
     *
     * @param busFrames bus frames since the run started
     * @param stats the summary so far
     */
    void update(long busFrames, StreamStats stats) {
        long now = nanoTime.getAsLong();
        if (now - lastNanos < (terminal ? BAR_PERIOD_NANOS : LINE_PERIOD_NANOS)) {
            return;
        }
        lastNanos = now;
        String text = describe(busFrames, stats);
        if (terminal) {
            // pad over the previous line: a shorter line would leave its tail behind
            out.print("\r" + text + " ".repeat(Math.max(0, lastWidth - text.length())));
            lastWidth = Math.max(lastWidth, text.length()); // what the screen line now holds
        } else {
            out.println("progress: " + text);
        }
        out.flush();
    }

    /** Erases the bar (terminal); nothing otherwise. */
    void done() {
        if (terminal && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
    }

    /** {@code [#########.......]  37%  3.700/10.000 s  frames 7400  bytes 1234567  errors 7}. */
    String describe(long busFrames, StreamStats stats) {
        StringBuilder s = new StringBuilder();
        if (targetFrames > 0) {
            double f = Math.min(1.0, (double) busFrames / targetFrames);
            int filled = (int) Math.round(f * BAR_WIDTH);
            if (terminal) {
                s.append('[')
                        .append("#".repeat(filled))
                        .append(".".repeat(BAR_WIDTH - filled))
                        .append("] ");
            }
            s.append(String.format(
                    Locale.ROOT, "%3d%%  %.3f/%.3f s", Math.round(f * 100), busFrames / 1000.0, targetFrames / 1000.0));
        } else {
            s.append(String.format(Locale.ROOT, "%.3f s", busFrames / 1000.0));
        }
        s.append(String.format(
                Locale.ROOT, "  frames %d  bytes %d  errors %d", stats.frames(), stats.bytes(), stats.errorFrames()));
        return s.toString();
    }
}
