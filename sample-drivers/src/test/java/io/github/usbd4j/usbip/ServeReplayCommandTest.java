package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.tool.UsbdTool;
import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code usbd serve-usbip --replay}: a captured device served over USB/IP, its IN data as captured. */
class ServeReplayCommandTest {
    @TempDir
    Path dir;

    private static int execute(StringWriter out, StringWriter err, String... args) {
        var cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void aCapturedMicrophone_isServed_withTheCapturedPackets() throws Exception {
        Path capture = dir.resolve("mic.pcapng");
        StringWriter rout = new StringWriter();
        StringWriter rerr = new StringWriter();
        assertThat(execute(
                        rout,
                        rerr,
                        "record",
                        "--seconds",
                        "1",
                        "--capture",
                        capture.toString(),
                        dir.resolve("m.wav").toString()))
                .as(rerr.toString())
                .isZero();
        byte[] captured = ReplayDevice.fromCapture(capture).capturedInData(0x81);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread server = new Thread(
                () -> exit.set(execute(
                        out, err, "serve-usbip", "--replay", capture.toString(), "--port", "0", "--seconds", "60")),
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
        assertThat(out.toString()).contains("1-1 = 1209:0003").contains("replay of " + capture);
        int port = Integer.parseInt(m.group(1));
        try (UsbIpTestClient c = UsbIpTestClient.connect(port)) {
            UsbIpTestClient.Device mic = c.importDevice("1-1");
            UsbIpTestClient.Reply r = c.readMicrophonePackets(mic.devid());
            assertThat(r).isNotNull();
            assertThat(r.status()).isZero();
            assertThat(r.actualLength()).isEqualTo(16 * Uac1Microphone.BYTES_PER_FRAME);
            assertThat(Arrays.copyOfRange(r.data(), 0, 16 * Uac1Microphone.BYTES_PER_FRAME))
                    .isEqualTo(Arrays.copyOfRange(captured, 0, 16 * Uac1Microphone.BYTES_PER_FRAME));
        }
        server.interrupt();
        server.join(10_000);
        assertThat(server.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
    }
}
