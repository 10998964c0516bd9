package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.samples.iso.StreamStats;
import io.github.usbd4j.win32.Win32;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a streaming run delivered and lost, and the exit code that follows (one rule for every command).
 * A packet is lost when its frame reported an error (late or missed included), or when it was due and
 * never ran: its transfer was never issued or was cancelled because the device left or a transfer was
 * refused. Packets a user's interruption cut short are not due. I/O problems (the device left, a transfer
 * was refused, a file could not be written) come first in the exit code.
 */
final class Tally {
    /** The reason for packets that were due and never ran. */
    static final String NEVER_RAN = "never ran";

    private long packets;
    private final Map<String, Long> lost = new TreeMap<>();
    private final List<String> ioProblems = new ArrayList<>();
    private long explained;
    private String explainedWhy;

    /**
     * Counts every stream of a driver.
     *
     * @param d the driver
     * @param duePerStream the packets each stream should have run, -1 if the stream had no set length
     * @param interrupted the user stopped the run (packets not run since are not due)
     * @return this
     */
    Tally streams(IsochStreamingDriver d, long duePerStream, boolean interrupted) {
        boolean gone = d.isDeviceGone();
        if (gone) {
            io("the device left mid-stream");
        }
        for (IsochStream s : d.streams()) {
            StreamStats st = s.stats();
            long ran = st.frames();
            // a stream with no set length owes what was cancelled and what a refused transfer would have run
            long owed = duePerStream < 0 ? st.canceled() + s.framesRefused() : Math.max(duePerStream, ran) - ran;
            packets += interrupted ? ran : ran + owed;
            st.errorsByName().forEach(this::lose);
            if (!interrupted) {
                lose(NEVER_RAN, owed);
            }
            s.issueErrors().forEach((code, name) -> {
                if (!(gone && departure(d, code))) {
                    io("IssueIsochTransfer was refused (" + name + ")");
                }
            });
        }
        d.failure().ifPresent(t -> io(describe(t)));
        return this;
    }

    /**
     * Whether a refused {@code IssueIsochTransfer} was the device leaving: a transfer call on a device that
     * left fails {@code ERROR_INVALID_HANDLE} (flags-errors.html), which a completion racing the departure
     * meets when it issues the next transfer. The departure is the I/O problem; the refusal is not another.
     */
    static boolean departure(IsochStreamingDriver d, int issueError) {
        return d.isDeviceGone() && issueError == Win32.ERROR_INVALID_HANDLE;
    }

    /** Counts {@code n} more packets (beyond the streams'), none lost. */
    Tally packets(long n) {
        packets += n;
        return this;
    }

    /** Counts {@code n} lost packets for a reason. */
    Tally lose(String why, long n) {
        if (n > 0) {
            lost.merge(why, n, Long::sum);
        }
        return this;
    }

    /** Records an I/O problem (exit code 4). */
    Tally io(String problem) {
        if (!ioProblems.contains(problem)) {
            ioProblems.add(problem);
        }
        return this;
    }

    /** {@code n} of the lost packets are expected (the demo's injected faults): they do not count against --max-errors. */
    Tally explained(long n, String why) {
        explained = n;
        explainedWhy = why;
        return this;
    }

    long lostCount() {
        return lost.values().stream().mapToLong(Long::longValue).sum();
    }

    long packets() {
        return packets;
    }

    List<String> ioProblems() {
        return List.copyOf(ioProblems);
    }

    /** The exit code: an I/O problem, else more lost than allowed, else OK. */
    ExitCode exitCode(long maxErrors) {
        if (!ioProblems.isEmpty()) {
            return ExitCode.IO_ERROR;
        }
        return lostCount() - Math.min(explained, lostCount()) > maxErrors ? ExitCode.PACKETS_LOST : ExitCode.OK;
    }

    /**
     * The line every streaming command ends with: how many packets, how many lost and why, and the exit
     * code (or that a signal stopped the run, whose exit code the JVM sets).
     */
    String resultLine(long maxErrors, boolean interrupted) {
        StringBuilder s = new StringBuilder("result: ");
        if (!ioProblems.isEmpty()) {
            s.append(String.join("; ", ioProblems)).append("; ");
        }
        if (interrupted) {
            s.append("stopped by a signal; ");
        }
        long n = lostCount();
        if (n == 0) {
            s.append(String.format(Locale.ROOT, "%d packets, none lost", packets));
        } else {
            List<String> why = new ArrayList<>();
            lost.forEach((k, v) -> why.add(k + " " + v));
            s.append(String.format(Locale.ROOT, "%d of %d packets lost (%s)", n, packets, String.join(", ", why)));
            if (explained > 0) {
                s.append(", ").append(Math.min(explained, n)).append(' ').append(explainedWhy);
            }
            long counted = n - Math.min(explained, n);
            if (ioProblems.isEmpty()) {
                s.append(counted > maxErrors ? ", more than" : ", within")
                        .append(" --max-errors ")
                        .append(maxErrors);
            }
        }
        if (!interrupted) {
            ExitCode c = exitCode(maxErrors);
            s.append(": exit ").append(c.code()).append(c == ExitCode.OK ? "" : " (" + shortName(c) + ")");
        }
        return s.toString();
    }

    private static String shortName(ExitCode c) {
        return c.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /** A hook's failure in one line: an I/O exception's message names the file. */
    static String describe(Throwable t) {
        String m = t.getMessage();
        if (t instanceof java.nio.file.FileSystemException f) {
            return "cannot write " + f.getFile() + (f.getReason() == null ? "" : ": " + f.getReason());
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
