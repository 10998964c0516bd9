package io.github.usbd4j.realkernel;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Iso IN on a real Linux kernel: one QEMU boot whose guest attaches this project's simulated loopback
 * device (served by {@code UsbIpMain --stdio} behind a restricted guestfwd) to its vhci-hcd and runs the
 * usb4java backend against it: CE iso IN with and without USB_COMPRESS_ISOCH (b), the WinUSB
 * personality (issue 6), and the whole backend contract suite (c). Skips without QEMU, a kernel and
 * usbip unless {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class UsbIpRealKernelIT {
    private static RealKernelRun run;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(true);
        QemuGuest g = QemuGuest.builder("UsbIpRealKernelIT")
                // "winusb-loopback-in" and "contract" exist but are not run yet: the WinUSB read's first
                // packet is sometimes reported late by the real-time USB/IP server under TCG load, and the
                // contract suite's sixth backend lifecycle crashes libusb4java's event handling (SIGSEGV in
                // libusb_handle_events); both are open items of issues 4 and 6.
                .args("usbip-warm-up", "ce-loopback-in")
                .usbIpServer("--device", "loopback", "--seconds", "240")
                .timeout(Duration.ofMinutes(4))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /** The first attach through the usb4java backend works (and its timing is reported). */
    @Test
    void warmUp_runtimeSeesTheAttachedDevice() {
        run.assertPassed("usbip-warm-up");
    }

    /** Scenario b: CE iso IN bit-exact, per frame and compressed (§1.7, §1.8). */
    @Test
    void ceIsochIn_isBitExact_withAndWithoutCompress_1_8() {
        run.assertPassed("ce-loopback-in");
    }
}
