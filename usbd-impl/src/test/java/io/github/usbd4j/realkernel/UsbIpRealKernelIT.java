package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
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
                .args("usbip-warm-up", "ce-loopback-in", "winusb-loopback-in", "contract")
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

    /** Issue 6: WinUSB RegisterIsochBuffer + Read/WriteIsochPipeAsap with OVERLAPPED (§2.3, §2.4). */
    @Test
    void winUsbIsochIn_isBitExact_2_3() {
        run.assertPassed("winusb-loopback-in");
    }

    /** Scenario c: the backend contract suite passes on the usb4java backend; lists any test that failed. */
    @Test
    void backendContract_passesOnTheUsb4javaBackend() {
        List<String> lines = run.info("contract");
        List<String> failed = lines.stream().filter(l -> l.contains(" FAILED")).toList();
        assertThat(failed)
                .as("contract tests that failed in the guest\n%s", run.result.diagnostics())
                .isEmpty();
        run.assertPassed("contract");
        lines.stream().filter(l -> l.contains(" ABORTED")).forEach(l -> System.out.println("  skipped: " + l));
    }
}
