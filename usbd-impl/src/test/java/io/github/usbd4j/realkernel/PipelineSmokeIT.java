package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Temporary: boots the guest and lists the USB devices with raw usb4java. */
class PipelineSmokeIT {
    @Test
    void guestListsUsbAudio() throws Exception {
        RealKernel.assumeReady(true);
        QemuGuest g = QemuGuest.builder("PipelineSmokeIT")
                .args("smoke", "usbip-smoke")
                .usbIpServer("--device", "loopback")
                .build();
        QemuGuest.Result r = g.run();
        System.out.println(r.diagnostics());
        assertThat(r.guestRc()).as(r.diagnostics()).isZero();
    }
}
