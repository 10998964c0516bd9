package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.audio.WavFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code usbd} tool, unchanged, with {@code --backend libusb} on a real Linux kernel (issue 5): one
 * QEMU boot whose guest runs {@code usbd play} and {@code usbd stream} to QEMU's usb-audio (checked
 * bit-exact against QEMU's wav capture), then {@code usbd stream} out to and back in from the simulated
 * loopback device attached over USB/IP (the bytes read back must equal the bytes written). Skips without
 * QEMU, a kernel and usbip unless {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class UsbdToolRealKernelIT {
    /** Audio frames (48 per 1 ms packet) of the WAV file {@code usbd play} plays. */
    static final int PLAY_FRAMES = 48 * 1000;
    /** Packets of 192 bytes (48 frames) of pattern {@code usbd stream} sends to usb-audio. */
    static final int STREAM_PACKETS = 500;
    /**
     * 100 ms of silence after each file's pattern: QEMU's usb-audio drops what it still buffers when the
     * alternate setting goes back to 0, which the tool does as soon as its last transfer completes, so the
     * last few milliseconds of a stream may never reach the capture. They are silence, which the check
     * allows between and after segments; every pattern frame must still arrive.
     */
    static final int TAIL_PACKETS = 100;
    /** Packets of 512 bytes streamed to the loopback device and back: they fit its 64 KiB queue. */
    static final int LOOP_PACKETS = 100;

    static final WavPattern PLAY = new WavPattern(13, 3, 17, 0x1234);
    static final WavPattern STREAM = new WavPattern(9, 4, 23, 0x0f0f);

    private static RealKernelRun run;
    private static byte[] loopOut;
    private static Path loopIn;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(true);
        Path input = Path.of(System.getProperty("basedir", "."), "target", "realkernel-input", "UsbdToolRealKernelIT")
                .toAbsolutePath();
        Files.createDirectories(input);
        Path wav = input.resolve("play.wav");
        new WavFile(48_000, 2, 16, pcm(PLAY, PLAY_FRAMES, TAIL_PACKETS * 48)).write(wav);
        Path raw = input.resolve("stream.raw");
        Files.write(raw, pcm(STREAM, STREAM_PACKETS * 48, TAIL_PACKETS * 48));
        loopOut = new byte[LOOP_PACKETS * 512];
        for (int i = 0; i < loopOut.length; i++) {
            loopOut[i] = (byte) (i * 31 + (i >>> 9) * 7 + 1); // differs from packet to packet
        }
        Path out = input.resolve("loop-out.bin");
        Files.write(out, loopOut);

        QemuGuest.Builder b = QemuGuest.builder("UsbdToolRealKernelIT");
        loopIn = b.runDir().resolve("share").resolve("loop-in.bin");
        QemuGuest g = b.mainClass(UsbdToolGuest.class.getName())
                .args(wav.toString(), raw.toString(), out.toString(), loopIn.toString())
                .usbIpServer("--device", "loopback", "--seconds", "240")
                .timeout(Duration.ofMinutes(4))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /** {@code frames} frames of the pattern, then {@code silent} zero frames. */
    private static byte[] pcm(WavPattern p, int frames, int silent) {
        ByteBuffer b = ByteBuffer.allocate((frames + silent) * 4);
        p.fill(b, 0, frames);
        return b.array();
    }

    /** {@code usbd play --backend libusb} and {@code usbd stream --backend libusb} OUT ran without error. */
    @Test
    void playAndStreamOut_runWithoutError() {
        run.assertPassed("volume");
        run.assertPassed("tool-play");
        run.assertPassed("tool-stream-out");
    }

    /** Every sample of the WAV file, then every byte of the raw file, reached the device bit-exact. */
    @Test
    void wavCapture_holdsThePlayedFileThenTheStreamedFileBitExact() throws Exception {
        run.assertPassed("tool-play");
        run.assertPassed("tool-stream-out");
        List<String> report = WavPattern.verify(
                Files.readAllBytes(run.guest.wav()),
                List.of(
                        new WavPattern.Segment(PLAY, PLAY_FRAMES),
                        new WavPattern.Segment(STREAM, STREAM_PACKETS * 48L)));
        report.forEach(l -> System.out.println("  wav: " + l));
    }

    /** {@code usbd stream --backend libusb} out to the loopback and back in: the same bytes, in order. */
    @Test
    void streamOutThenIn_overUsbIp_readsBackTheSameBytes() throws Exception {
        run.assertPassed("tool-stream-loop-out");
        run.assertPassed("tool-stream-loop-in");
        assertThat(Files.readAllBytes(loopIn))
                .as("loopback IN data equals the OUT file")
                .isEqualTo(loopOut);
    }
}
