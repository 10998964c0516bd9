package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.capture.CaptureReader;
import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.capture.UsbmonRecord;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code usbd demo --capture} in its own JVM, stopped while it streams: the capture on disk grows as the
 * run goes, and is a whole capture after SIGINT (the shutdown hook writes what was buffered) and a readable
 * one after SIGKILL, which may stop the process in the middle of a write and leave the last packet cut
 * short: the reader then reads every packet before it, as Wireshark does (the site's capture page).
 */
class CaptureSignalTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"INT", "KILL"})
    void theCaptureIsValid_afterTheProcessIsStopped(String signal) throws Exception {
        Path capture = dir.resolve("run.pcapng");
        Process p = new ProcessBuilder(
                        UsbdSignalTest.toolCommand("demo", "--seconds", "3600", "--capture", capture.toString()))
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(capture) || Files.size(capture) < 4L << 20) { // written as it goes
                assertThat(p.isAlive()).as("the demo runs").isTrue();
                assertThat(System.nanoTime()).as("the capture grows to 4 MiB").isLessThan(deadline);
                Thread.sleep(50);
            }
            long before = Files.size(capture);
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the demo stops").isTrue();
            CaptureReader.Capture read = CaptureReader.readCapture(capture);
            List<UsbmonRecord> records = read.records();
            assertThat(records.size())
                    .as("records in a %d-byte file", Files.size(capture))
                    .isGreaterThan(1000);
            assertThat(records.get(0).type()).isEqualTo(Usbmon.SUBMIT);
            if (signal.equals("INT")) {
                assertThat(Files.size(capture))
                        .as("the buffer was written on exit")
                        .isGreaterThan(before);
                assertThat(read.cutShort())
                        .as("a clean exit writes whole packets")
                        .isNull();
            }
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A signal that comes while a command is starting finds its capture not yet open: the capture is then
     * opened while the JVM is exiting, when no shutdown hook can be added any more. It once threw there, so
     * the run ended with no summary and no error (the JVM halted before either was printed); now it opens
     * and its owner writes it.
     */
    @org.junit.jupiter.api.Test
    void aCaptureOpenedWhileTheJvmExitsIsWritten() throws Exception {
        Path capture = dir.resolve("late.pcapng");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        OpenWhileExiting.class.getName(),
                        capture.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(out).contains("opened and closed").doesNotContain("Exception");
        assertThat(CaptureReader.readCapture(capture).records()).isEmpty();
        assertThat(CaptureReader.readCapture(capture).cutShort()).isNull();
    }

    /** Opens and closes a capture from a shutdown hook: as the JVM exits. */
    static final class OpenWhileExiting {
        public static void main(String[] args) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (io.github.usbd4j.host.CaptureTap tap = io.github.usbd4j.host.CaptureTap.toFile(Path.of(args[0]))) {
                    System.out.println("opened and closed " + tap.file());
                } catch (Exception | Error e) {
                    System.out.println(e);
                }
            }));
        }
    }
}
