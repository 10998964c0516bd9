package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Iso OUT on a real Linux kernel: one QEMU boot whose guest runs the usb4java backend against QEMU's
 * emulated xHCI and usb-audio device, through the CE personality (a, d) and the WDM personality (issue 6);
 * the host then checks QEMU's wav capture bit-exact. Last, a CE driver mixing the rules across threads loses
 * the device to QEMU's {@code device_del} mid-stream (f). Skips without QEMU and a kernel unless
 * {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class UsbAudioRealKernelIT {
    private static RealKernelRun run;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(false);
        QemuGuest g = QemuGuest.builder("UsbAudioRealKernelIT")
                // the unplug last: QEMU's device_del takes the device away for good
                .args("ce-audio-out", "start-frame", "wdm-audio-out", "audio-unplug-mid-stream")
                .timeout(Duration.ofMinutes(4))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /**
     * Scenario a: CE IssueIsochTransfer, 4 in flight, every packet checked ([§1.8](reference/ce-usbd.html#s1-8),
     * [§1.11](reference/ce-usbd.html#s1-11)).
     */
    @Test
    void ceIsochOut_everyPacketSucceeds_1_8() {
        run.assertPassed("ce-audio-out");
    }

    /**
     * Issue 6: the WDM personality's isoch URBs with a completion routine ([§3.4](reference/wdm.html#s3-4),
     * [§3.6](reference/wdm.html#s3-6)).
     */
    @Test
    void wdmIsochUrbs_everyPacketSucceeds_3_4() {
        run.assertPassed("wdm-audio-out");
    }

    /** Both streams reached the device sample for sample, in order, and nothing else did. */
    @Test
    void wavCapture_holdsBothStreamsBitExact() throws Exception {
        run.assertPassed("ce-audio-out");
        run.assertPassed("wdm-audio-out");
        long frames = UsbAudioScenarios.PACKETS * (long) UsbAudioScenarios.FRAMES_PER_PACKET;
        List<String> report = WavPattern.verify(
                Files.readAllBytes(run.guest.wav()),
                List.of(new WavPattern.Segment(WavPattern.CE, frames), new WavPattern.Segment(WavPattern.WDM, frames)));
        report.forEach(l -> System.out.println("  wav: " + l));
    }

    /**
     * Scenario d: explicit start frames are accepted and the measured landing error is reported
     * ([§1.8](reference/ce-usbd.html#s1-8), [§1.9](reference/ce-usbd.html#s1-9)).
     */
    @Test
    void explicitStartFrame_landingIsMeasured_1_8_1_9() {
        run.assertPassed("start-frame");
        assertThat(run.info("start-frame")).anyMatch(l -> l.contains("median="));
    }

    /**
     * Scenario f on xHCI: the cross-thread CE driver of {@link CrossThreadScenarios} streams silence (iso OUT) with
     * GET_CUR class requests and synchronous iso transfers in its callbacks, and QEMU's {@code device_del} pulls the
     * device mid-stream
     * ([§1.5](reference/ce-usbd.html#s1-5), [§1.7](reference/ce-usbd.html#s1-7)).
     */
    @Test
    void crossThreadDriver_deviceDelMidStream_everyTransferAnsweredWithin1s_1_5_1_7() {
        run.assertPassed("audio-unplug-mid-stream");
        assertThat(run.info("audio-unplug-mid-stream"))
                .anyMatch(l -> l.contains("pending siblings closed in a callback"))
                .anyMatch(l -> l.contains("pending siblings aborted in a callback"))
                .anyMatch(l -> l.contains("synchronous class requests in a callback"))
                .anyMatch(l -> l.contains("synchronous iso transfers in a callback"));
    }
}
