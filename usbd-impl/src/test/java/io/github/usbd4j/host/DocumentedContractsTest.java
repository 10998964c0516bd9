package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue item 5: the three places where the javadoc and the runtime disagreed, now that the javadoc says
 * what the runtime does ({@code UsbPipe.endpoint}, {@code UsbFuncs.issueIsochTransfer},
 * {@code TransferNotifyRoutine}, {@code UsbHandle}).
 */
class DocumentedContractsTest {

    /** A high-speed {@code 0x1400} endpoint carries 3 × 1024 bytes per microframe: 3072, not the raw 5120. */
    @Test
    void aHighBandwidthFrameIsBoundedByWhatTheEndpointCarries_notTheRawWMaxPacketSize() {
        try (CeHost h = CeHost.with(LoopbackDevice.highSpeed())) {
            h.selectAlt(0, 2);
            UsbPipe out = h.open(0, 2, 0x01);
            assertThat(out.endpoint().wMaxPacketSize()).isEqualTo(0x1400);
            ByteBuffer data = ByteBuffer.allocate(8 * 5120);
            assertThat(h.f.issueIsochTransfer(out, null, null, USB_START_ISOCH_ASAP, 0, 1, new int[] {3073}, data, 0))
                    .isNull();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
            assertThat(h.f.issueIsochTransfer(out, null, null, USB_START_ISOCH_ASAP, 0, 1, new int[] {5120}, data, 0))
                    .isNull();
            UsbTransfer t =
                    h.f.issueIsochTransfer(out, null, null, USB_START_ISOCH_ASAP, 0, 1, new int[] {3072}, data, 0);
            assertThat(t).isNotNull();
            assertThat(h.f.closeTransfer(t)).isTrue();
        }
    }

    /** On a virtual clock a transfer callback runs on the thread that advances the bus, as documented. */
    @Test
    void onAVirtualClockCallbacksRunOnTheThreadThatAdvancesTheBus() {
        try (CeHost h = CeHost.with(LoopbackDevice.fullSpeed())) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            UsbPipe out = h.open(1, 0, 0x02);
            UsbTransfer t = h.f.issueBulkTransfer(
                    out,
                    param -> {
                        ranOn.set(Thread.currentThread());
                        return 0;
                    },
                    null,
                    0,
                    8,
                    ByteBuffer.allocate(8),
                    0);
            assertThat(h.sim.runUntil(() -> ranOn.get() != null, 100)).isTrue();
            assertThat(ranOn.get()).isSameAs(Thread.currentThread());
            h.f.closeTransfer(t);
        }
    }

    /**
     * The device handle stays valid while {@code USB_CLOSE_DEVICE} runs (a driver closes its pipes from
     * there) and is invalid once the notification has returned.
     */
    @Test
    void theDeviceHandleIsValidUntilTheCloseDeviceNotificationHasReturned() {
        try (CeHost h = CeHost.with(LoopbackDevice.fullSpeed())) {
            AtomicReference<Boolean> validInside = new AtomicReference<>();
            assertThat(h.f.registerNotificationRoutine(
                            h.device,
                            (param, code, i1, i2, i3, i4) -> {
                                if (code == USB_CLOSE_DEVICE) {
                                    validInside.set(h.f.getDeviceInfo(h.device) != null);
                                }
                                return true;
                            },
                            null))
                    .isTrue();
            h.sim.detach(h.simDevice);
            assertThat(validInside.get()).as("valid inside USB_CLOSE_DEVICE").isTrue();
            assertThat(h.f.getDeviceInfo(h.device))
                    .as("invalid once it returned")
                    .isNull();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        }
    }
}
