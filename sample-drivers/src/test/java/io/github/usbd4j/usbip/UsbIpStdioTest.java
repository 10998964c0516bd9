package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code UsbIpMain --stdio} as QEMU's guestfwd runs it: a child JVM on this module's class path, which
 * holds two Logback configurations (the tool's and usbd-impl's test one), so Logback prints status lines
 * to stdout when it starts. The protocol stream must carry nothing but USB/IP: this failed with
 * "USBIP Kernel and tool version mismatch: 12345" (the bytes "09" of a status line's timestamp) before
 * logging started only after stdout was redirected.
 */
class UsbIpStdioTest {

    /** {@code UsbIpMain --stdio} with {@code args}, in a JVM of its own, its standard error discarded. */
    private static Process stdioServer(String... args) throws java.io.IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                UsbIpMain.class.getName(),
                "--stdio"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    @Test
    void stdioServer_answersTheDeviceListWithNothingElseOnStdout() throws Exception {
        Process p = stdioServer("--device", "loopback", "--seconds", "30");
        try (UsbIpTestClient client = new UsbIpTestClient(p.getInputStream(), p.getOutputStream(), p::destroy)) {
            List<UsbIpTestClient.Device> devices = client.devlist(); // throws on a bad version or code
            assertThat(devices).extracting(UsbIpTestClient.Device::busId).containsExactly("1-1");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * With {@code --idle-seconds}, an import that goes silent ends the session and the process: the idle
     * timeout ended the connection, but its read stayed blocked on stdin (closing stdin does not wake it),
     * so the server kept serving nothing until {@code --seconds} ran out. Bounds: 1 s of idle time, 60 s of
     * run time, 30 s to wait for the exit.
     */
    @Test
    void stdioServer_exitsWhenTheIdleTimeoutEndsItsOnlyConnection() throws Exception {
        Process p = stdioServer("--idle-seconds", "1", "--seconds", "60");
        try (UsbIpTestClient client = new UsbIpTestClient(p.getInputStream(), p.getOutputStream(), p::destroy)) {
            assertThat(client.importDevice("1-1")).isNotNull(); // then silence, with stdin left open
            assertThat(p.waitFor(30, TimeUnit.SECONDS))
                    .as("the process ended with its connection, long before --seconds")
                    .isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(client.poll(10_000)).isEqualTo(UsbIpTestClient.CLOSED);
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
