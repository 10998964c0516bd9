package io.github.usbd4j.realkernel;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The LBK sample (a CE USB client driver with a stream interface) on a real Linux kernel: one QEMU boot
 * whose guest attaches the simulated loopback device over USB/IP, echoes data through LBK1: with the
 * LbkEcho application, runs {@code usbd --backend libusb devfile}, and unplugs the device (vhci detach)
 * while a read is pending on an open handle. Skips without QEMU, a kernel and usbip unless
 * {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class LbkStreamRealKernelIT {
    private static RealKernelRun run;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(true);
        QemuGuest g = QemuGuest.builder("LbkStreamRealKernelIT")
                .mainClass(LbkStreamGuest.class.getName())
                .usbIpServer("--device", "loopback", "--seconds", "240")
                .timeout(Duration.ofMinutes(4))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /** LbkEcho wrote through LBK1: and read the same bytes back; the statistics agree. */
    @Test
    void theApplication_echoesThroughLbk1() {
        run.assertPassed("usbip-attach");
        run.assertPassed("lbk-echo");
    }

    /** {@code usbd --backend libusb devfile LBK1: ...} wrote, read and controlled the device. */
    @Test
    void theToolExercisesTheDeviceName() {
        run.assertPassed("lbk-devfile");
    }

    /**
     * The pending read failed with ERROR_DEVICE_NOT_CONNECTED when the device left the kernel, later calls
     * failed with ERROR_INVALID_HANDLE_STATE, and LBK_Deinit ran once.
     */
    @Test
    void unplugWithAPendingRead_releasesIt_andDeinitsOnce() {
        run.assertPassed("lbk-unplug");
    }
}
