package io.github.usbd4j.libusb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.usb4java.LibUsb;

/**
 * What of the usb4java backend can be checked on a host without USB devices; transfers are tested
 * against a real kernel in the QEMU stage ({@code io.github.usbd4j.realkernel}).
 */
class LibusbHostControllerTest {

    @Test
    void usbfsPacketLimit_followsTheKernelVersion() { // [libraries §2](reference/linux-peers.html#p2)
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "6.1.0-56-amd64")).isEqualTo(98_304);
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "5.2.0")).isEqualTo(98_304);
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "5.1.21")).isEqualTo(49_152);
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "3.10.0-1160.el7.x86_64"))
                .isEqualTo(49_152);
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "3.9.11")).isEqualTo(8_192);
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "2.6.18")).isEqualTo(8_192);
        assertThat(KernelLimits.maxIsoPacketLength("Linux", "2.6.17")).isEqualTo(1_023);
        assertThat(KernelLimits.maxIsoPacketLength("Mac OS X", "14.1")).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void libusbStatuses_mapToPacketStatuses_andUnrunPacketsOfACancelledTransferAreNotAccessed() {
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_COMPLETED, false))
                .isEqualTo(PacketStatus.OK);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_ERROR, false)).isEqualTo(PacketStatus.HOST_ERROR);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_ERROR, true)).isEqualTo(PacketStatus.NOT_ACCESSED);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_STALL, false)).isEqualTo(PacketStatus.STALL);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_NO_DEVICE, false))
                .isEqualTo(PacketStatus.DEVICE_GONE);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_CANCELLED, false))
                .isEqualTo(PacketStatus.CANCELED);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_OVERFLOW, false))
                .isEqualTo(PacketStatus.DATA_OVERRUN);
        assertThat(LibusbCodes.ofTransferStatus(LibUsb.TRANSFER_TIMED_OUT, false))
                .isEqualTo(PacketStatus.DEVICE_NOT_RESPONDING);
        assertThat(LibusbCodes.ofError(LibUsb.ERROR_NO_DEVICE)).isEqualTo(PacketStatus.DEVICE_GONE);
        assertThat(LibusbCodes.ofError(LibUsb.ERROR_ACCESS)).isEqualTo(PacketStatus.HOST_ERROR);
    }

    @Test
    void badBuilderArguments_areRefusedWithAClearMessage() {
        assertThatThrownBy(() -> LibusbHostController.builder().device(0x10000, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16-bit");
        assertThatThrownBy(() -> LibusbHostController.builder().submitLeadMillis(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("submit lead");
        assertThatThrownBy(() -> LibusbHostController.builder().pollIntervalMillis(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("poll interval");
    }

    @Test
    void startsAndStops_onThisHost_reportingOnlyNonHubDevices() {
        Usb4javaAssumptions.assumeNativeLibrary();
        List<BackendDevice> attached = new ArrayList<>();
        try (LibusbHostController backend = LibusbHostController.builder().build()) {
            backend.start(new HostListener() {
                @Override
                public void deviceAttached(BackendDevice device) {
                    attached.add(device);
                }

                @Override
                public void deviceDetached(BackendDevice device) {}
            });
            assertThat(backend.name()).isEqualTo("libusb");
            assertThat(backend.clock().isVirtual()).isFalse();
            long f0 = backend.clock().currentFrame();
            assertThat(backend.clock().currentMicroframe()).isGreaterThanOrEqualTo(f0 * 8);
            assertThat(backend.clock().adjustFrameLength(12_001, null)).isFalse();
        }
        assertThat(attached).allSatisfy(d -> assertThat(d.deviceDescriptor()[4]).isNotEqualTo((byte) 9));
    }

    /**
     * A close on the event thread (from a transfer callback, which runs there) returns at once; the event thread
     * stops after it, and libusb is released. It waited 10 s for the event thread, that is for itself, and then
     * left libusb's context allocated.
     */
    @Test
    void aCloseOnTheEventThread_returnsAtOnce_andTheEventThreadStopsAfterIt() throws Exception {
        Usb4javaAssumptions.assumeNativeLibrary();
        LibusbHostController backend = LibusbHostController.builder().build();
        backend.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {}

            @Override
            public void deviceDetached(BackendDevice device) {}
        });
        java.util.concurrent.CompletableFuture<Long> took = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Thread> eventThread = new java.util.concurrent.CompletableFuture<>();
        backend.callbackExecutor().orElseThrow().execute(() -> {
            eventThread.complete(Thread.currentThread());
            long start = System.nanoTime();
            backend.close();
            took.complete(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        });

        assertThat(took.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .as("ms close() took")
                .isLessThan(2000);
        Thread t = eventThread.get();
        t.join(5000);
        assertThat(t.isAlive()).as("the event thread stopped").isFalse();
    }
}
