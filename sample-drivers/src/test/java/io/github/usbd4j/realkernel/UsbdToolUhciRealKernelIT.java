package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.audio.WavFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./usbd} script, exactly as typed, with QEMU's usb-audio behind the guest's UHCI controller
 * (a full-speed host controller with its own frame list, where {@link UsbdToolRealKernelIT}'s is xHCI):
 * {@code usbd list} and {@code usbd play --volume 8}, checked bit-exact in QEMU's wav capture. Skips
 * without QEMU and a kernel unless {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class UsbdToolUhciRealKernelIT {
    private static RealKernelRun run;
    private static Path share;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(false);
        Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Path input = module.resolve("target").resolve("realkernel-input").resolve("UsbdToolUhciRealKernelIT");
        Files.createDirectories(input);
        Path wav = input.resolve("play.wav");
        new WavFile(
                        48_000,
                        2,
                        16,
                        UsbdToolRealKernelIT.pcm(
                                UsbdToolRealKernelIT.PLAY,
                                UsbdToolRealKernelIT.PLAY_FRAMES,
                                UsbdToolRealKernelIT.TAIL_PACKETS * 48))
                .write(wav);
        QemuGuest.Builder b = QemuGuest.builder("UsbdToolUhciRealKernelIT");
        share = b.runDir().resolve("share");
        QemuGuest g = b.mainClass(UsbdToolGuest.class.getName())
                .uhci()
                .args("uhci", module.getParent().toString(), wav.toString())
                .timeout(Duration.ofMinutes(10))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /** usb-audio is listed at full speed with its UAC1 streaming format. */
    @Test
    void list_showsTheAudioDeviceBehindUhci() throws Exception {
        run.assertPassed("tool-list");
        assertThat(Files.readString(share.resolve("list.txt"), StandardCharsets.UTF_8))
                .contains("46f4:0002 QEMU QEMU USB Audio (full speed, libusb:")
                .contains("UAC1 format: PCM, 2 ch, 16 bit, 48000 Hz");
    }

    /** Every sample of the WAV file reached the device bit-exact through UHCI, and the tool said none was lost. */
    @Test
    void play_throughUhci_isBitExactAndLosesNothing() throws Exception {
        run.assertPassed("tool-play");
        assertThat(run.info("tool-play")).anyMatch(l -> l.startsWith("result: ") && l.contains("none lost: exit 0"));
        List<String> report = WavPattern.verify(
                Files.readAllBytes(run.guest.wav()),
                List.of(new WavPattern.Segment(UsbdToolRealKernelIT.PLAY, UsbdToolRealKernelIT.PLAY_FRAMES)));
        report.forEach(l -> System.out.println("  wav: " + l));
    }
}
