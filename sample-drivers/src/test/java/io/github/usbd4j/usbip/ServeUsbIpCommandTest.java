package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.tool.UsbdTool;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code usbd serve-usbip} on an ephemeral port, talked to by usbd-impl's USB/IP test client (this test
 * lives in its package to reach it).
 */
class ServeUsbIpCommandTest {

    @Test
    void servesTheDevicesAndPrintsTheAttachLine() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        AtomicInteger exit = new AtomicInteger(-1);
        Thread server = new Thread(
                () -> exit.set(cl.execute(
                        "serve-usbip",
                        "--device",
                        "loopback",
                        "--device",
                        "microphone",
                        "--port",
                        "0",
                        "--seconds",
                        "60")),
                "serve-usbip");
        server.start();
        Matcher m = Pattern.compile("on 127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!m.reset(out.toString()).find() || !out.toString().contains("serving for 60 s")) {
            assertThat(System.nanoTime())
                    .as("the server announces itself; stderr: %s", err)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        int port = Integer.parseInt(m.group(1));
        assertThat(out.toString())
                .contains("1-1 = 1209:0001")
                .contains("1-2 = 1209:0003")
                .contains("usbip --tcp-port " + port + " attach -r 127.0.0.1 -b 1-1")
                .contains("usbip --tcp-port " + port + " attach -r 127.0.0.1 -b 1-2");

        try (UsbIpTestClient list = UsbIpTestClient.connect(port)) {
            List<UsbIpTestClient.Device> devices = list.devlist();
            assertThat(devices).extracting(UsbIpTestClient.Device::busId).containsExactly("1-1", "1-2");
            assertThat(devices).extracting(UsbIpTestClient.Device::product).containsExactly(1, 3);
        }
        try (UsbIpTestClient c = UsbIpTestClient.connect(port)) {
            UsbIpTestClient.Device mic = c.importDevice("1-2");
            UsbIpTestClient.Reply r = c.readMicrophonePackets(mic.devid());
            assertThat(r).isNotNull();
            assertThat(r.status()).isZero();
            assertThat(r.packets()).isEqualTo(16);
            assertThat(r.actualLength()).isEqualTo(16 * Uac1Microphone.BYTES_PER_FRAME);
            assertThat(Arrays.copyOfRange(r.data(), 0, Uac1Microphone.BYTES_PER_FRAME))
                    .isEqualTo(Uac1Microphone.expectedPacket(r.startFrame()));
        }

        server.interrupt(); // the command's way to stop early
        server.join(10_000);
        assertThat(server.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
        assertThat(out.toString()).contains("usbd serve-usbip: stopped after");
    }

    /** A running {@code serve-usbip} on an ephemeral port: its output, port and thread. */
    private record Serving(StringWriter out, StringWriter err, int port, Thread thread, AtomicInteger exit) {
        void stop() throws InterruptedException {
            thread.interrupt(); // the command's way to stop early
            thread.join(10_000);
            assertThat(thread.isAlive()).isFalse();
            assertThat(exit.get()).isZero();
        }
    }

    private static Serving serve(String... options) throws InterruptedException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        AtomicInteger exit = new AtomicInteger(-1);
        List<String> args = new java.util.ArrayList<>(List.of("serve-usbip", "--port", "0", "--seconds", "60"));
        args.addAll(List.of(options));
        Thread t = new Thread(() -> exit.set(cl.execute(args.toArray(String[]::new))), "serve-usbip");
        t.start();
        Matcher m = Pattern.compile("on 127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!m.reset(out.toString()).find() || !out.toString().contains("serving for 60 s")) {
            assertThat(System.nanoTime())
                    .as("the server announces itself; stderr: %s", err)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        return new Serving(out, err, Integer.parseInt(m.group(1)), t, exit);
    }

    private static void awaitLine(LogCapture log, String text) throws InterruptedException {
        for (int i = 0; i < 250 && log.lines().stream().noneMatch(l -> l.contains(text)); i++) {
            Thread.sleep(20); // 5 s at most
        }
        assertThat(log.lines()).anyMatch(l -> l.contains(text));
    }

    @Test
    void allowRefusesALoopbackClientOutsideTheListWithALogLine() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Serving s = serve("--allow", "10.0.0.0/8");
            assertThat(s.out().toString()).contains("peers allowed: 10.0.0.0/8");
            try (UsbIpTestClient c = UsbIpTestClient.connect(s.port())) {
                assertThat(c.closedByServer()).isTrue();
            }
            awaitLine(log, "127.0.0.1 is not an allowed peer (allowed: 10.0.0.0/8)");
            assertThat(log.lines().stream().filter(l -> l.contains("not an allowed peer")))
                    .singleElement()
                    .asString()
                    .startsWith("WARN refused tcp-");
            s.stop();
        }
    }

    @Test
    void byDefaultOnlyLoopbackIsAllowedAndANarrowerListRefusesAnotherLoopbackAddress() throws Exception {
        Serving defaults = serve();
        assertThat(defaults.out().toString()).contains("peers allowed: loopback only; an import idle for 60 s");
        InetAddress localhost = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        InetAddress second = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
        try (UsbIpTestClient c = UsbIpTestClient.connect(localhost, defaults.port(), second)) {
            assertThat(c.devlist()).hasSize(1);
        }
        defaults.stop();

        try (LogCapture log = new LogCapture()) {
            Serving narrow = serve("--allow", "127.0.0.1/32", "--idle-seconds", "5");
            assertThat(narrow.out().toString()).contains("peers allowed: 127.0.0.1/32; an import idle for 5 s");
            try (UsbIpTestClient c = UsbIpTestClient.connect(localhost, narrow.port(), second)) {
                assertThat(c.closedByServer()).isTrue();
            }
            awaitLine(log, "127.0.0.2 is not an allowed peer (allowed: 127.0.0.1/32)");
            try (UsbIpTestClient c = UsbIpTestClient.connect(localhost, narrow.port(), localhost)) {
                assertThat(c.devlist()).hasSize(1);
            }
            narrow.stop();
        }
    }

    /** The address line reads unambiguously with an IPv6 address: its last group is not the port. */
    @Test
    void anIpv6BindIsPrintedInBrackets() throws Exception {
        StringWriter out = new StringWriter();
        var cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute("serve-usbip", "--bind", "::1", "--port", "0", "--seconds", "1"))
                .isZero();
        assertThat(out.toString())
                .containsPattern("USB/IP server on \\[0:0:0:0:0:0:0:1\\]:[0-9]+ \\(")
                .contains("attach -r 0:0:0:0:0:0:0:1 -b 1-1");
    }

    @Test
    void badArgumentsAreOneLine() {
        for (String[] args : new String[][] {
            {"serve-usbip", "--device", "toaster"},
            {"serve-usbip", "--port", "70000"},
            {"serve-usbip", "--stdio", "--port", "3240"},
            {"serve-usbip", "--bind", "no.such.host.invalid"},
            {"serve-usbip", "--allow", "localhost"},
            {"serve-usbip", "--allow", "10.1.2.3/8"},
            {"serve-usbip", "--allow", "10.0.0.0/8,"},
            {"serve-usbip", "--stdio", "--allow", "10.0.0.0/8"},
            {"serve-usbip", "--idle-seconds", "-1"}
        }) {
            StringWriter err = new StringWriter();
            var cl = UsbdTool.commandLine();
            cl.setErr(new PrintWriter(err, true));
            assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString().strip().lines()).as(err.toString()).hasSize(1);
        }
    }
}
