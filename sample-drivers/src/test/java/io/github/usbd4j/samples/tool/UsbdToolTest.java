package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.audio.WavFile;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.UvcCamera;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The usbd tool, run in-process with captured output. */
class UsbdToolTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void demoStreamsTenSecondsAndPrintsThePerFrameSummary() {
        Run r = run("demo");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("loopback device 1209:0001")
                .contains("OUT 0x01: 10000 frames")
                .contains("IN  0x81: 10000 frames")
                .contains("9987 packets")
                .contains("12 came back with an error status, 0 mismatched")
                .contains("frame 5000 ep 0x81 USB_NOT_ACCESSED_ERROR")
                .contains("per-frame summary:")
                .containsPattern("total   : frames 20000, bytes \\d+, errors \\d+ \\(USB_CRC_ERROR \\d+,"
                        + " USB_NOT_ACCESSED_ERROR 2\\), late/missed 2")
                .contains(
                        "result: 14 of 20000 packets lost (USB_CRC_ERROR 12, USB_NOT_ACCESSED_ERROR 2), 14 injected by"
                                + " the demo, within --max-errors 0: exit 0");
    }

    @Test
    void demoIsDeterministic() {
        assertThat(run("demo", "--seconds", "2").out().replaceAll("in [0-9.]+ s of wall time", ""))
                .isEqualTo(run("demo", "--seconds", "2").out().replaceAll("in [0-9.]+ s of wall time", ""));
    }

    @Test
    void badArgumentsGiveOneLineOnStderrAndExitCode2() {
        Run r = run("demo", "--bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err())
                .contains("Unknown option: '--bogus'")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");

        Run backend = run("list", "--backend", "usb");
        assertThat(backend.exit()).isEqualTo(2);
        assertThat(backend.err().strip().lines()).hasSize(1);
        assertThat(backend.err()).contains("--backend");

        Run noCommand = run();
        assertThat(noCommand.exit()).isEqualTo(2);
        assertThat(noCommand.err()).contains("missing command");

        Run badSpeed = run("loopback-test", "--speed", "warp");
        assertThat(badSpeed.exit()).isEqualTo(2);
        assertThat(badSpeed.err().strip().lines()).hasSize(1);
    }

    @Test
    void missingFileIsOneLineAndExitCode2(@TempDir Path dir) {
        Run r = run("play", dir.resolve("nope.wav").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("no such file").doesNotContain("\tat ");
    }

    @Test
    void listShowsDevicesInterfacesAndIsoEndpoints() {
        Run r = run("list");
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("1209:0001 usbd4j Loopback FS (full speed")
                .contains("a high-speed variant")
                .contains("1209:0002 usbd4j UAC1 Speaker (full speed)")
                .contains("endpoint 0x01 OUT isochronous, adaptive, data: wMaxPacketSize 0x00C0 = 192 bytes, every 1 ms"
                        + " (bInterval 1): 192 bytes per service interval")
                .contains("endpoint 0x81 IN isochronous, asynchronous, data: wMaxPacketSize 0x1400 = 1024 bytes x 3"
                        + " transactions, every 125 us (bInterval 1): 3072 bytes per service interval")
                .contains("UAC1 format: PCM, 2 ch, 16 bit, 44100, 48000 Hz (terminal 1)")
                .contains("UAC1 AudioControl: input terminal 1 (USB streaming); feature unit 3 (mute, volume) <- 1;"
                        + " output terminal 2 (speaker) <- 3")
                .contains("UVC format 1: uncompressed YUY2 (16 bits per pixel): 160x120 at 30 fps (up to 38400 bytes)")
                .contains("CE: SetInterface(1, 1); OpenPipe(0x81); IssueIsochTransfer(USB_IN_TRANSFER |"
                        + " USB_START_ISOCH_ASAP), up to 96 bytes per frame entry")
                .contains("WinUSB: WinUsb_SetCurrentAlternateSetting(1); WinUsb_RegisterIsochBuffer(0x81);"
                        + " WinUsb_ReadIsochPipeAsap")
                .contains("usbd stream --device 1209:0003 --interface 1 --alt 1 --endpoint 0x81")
                .contains("1209:0004 usbd4j UVC Camera (high speed)")
                .contains("interface 1 alt 2: class 0x0E/0x02/0x00 Video Streaming");
    }

    @Test
    void loopbackTestOnHighSpeed() {
        Run r = run("loopback-test", "--speed", "high", "--frames", "4000");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("high-speed").contains("4000 packets").contains("0 mismatched");
    }

    @Test
    void playAndRecordRoundTrip(@TempDir Path dir) throws Exception {
        byte[] pcm = new byte[44_100 * 4 / 10];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = (byte) (i * 7);
        }
        Path in = dir.resolve("in.wav");
        new WavFile(44_100, 2, 16, pcm).write(in);
        Run play = run("play", in.toString());
        assertThat(play.exit()).isZero();
        assertThat(play.out())
                .contains("sampling frequency set to 44100 Hz")
                .contains("byte-exact with the file")
                .contains("OUT 0x01: frames 100, bytes " + pcm.length);

        Path rec = dir.resolve("rec.wav");
        Run record = run("record", rec.toString(), "--seconds", "0.5");
        assertThat(record.exit()).isZero();
        assertThat(record.out()).contains("24000 samples").contains("IN  0x81: frames 500, bytes 48000, errors 0");
        assertThat(WavFile.read(rec).pcm()).hasSize(48_000);
        assertThat(run("record", rec.toString(), "--seconds", "-1").exit()).isEqualTo(2);
    }

    @Test
    void cameraSavesFrames(@TempDir Path dir) throws Exception {
        Run r = run("camera", "--frames", "3", "--out", dir.toString(), "--raw");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("captured 3 complete video frames (160x120 YUY2, 38400 bytes each; 0 incomplete)");
        assertThat(Files.readAllBytes(dir.resolve("frame-0001.yuy2"))).isEqualTo(UvcCamera.expectedFrame(1));
        assertThat(Files.exists(dir.resolve("frame-0002.pgm"))).isTrue();
    }

    @Test
    void streamAnyIsoEndpoint(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mic.raw");
        Run r = run(
                "stream",
                "--device",
                "1209:0003",
                "--interface",
                "1",
                "--alt",
                "1",
                "--endpoint",
                "0x81",
                "--packets",
                "200",
                "--in-flight",
                "2",
                "--compress",
                "--file",
                file.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("IN  0x81: frames 200, bytes 19200, errors 0, late/missed 0");
        byte[] data = Files.readAllBytes(file);
        assertThat(data).hasSize(19_200);

        Run out = run(
                "stream", "--device", "1209:0001", "--endpoint", "0x01", "--packet-length", "100", "--packets", "64");
        assertThat(out.exit()).isZero();
        assertThat(out.out()).contains("OUT 0x01: frames 64, bytes 6400, errors 0");

        Run late = run("stream", "--device", "1209:0001", "--endpoint", "0x81", "--start-frame", "1");
        assertThat(late.exit()).isEqualTo(4);
        assertThat(late.out()).contains("IssueIsochTransfer refused: ERROR_CAN_NOT_COMPLETE");

        Run noEp = run("stream", "--device", "1209:0003", "--interface", "1", "--endpoint", "0x02");
        assertThat(noEp.exit()).isEqualTo(2);
        assertThat(noEp.err()).contains("no isochronous endpoint 0x02");
        assertThat(Uac1Microphone.BYTES_PER_FRAME).isEqualTo(96);
    }

    @Test
    void usbipAttachLine() {
        assertThat(UsbdTool.ServeUsbIp.attachCommand(InetAddress.getLoopbackAddress(), 3240, "1-1"))
                .isEqualTo("usbip attach -r 127.0.0.1 -b 1-1");
        assertThat(UsbdTool.ServeUsbIp.attachCommand(InetAddress.getLoopbackAddress(), 3300, "1-2"))
                .isEqualTo("usbip --tcp-port 3300 attach -r 127.0.0.1 -b 1-2");
    }
}
