package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.iso.StreamStats;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress display on a (pretend) terminal and on a pipe, with a hand-driven wall clock. */
class ProgressTest {
    private static final StreamStats STATS =
            new StreamStats(0x81, 10, 5_000, 640_000, Map.of("USB_CRC_ERROR", 3L), 0, 0, 0);

    @Test
    void terminalRedrawsOneLineInPlaceAndErasesItAtTheEnd() {
        StringWriter w = new StringWriter();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintWriter(w), true, 10_000, now::get);

        p.update(100, STATS);
        assertThat(w.toString()).as("nothing before the first period").isEmpty();

        now.addAndGet(Progress.BAR_PERIOD_NANOS);
        p.update(5_000, STATS);
        assertThat(w.toString())
                .isEqualTo("\r[############............]  50%  5.000/10.000 s  frames 5000  bytes 640000  errors 3");

        int firstLength = w.toString().length();
        now.addAndGet(Progress.BAR_PERIOD_NANOS);
        p.update(10_000, StreamStats.empty(0x81));
        String second = w.toString().substring(w.toString().lastIndexOf('\r'));
        assertThat(second)
                .startsWith("\r[########################] 100%  10.000/10.000 s  frames 0  bytes 0  errors 0");
        assertThat(second).as("padded over the longer previous line").hasSize(firstLength);
        assertThat(w.toString()).doesNotContain("\n");

        p.done();
        assertThat(w.toString()).endsWith("\r" + " ".repeat(firstLength - 1) + "\r");
    }

    @Test
    void withoutATerminalItPrintsAPlainLineEveryPeriod() {
        StringWriter w = new StringWriter();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintWriter(w), false, 0, now::get);
        now.addAndGet(Progress.BAR_PERIOD_NANOS);
        p.update(1_000, STATS);
        assertThat(w.toString()).as("a line only every LINE_PERIOD").isEmpty();

        now.addAndGet(Progress.LINE_PERIOD_NANOS);
        p.update(2_500, STATS);
        now.addAndGet(Progress.LINE_PERIOD_NANOS);
        p.update(5_000, STATS);
        p.done();
        assertThat(w.toString().lines())
                .containsExactly(
                        "progress: 2.500 s  frames 5000  bytes 640000  errors 3",
                        "progress: 5.000 s  frames 5000  bytes 640000  errors 3");
    }
}
