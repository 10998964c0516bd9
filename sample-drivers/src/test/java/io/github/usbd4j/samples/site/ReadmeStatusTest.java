package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.site.RepoDocs.Doc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's Status table states what the tests show: every test it names exists, every real-kernel
 * scenario it claims is one the real-kernel tests run in {@code verify} (which {@code .ci/run} runs with
 * the real kernel required), a row that claims such a scenario does not call it unstable, and the contract
 * suite's rule counts are the suite's.
 */
class ReadmeStatusTest {

    /** A phrase of the table, and what must be in a test source for it to be true. */
    record Claim(String phrase, String testClass, String mustContain) {}

    private static final List<Claim> CLAIMS = List.of(
            new Claim("WDM iso OUT to QEMU's usb-audio", "UsbAudioRealKernelIT", "\"wdm-audio-out\""),
            new Claim("WinUSB iso IN over USB/IP", "UsbIpRealKernelIT", "\"winusb-loopback-in\""),
            new Claim("CE iso OUT and IN bit-exact", "UsbAudioRealKernelIT", "\"ce-audio-out\""),
            new Claim("CE iso OUT and IN bit-exact", "UsbIpRealKernelIT", "\"ce-loopback-in\""),
            new Claim("the backend contract suite (", "UsbIpRealKernelIT", "\"contract\""),
            new Claim("unplug mid-stream included", "UsbIpRealKernelIT", "\"unplugMidStream_\""),
            new Claim("over USB/IP (server killed)", "UsbIpRealKernelIT", "\"usbip-drop-mid-stream\""),
            new Claim("behind xHCI (QEMU's `device_del`)", "UsbAudioRealKernelIT", "\"audio-unplug-mid-stream\""),
            new Claim("`--backend libusb` on the real kernel in CI", "UsbdToolRealKernelIT", "UsbdToolGuest.class"),
            new Claim("`--backend libusb` on the real kernel in CI", "UsbdToolGuest", "\"--backend\", \"libusb\""),
            new Claim("run as `./usbd`", "UsbdToolGuest", "Path.of(args[0], \"usbd\")"),
            new Claim("behind xHCI and UHCI", "UsbdToolRealKernelIT", ".uhciAudio()"),
            new Claim("`play --volume`", "UsbdToolGuest", "\"--volume\", \"8\""),
            new Claim("`loopback-test`", "UsbdToolGuest", "\"loopback-test\""),
            new Claim("`record` and `camera` over USB/IP", "UsbdToolGuest", "\"record\""),
            new Claim("`record` and `camera` over USB/IP", "UsbdToolGuest", "\"camera\""),
            new Claim("`stream`, and", "UsbdToolGuest", "\"stream\""),
            new Claim("all 14 of its rules", "SimulatedBackendContractTest", "extends IsochSemanticsContract"),
            new Claim("the LBK sample over USB/IP", "LbkStreamRealKernelIT", "LbkStreamGuest.class"),
            new Claim("unplug with a pending read", "LbkStreamGuest", "\"lbk-unplug\""),
            new Claim("the guest kernel's usbmon", "CaptureRealKernelIT", "CaptureGuest.class"),
            new Claim("the guest kernel's usbmon", "CaptureGuest", "/dev/usbmon0"));

    private final Doc readme = RepoDocs.read(RepoDocs.root().resolve("README.md"));

    @Test
    void everyTestTheTableNamesExists() {
        List<String> rows = statusRows();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(5);
        List<String> missing = new ArrayList<>();
        for (String row : rows) {
            String[] cells = row.split("\\|");
            Matcher name = Pattern.compile("`(\\w+)`").matcher(cells[cells.length - 1]);
            int named = 0;
            while (name.find()) {
                named++;
                if (testSource(name.group(1)) == null) {
                    missing.add(name.group(1));
                }
            }
            assertThat(named).as("tests named in: %s", row).isPositive();
        }
        assertThat(missing).as("tests the Status table names that do not exist").isEmpty();
    }

    @Test
    void everyClaimedScenarioRunsInVerify_andCiRequiresTheRealKernel() {
        String table = String.join("\n", statusRows());
        for (Claim c : CLAIMS) {
            assertThat(table).as("the Status table claims").contains(c.phrase());
            Path source = testSource(c.testClass());
            assertThat(source).as(c.testClass()).isNotNull();
            assertThat(RepoDocs.read(source).text())
                    .as("%s runs what '%s' claims", c.testClass(), c.phrase())
                    .contains(c.mustContain());
        }
        for (String row : statusRows()) {
            if (row.contains("in CI")) {
                assertThat(row.toLowerCase(java.util.Locale.ROOT))
                        .as("a row with scenarios in CI")
                        .doesNotContain("not yet")
                        .doesNotContain("not stable")
                        .doesNotContain("unstable");
            }
        }
        String ci = RepoDocs.read(RepoDocs.root().resolve(".ci/run")).text();
        assertThat(ci).contains("./mvnw -B verify").contains("USBD4J_REQUIRE_REAL_KERNEL=1");
        for (String module : List.of("usbd-impl", "sample-drivers")) {
            assertThat(RepoDocs.read(RepoDocs.root().resolve(module).resolve("pom.xml"))
                            .text())
                    .as("%s runs its *IT tests in verify", module)
                    .contains("maven-failsafe-plugin")
                    .contains("<goal>integration-test</goal>");
        }
    }

    /** "10 of its 14 rules": the contract suite's tests, less those that need frame-exact timing. */
    @Test
    void theContractSuiteCountsAreTheSuites() {
        String suite = RepoDocs.read(testSource("IsochSemanticsContract")).text();
        int rules = count(suite, "@Test");
        int frameExact = count(suite, "assumeTrue(fx.harness.isVirtual()");
        String table = String.join("\n", statusRows());
        assertThat(table).contains("all " + rules + " of its rules");
        assertThat(table).contains((rules - frameExact) + " of its " + rules + " rules");
        assertThat(table).contains("the other " + frameExact + " need frame-exact timing");
    }

    private List<String> statusRows() {
        String text = readme.text();
        int start = text.indexOf("## Status");
        int end = text.indexOf("\n## ", start + 1);
        List<String> rows = new ArrayList<>();
        for (String line : text.substring(start, end).lines().toList()) {
            if (line.startsWith("| ") && !line.startsWith("| area") && !line.startsWith("|---")) {
                rows.add(line);
            }
        }
        return rows;
    }

    private static Path testSource(String simpleName) {
        for (Path module : RepoDocs.modules()) {
            try (var files = Files.walk(module.resolve("src/test/java"))) {
                var found = files.filter(p -> p.getFileName().toString().equals(simpleName + ".java"))
                        .findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                // a module without tests
            }
        }
        return null;
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
