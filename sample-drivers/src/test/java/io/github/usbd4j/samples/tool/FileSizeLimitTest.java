package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.capture.CaptureReader;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tool in a child JVM under a file size limit ({@code ulimit -f}), the way a full disk stops a write
 * part way: what the result line says was written is what the files hold, the files that were cut are
 * valid or gone, and the exit code is 4.
 */
class FileSizeLimitTest {
    /** The limit, in the 1024-byte blocks of {@code ulimit -f}: 100 KiB. */
    private static final int LIMIT_BLOCKS = 100;

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private Result run(int limitBlocks, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -f " + limitBlocks + " && exec \"$@\"", "-"));
        cmd.addAll(UsbdSignalTest.toolCommand(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the run ends").isTrue();
        } finally {
            p.destroyForcibly();
        }
        return new Result(
                p.exitValue(),
                Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    /**
     * 1 s of the demo is written to disk only as the run closes (less than the 1 MiB buffer, in less than a
     * second), 5 s part way through: either way the file is cut back to its last whole record, a valid
     * capture of the records the result line counts, and the run exits 4.
     */
    @ParameterizedTest
    @ValueSource(strings = {"1", "5"})
    void aCaptureCutByTheLimitIsValidAndHoldsWhatTheResultLineSays(String seconds) throws Exception {
        Path capture = dir.resolve("run.pcapng");
        Result r = run(LIMIT_BLOCKS, "demo", "--seconds", seconds, "--capture", "run.pcapng");

        assertThat(r.exit()).as("exit code; out: %s err: %s", r.out(), r.err()).isEqualTo(4);
        Matcher held = Pattern.compile("writing the capture run.pcapng failed \\(see the log\\); it holds the (\\d+)"
                        + " records written before")
                .matcher(r.out());
        assertThat(held.find()).as(r.out()).isTrue();
        assertThat(r.out()).doesNotContain("capture: ").contains("exit 4 (io error)");
        assertThat(Files.size(capture)).isLessThanOrEqualTo(LIMIT_BLOCKS * 1024L);
        CaptureReader.Capture read = CaptureReader.readCapture(capture);
        assertThat(read.cutShort()).as("the file ends with a whole block").isNull();
        assertThat((long) read.records().size()).isEqualTo(Long.parseLong(held.group(1)));
        assertThat(read.records()).isNotEmpty();
    }

    @Test
    void theCameraCountsTheFilesItSavedAndNamesTheOneItCouldNotWrite() throws Exception {
        // a PGM (19,215 bytes) fits under 30 KiB, the raw YUY2 frame (38,400 bytes) does not
        Result r = run(30, "camera", "--out", "frames", "--frames", "5", "--raw");
        assertThat(r.exit()).as("exit code; out: %s err: %s", r.out(), r.err()).isEqualTo(4);
        List<String> saved;
        try (Stream<Path> s = Files.list(dir.resolve("frames"))) {
            saved = s.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertThat(saved)
                .as("the frame whose raw file failed keeps its PGM; no later frame is saved")
                .containsExactly("frame-0000.pgm");
        assertThat(r.out())
                .contains(", 1 files saved to frames")
                .containsPattern("result: cannot write \\S+/frames/frame-0000\\.yuy2: File too large; ");
    }

    @Test
    void aRecordingCutByTheLimitLeavesTheTargetAsItWasAndSaysWhy() throws Exception {
        Files.writeString(dir.resolve("rec.wav"), "the previous recording");
        Result r = run(LIMIT_BLOCKS, "record", "rec.wav", "--seconds", "5");
        assertThat(r.exit()).as("exit code; out: %s err: %s", r.out(), r.err()).isEqualTo(4);
        assertThat(r.out())
                .as("samples arrived: it is not that nothing was recorded")
                .contains("the recording could not be written (the result line says why); rec.wav is as it was")
                .containsPattern("result: cannot write \\S+/rec\\.wav: File too large; ");
        assertThat(Files.readString(dir.resolve("rec.wav"))).isEqualTo("the previous recording");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
    }
}
