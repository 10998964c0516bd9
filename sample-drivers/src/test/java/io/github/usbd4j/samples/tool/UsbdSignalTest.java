package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.samples.audio.WavFile;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code usbd record} in a child JVM, stopped by a signal while the samples arrive: SIGINT and SIGTERM end
 * it with a complete WAV holding every sample received (and the summary), SIGKILL leaves the previous file
 * untouched and a valid WAV in the temporary file. The recording is long (an hour of simulated bus time);
 * the signal comes once the temporary file shows data arriving.
 */
class UsbdSignalTest {
    private static final Duration BOUND = Duration.ofSeconds(90);

    /**
     * The command that runs the tool in a child JVM with {@code args}, with SIGINT and SIGTERM at their
     * default handling: a build started in the background of a script (as CI may start it) ignores SIGINT,
     * and a child inherits that, so its JVM would never see the signal these tests send. {@code env} execs
     * the JVM in the same process, so the child's pid is the JVM's.
     */
    static List<String> toolCommand(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                "env",
                "--default-signal=INT,TERM",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                UsbdTool.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Process start(Path dir, String... args) throws IOException {
        return new ProcessBuilder(toolCommand(args))
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile())
                .start();
    }

    private static Optional<Path> part(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".part")).findFirst();
        }
    }

    private static long partSize(Path dir) throws IOException {
        Optional<Path> p = part(dir);
        return p.isPresent() && Files.exists(p.get()) ? Files.size(p.get()) : 0;
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    /** Each sample is one more than the one before (the simulated microphone's sawtooth): nothing lost or repeated. */
    private static void assertSawtooth(byte[] pcm) {
        ByteBuffer b = ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i < pcm.length / 2; i++) {
            short step = (short) (b.getShort(2 * i) - b.getShort(2 * i - 2));
            if (step != 1) {
                throw new AssertionError("sample " + i + " steps by " + step);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"INT, 130", "TERM, 143"})
    void aSignalEndsTheRecordingWithACompleteWavOfEverythingReceived(String signal, int exitCode, @TempDir Path dir)
            throws Exception {
        Path rec = dir.resolve("rec.wav");
        Files.writeString(rec, "the previous recording");
        Process p = start(dir, "record", "rec.wav", "--seconds", "3600");
        try {
            await().atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> partSize(dir) > 200_000);
            signal(p, signal);
            assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("exit code; out: %s err: %s", out, err).isEqualTo(exitCode);
        assertThat(err).doesNotContain("\tat ");
        Matcher summary = Pattern.compile("IN  0x81: frames (\\d+), bytes (\\d+), errors 0")
                .matcher(out);
        assertThat(summary.find()).as(out).isTrue();
        long bytes = Long.parseLong(summary.group(2));
        assertThat(out)
                .contains("recorded rec.wav: " + bytes / 2 + " samples")
                .containsPattern("result: stopped by a signal; \\d+ packets, none lost");

        WavFile wav = WavFile.read(rec);
        assertThat(wav.sampleRate()).isEqualTo(48_000);
        assertThat(wav.channels()).isEqualTo(1);
        assertThat((long) wav.pcm().length).as("every byte the summary counts").isEqualTo(bytes);
        assertThat(bytes).isGreaterThan(200_000);
        assertSawtooth(wav.pcm());
        assertThat(part(dir)).as("no temporary file left").isEmpty();
    }

    /**
     * {@code serve-usbip} until Ctrl-C: the server is closed (its imports end with the connection closed)
     * and the tool says so before it exits with 130, as the exit-code table promises a summary. The JVM
     * exited at once without either.
     */
    @Test
    void aSignalStopsServeUsbipPromptlyWithItsLastLine(@TempDir Path dir) throws Exception {
        Process p = start(dir, "serve-usbip", "--port", "0");
        try {
            await().atMost(BOUND)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8)
                            .contains("serving until interrupted"));
            signal(p, "INT");
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("ends promptly").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("exit code; out: %s err: %s", out, err).isEqualTo(130);
        assertThat(out).containsPattern("usbd serve-usbip: interrupted after \\d+\\.\\d\\d s");
        assertThat(err).doesNotContain("\tat ");
    }

    /**
     * {@code --plot} is drawn after the signal, while the JVM exits: ImageIO's default stream caches in a
     * temporary file that it deletes from a shutdown hook, which cannot be added any more then. The run
     * threw there, so a stopped stream ended with no plot, no result line and no error (the JVM halted
     * before it was printed).
     */
    @Test
    void aSignalLeavesThePlotAndTheResultLine(@TempDir Path dir) throws Exception {
        Process p = start(
                dir,
                "stream",
                "--device",
                "1209:0003",
                "--interface",
                "1",
                "--packets",
                "100000000",
                "--file",
                "in.raw",
                "--plot",
                "s.png");
        try {
            await().atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> partSize(dir) > 200_000);
            signal(p, "INT");
            assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("exit code; out: %s err: %s", out, err).isEqualTo(130);
        assertThat(out)
                .containsPattern("per-frame plot \\(\\d+ frames\\) written to s.png")
                .containsPattern("result: stopped by a signal; \\d+ packets, none lost");
        assertThat(javax.imageio.ImageIO.read(dir.resolve("s.png").toFile()).getWidth())
                .isEqualTo(FramePlot.WIDTH);
    }

    /**
     * {@code devfile} on a real bus stops its wait for the device on Ctrl-C with a line saying so, as the
     * streaming commands do; the JVM exited with 130 and not a word. (Skipped where USB is not available.)
     */
    @Test
    void aSignalStopsDevfilesWaitWithALine(@TempDir Path dir) throws Exception {
        Process p = start(
                dir, "--backend", "libusb", "devfile", "LBK1:", "read:4", "--device", "1209:7777", "--wait", "300");
        try {
            await().atMost(BOUND)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> !p.isAlive()
                            || Files.readString(dir.resolve("out.txt")).contains("waiting up to"));
            org.junit.jupiter.api.Assumptions.assumeTrue(p.isAlive(), "USB is not available here");
            signal(p, "INT");
            assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(130);
        assertThat(out).contains("interrupted while waiting for the device; nothing was opened");
    }

    /**
     * What a command prints after its run has stopped (the error line of a failure while finishing, the line
     * about an output that could not be written) is printed before the JVM exits on the signal: the exit waited
     * only for the run, so a failure after it ended with exit 130 and not a word.
     */
    @Test
    void aSignalsExitWaitsForTheCommandsLastLine(@TempDir Path dir) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(toolCommand());
        cmd.set(cmd.size() - 1, LastLineAfterTheRun.class.getName());
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile())
                .start();
        try {
            await().atMost(BOUND)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> Files.readString(dir.resolve("out.txt")).contains("running"));
            signal(p, "TERM");
            assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(Files.readString(dir.resolve("out.txt"))).contains("the last line");
    }

    /** A command whose run stops on the signal, and which prints a line some time after the run closed. */
    static final class LastLineAfterTheRun {
        public static void main(String[] args) throws Exception {
            Interruption.commandStarted();
            try {
                try (Interruption.Run r = Interruption.begin()) {
                    System.out.println("running");
                    System.out.flush();
                    r.stopRequested().get();
                }
                Thread.sleep(500); // widens the window in which the JVM used to halt
                System.out.println("the last line");
                System.out.flush();
            } finally {
                Interruption.commandDone();
            }
        }
    }

    @Test
    void sigkillLeavesThePreviousFileAndAValidWavInTheTemporaryFile(@TempDir Path dir) throws Exception {
        Path rec = dir.resolve("rec.wav");
        Files.writeString(rec, "the previous recording");
        Process p = start(dir, "record", "rec.wav", "--seconds", "3600");
        try {
            // more than a second of samples: the temporary file's header has been patched at least once
            await().atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> partSize(dir) > 400_000);
            p.destroyForcibly();
            assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(Files.readString(rec)).isEqualTo("the previous recording");
        Path part = part(dir).orElseThrow();
        WavFile partial = WavFile.parse(Files.readAllBytes(part));
        assertThat(partial.pcm().length).isGreaterThanOrEqualTo(96_000);
        assertSawtooth(partial.pcm());
        assertThat(new File(part.toString()).getName()).startsWith(".rec.wav.");
    }
}
