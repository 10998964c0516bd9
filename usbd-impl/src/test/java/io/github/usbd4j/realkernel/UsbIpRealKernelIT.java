package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Iso IN on a real Linux kernel: one QEMU boot whose guest attaches this project's simulated loopback
 * device (served by {@code UsbIpMain --stdio} behind a restricted guestfwd) to its vhci-hcd and runs the
 * usb4java backend against it: CE iso IN with and without USB_COMPRESS_ISOCH (b), the WinUSB
 * personality (issue 6), the whole backend contract suite (c), which ends with unplugs, seeded
 * transfer-lifecycle chaos (d), seeded WinUSB and WDM chaos (e), and a CE driver mixing the rules across threads
 * whose USB/IP server goes away mid-stream (f). Skips without QEMU, a kernel and
 * usbip unless {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class UsbIpRealKernelIT {
    private static RealKernelRun run;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(true);
        // each chaos scenario's budget; -Dusbd4j.chaos.seconds=N runs them longer, -Dusbd4j.chaos.unplug=true with
        // unplugs
        long chaosSeconds = Long.getLong("usbd4j.chaos.seconds", 30);
        boolean chaosUnplug = Boolean.getBoolean("usbd4j.chaos.unplug");
        QemuGuest g = QemuGuest.builder("UsbIpRealKernelIT")
                .args(
                        "usbip-warm-up",
                        "ce-loopback-in",
                        "winusb-loopback-in",
                        "contract",
                        "transfer-chaos",
                        "desktop-chaos",
                        // last: it ends the guest's connection to the server
                        "usbip-drop-mid-stream")
                .jvmArgs("-Dusbd4j.chaos.seconds=" + chaosSeconds, "-Dusbd4j.chaos.unplug=" + chaosUnplug)
                // the two contract suites plug and unplug the device for each of their ~30 tests: 150 s under TCG
                .usbIpServer("--device", "loopback", "--seconds", Long.toString(420 + 2 * chaosSeconds))
                .timeout(Duration.ofMinutes(8).plusSeconds(2 * chaosSeconds))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /** The first attach through the usb4java backend works (and its timing is reported). */
    @Test
    void warmUp_runtimeSeesTheAttachedDevice() {
        run.assertPassed("usbip-warm-up");
    }

    /**
     * Scenario b: CE iso IN bit-exact, per frame and compressed ([§1.7](reference/ce-usbd.html#s1-7),
     * [§1.8](reference/ce-usbd.html#s1-8)).
     */
    @Test
    void ceIsochIn_isBitExact_withAndWithoutCompress_1_8() {
        run.assertPassed("ce-loopback-in");
    }

    /**
     * Issue 6: WinUSB ReadIsochPipeAsap with overlapped reads, bit-exact per packet descriptor
     * ([§2.3](reference/winusb.html#s2-3), [§2.4](reference/winusb.html#s2-4)).
     */
    @Test
    void winUsbIsochIn_isBitExact_2_3() {
        run.assertPassed("winusb-loopback-in");
    }

    /**
     * Scenario c: the backend contract suite on the usb4java backend. The rules that need exact frame
     * timing skip on a real kernel (usbfs gives no frame numbers, [libraries §2](reference/linux-peers.html#p2)); every
     * other test must pass, unplug mid-stream ({@code usbip detach}) included.
     */
    @Test
    void contractSuite_passesOnTheRealStack_includingUnplugMidStream_1_5_1_7() {
        run.assertPassed("contract");
        assertThat(run.info("contract"))
                .anyMatch(l -> l.startsWith("unplugMidStream_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("closeOfAPendingTransfer_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("noCallbackWithoutNoWait_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("abortPipeTransfers_") && l.contains(" SUCCESSFUL"))
                .noneMatch(l -> l.contains(" FAILED"));
    }

    /**
     * Scenario c, the backend SPI contract on the usb4java backend: control, bulk, interrupt and isochronous
     * transfers complete exactly once, cancellations and an unplug included. Only the late-packet rule skips
     * (usbfs has no start frame).
     */
    @Test
    void backendSpiContract_passesOnTheRealStack_controlBulkInterruptIsochronousAndUnplug() {
        run.assertPassed("contract");
        assertThat(run.info("contract"))
                .anyMatch(l -> l.startsWith("controlIn_completesOnce_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("bulkOutThenIn_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("interruptOutThenIn_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("interruptInWithNothingToRead_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("isochronousIn_completesOnce_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("cancelledIsochronousBatch_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("deviceGoneMidTransfer_") && l.contains(" SUCCESSFUL"))
                .anyMatch(l -> l.startsWith("lateIsochronousBatch_") && l.contains(" ABORTED"))
                .noneMatch(l -> l.contains(" FAILED"));
    }

    /**
     * Scenario d: seeded transfer-lifecycle chaos on the usb4java backend ([§1.5](reference/ce-usbd.html#s1-5),
     * [§1.7](reference/ce-usbd.html#s1-7), [§1.10](reference/ce-usbd.html#s1-10)): worker threads abort, close,
     * reopen pipes and issue synchronously while callbacks on the backend's event thread resubmit and close
     * themselves and their siblings. Every issued transfer's callback runs exactly once, no call throws, and each
     * round's runtime leaves no transfer out of its pool and no thread behind.
     */
    @Test
    void transferChaos_everyCallbackOnce_nothingLeft_1_5_1_7() {
        run.assertPassed("transfer-chaos");
        assertThat(run.info("transfer-chaos"))
                .anyMatch(l -> l.matches("seed \\d+: \\d+ transfers issued, .*"))
                .anyMatch(l -> l.startsWith("chaos on the usb4java backend: "));
    }

    /**
     * Scenario e: seeded WinUSB and WDM chaos on the usb4java backend ([§2.3](reference/winusb.html#s2-3),
     * [§3.6](reference/wdm.html#s3-6)): worker threads stream overlapped and synchronous isochronous I/O and URBs, wait,
     * abort pipes, unregister buffers, free handles and select settings, while completion callbacks and routines on the
     * backend's event thread resubmit, abort, unregister and wait for a sibling I/O. Every accepted I/O and URB
     * completes exactly once, no call throws, and each round's runtime leaves no transfer out of its pool and no thread
     * behind.
     */
    @Test
    void desktopChaos_everyIoAndUrbOnce_waitsInCallbacksAnswered_nothingLeft_2_3_3_6() {
        run.assertPassed("desktop-chaos");
        assertThat(run.info("desktop-chaos"))
                .anyMatch(l -> l.matches("seed \\d+: \\d+ WinUSB I/Os and \\d+ URBs accepted, .*"))
                .anyMatch(l -> l.startsWith("desktop chaos on the usb4java backend: "));
    }

    /**
     * Scenario f: a CE driver mixing the rules across threads, on the library's default usb4java backend
     * ([§1.5](reference/ce-usbd.html#s1-5), [§1.7](reference/ce-usbd.html#s1-7), [§1.8](reference/ce-usbd.html#s1-8)):
     * six ASAP iso IN transfers in flight, whose callbacks read GetIsochResults, close and abort pending siblings and
     * make synchronous vendor requests, GetDescriptor calls and iso transfers, while another thread aborts and closes pending
     * transfers and a third streams synchronously; then the host's USB/IP server is killed, so the guest kernel's
     * connection drops mid-stream. Every callback once, every frame a defined status and length, every callback and
     * USB_CLOSE_DEVICE (once) within 1 s of the first completion telling of it, a synchronous call pending across it
     * returned, no thread stuck, later calls refused with an error, nothing left; attached again, the device streams
     * on the same runtime ({@link CrossThreadScenarios}).
     */
    @Test
    void crossThreadDriver_serverGoneMidStream_everyTransferAnsweredWithin1s_1_5_1_7() {
        run.assertPassed("usbip-drop-mid-stream");
        assertThat(run.info("usbip-drop-mid-stream"))
                .anyMatch(l -> l.contains("pending siblings closed in a callback"))
                .anyMatch(l -> l.contains("pending siblings aborted in a callback"))
                .anyMatch(l -> l.contains("synchronous vendor requests in a callback"))
                .anyMatch(l -> l.contains("synchronous iso transfers in a callback"))
                .anyMatch(l -> l.contains("pending transfers aborted from another thread"))
                .anyMatch(l -> l.startsWith("plugged in again: "));
    }
}
