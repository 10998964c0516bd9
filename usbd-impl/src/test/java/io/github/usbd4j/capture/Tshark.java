package io.github.usbd4j.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import io.github.usbd4j.realkernel.RealKernel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Wireshark's command-line reader, for tests: fields of every packet, and every packet Wireshark finds
 * malformed or worth a warning. Tests are skipped where tshark is missing, unless
 * {@code USBD4J_REQUIRE_REAL_KERNEL=1} (set by {@code .ci/run}, which installs tshark) makes that a
 * failure: CI never passes the capture tests by skipping them.
 */
public final class Tshark {
    private Tshark() {}

    /** Where Debian's tshark package installs it. */
    static final Path TSHARK = Path.of("/usr/bin/tshark");

    /**
     * Skips the test when tshark is not installed, or fails it under {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
     */
    public static void assume() {
        assume(Files.isExecutable(TSHARK), "1".equals(System.getenv(RealKernel.REQUIRE_ENV)));
    }

    /**
     * The rule of {@link #assume()}, apart from the machine it runs on.
     *
     * @param present whether tshark is installed
     * @param required whether a missing tshark is a failure rather than a skip
     */
    static void assume(boolean present, boolean required) {
        if (present) {
            return;
        }
        String reason = TSHARK + " not found (Debian: apt-get install --no-install-recommends tshark)";
        if (required) {
            fail(reason + " [" + RealKernel.REQUIRE_ENV + "=1, so this is a failure, not a skip]");
        }
        abort(reason);
    }

    /**
     * Each packet's fields, tab-separated per field, repeated values joined by {@code ,}.
     *
     * @param file the capture
     * @param fields field names, e.g. {@code usb.iso.iso_len}
     * @return one array per packet
     */
    public static List<String[]> fields(Path file, String... fields) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                TSHARK.toString(),
                "-n",
                "-r",
                file.toString(),
                "-T",
                "fields",
                "-E",
                "occurrence=a",
                "-E",
                "aggregator=,",
                "-E",
                "separator=/t"));
        for (String f : fields) {
            cmd.add("-e");
            cmd.add(f);
        }
        List<String[]> rows = new ArrayList<>();
        for (String line : run(cmd)) {
            String[] r = line.split("\t", -1);
            rows.add(Arrays.copyOf(r, fields.length));
        }
        return rows;
    }

    /** The packets Wireshark marks malformed or with an expert warning or error (one summary line each). */
    public static List<String> problems(Path file) throws IOException, InterruptedException {
        return run(List.of(
                TSHARK.toString(),
                "-n",
                "-r",
                file.toString(),
                "-Y",
                "_ws.malformed || _ws.expert.severity >= 6291456"));
    }

    private static List<String> run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("tshark", ".err");
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("tshark finished").isTrue();
            String errors = Files.readString(err)
                    .lines()
                    .filter(l -> !l.startsWith("Running as user \"root\""))
                    .reduce("", (a, b) -> a + b + "\n");
            assertThat(errors).as("tshark's errors for " + cmd).isEmpty();
            assertThat(p.exitValue()).as("tshark's exit code").isZero();
            String text = new String(out, StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\n"));
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
