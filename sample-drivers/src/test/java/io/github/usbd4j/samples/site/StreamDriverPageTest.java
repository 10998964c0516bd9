package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.samples.lbk.LbkEcho;
import io.github.usbd4j.samples.lbk.LbkUsbDriver;
import io.github.usbd4j.samples.site.RepoDocs.CodeBlock;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The upper-edge porting page (src-site/markdown/porting-stream-driver.md): each Java excerpt marked
 * {@code // fragment: X.java} is, line for line, a piece of the LBK sample's {@code X.java}, and the page's
 * run block is this test's snippet, which runs here.
 */
class StreamDriverPageTest {
    private static final Path PAGE = RepoDocs.siteMarkdownDir().resolve("porting-stream-driver.md");

    @Test
    void theRunBlockEchoesThroughLbk1() {
        // snippet:lbkRun
        LbkEcho.Result result;
        SimulatedHostController sim = SimulatedHostController.builder().build();
        try (Usbd usbd = Usbd.builder().backend(sim).build()) {
            DeviceManager dm = usbd.deviceManager();
            usbd.registerDriver(LbkUsbDriver.DRIVER_ID, LbkUsbDriver.settings(), new LbkUsbDriver(dm));
            sim.attach(LoopbackDevice.fullSpeed()); // USBDeviceAttach, ActivateDeviceEx: LBK1:
            result = LbkEcho.echo(dm, "LBK1:", "hello, LBK1:".getBytes(StandardCharsets.US_ASCII));
            System.out.println(result); // echoed 12 bytes, Stats[bytesWritten=12, bytesRead=12, ...]
        }
        // snippet:end
        assertThat(result.ok()).isTrue();
        assertThat(new String(result.readBack(), StandardCharsets.US_ASCII)).isEqualTo("hello, LBK1:");
        assertThat(result.toString()).startsWith("echoed 12 bytes, Stats[bytesWritten=12, bytesRead=12, ");
    }

    @Test
    void thePageShowsTheRunBlock() throws IOException {
        String source = Files.readString(
                Path.of("src/test/java/io/github/usbd4j/samples/site/StreamDriverPageTest.java"),
                StandardCharsets.UTF_8);
        assertThat(Files.readString(PAGE, StandardCharsets.UTF_8))
                .contains(SimulatedDeviceExampleTest.snippet(source, "lbkRun"));
    }

    @Test
    void everyFragmentIsTheSamplesCode() throws IOException {
        List<String> problems = new ArrayList<>();
        int fragments = 0;
        for (CodeBlock b : RepoDocs.fencedBlocks(Files.readString(PAGE, StandardCharsets.UTF_8))) {
            List<String> lines = b.code().strip().lines().toList();
            if (!b.info().equals("java") || !lines.get(0).startsWith(CodeExamplesTest.FRAGMENT)) {
                continue;
            }
            fragments++;
            String file = lines.get(0)
                    .substring(CodeExamplesTest.FRAGMENT.length())
                    .strip()
                    .split("[ ,]")[0];
            List<String> source = normalized(Files.readString(sampleSource(file), StandardCharsets.UTF_8));
            List<String> excerpt = normalized(String.join("\n", lines.subList(1, lines.size())));
            if (!containsRun(source, excerpt)) {
                problems.add("a fragment of " + file + " is not in it: " + excerpt.get(0));
            }
        }
        assertThat(problems).isEmpty();
        assertThat(fragments).as("fragments on the page").isGreaterThanOrEqualTo(7);
    }

    private static Path sampleSource(String fileName) throws IOException {
        try (Stream<Path> s = Files.walk(Path.of("src/main/java/io/github/usbd4j/samples/lbk"))) {
            return s.filter(p -> p.getFileName().toString().equals(fileName))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no sample source " + fileName));
        }
    }

    /** The non-blank lines, stripped: indentation differs between the page and the class. */
    private static List<String> normalized(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static boolean containsRun(List<String> source, List<String> excerpt) {
        for (int i = 0; i + excerpt.size() <= source.size(); i++) {
            if (source.subList(i, i + excerpt.size()).equals(excerpt)) {
                return true;
            }
        }
        return false;
    }
}
