package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Issue item 3: a callback that throws is caught, the transfer stays complete, and the failure reaches the
 * application without a logging backend: {@link Usbd#callbackFailures()} counts it and the
 * {@link Usbd.Builder#callbackFailureHandler} receives it (transfer callbacks and device notifications); a
 * handler that throws itself changes nothing.
 */
class CallbackFailuresTest {

    private static final class ThrowingDriver implements UsbClientDriver {
        volatile UsbHandle device;
        volatile UsbFuncs f;

        @Override
        public boolean usbDeviceAttach(
                UsbHandle hDevice,
                UsbFuncs usbFuncs,
                UsbInterface usbInterface,
                String uniqueDriverId,
                boolean[] acceptControl,
                UsbDriverSettings driverSettings,
                int unused) {
            usbFuncs.registerNotificationRoutine(
                    hDevice,
                    (param, code, i1, i2, i3, i4) -> {
                        throw new IllegalStateException("notification " + code);
                    },
                    null);
            f = usbFuncs;
            device = hDevice;
            acceptControl[0] = true;
            return true;
        }
    }

    private static UsbTransfer throwingTransfer(ThrowingDriver d) {
        return d.f.issueVendorTransfer(
                d.device,
                param -> {
                    throw new IllegalStateException("callback");
                },
                null,
                USB_IN_TRANSFER,
                new UsbDeviceRequest(0xC0, LoopbackDevice.REQUEST_COUNTERS, 0, 0, 16),
                ByteBuffer.allocate(16),
                0);
    }

    @Test
    void aThrowingCallbackIsCountedAndHandedToTheHandler() {
        List<RuntimeException> seen = new CopyOnWriteArrayList<>();
        SimulatedHostController sim =
                SimulatedHostController.builder().speed(UsbSpeed.FULL).build();
        ThrowingDriver d = new ThrowingDriver();
        try (Usbd usbd =
                Usbd.builder().backend(sim).callbackFailureHandler(seen::add).build()) {
            usbd.registerDriver(
                    "Throwing", UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID), d);
            SimulatedDevice plugged = sim.attach(LoopbackDevice.fullSpeed());
            assertThat(usbd.callbackFailures()).isZero();

            UsbTransfer t = throwingTransfer(d);
            assertThat(t).isNotNull();
            assertThat(sim.runUntil(() -> usbd.callbackFailures() == 1, 100)).isTrue();
            assertThat(d.f.isTransferComplete(t)).isTrue();
            int[] error = {-1};
            assertThat(d.f.getTransferStatus(t, null, error)).isTrue();
            assertThat(error[0]).isEqualTo(USB_NO_ERROR);
            assertThat(d.f.closeTransfer(t)).isTrue();
            assertThat(seen).singleElement().satisfies(e -> assertThat(e).hasMessage("callback"));

            sim.detach(plugged); // the notification routine throws USB_CLOSE_DEVICE back
            assertThat(usbd.callbackFailures()).isEqualTo(2);
            assertThat(seen.get(1)).hasMessage("notification " + USB_CLOSE_DEVICE);
        }
    }

    @Test
    void withoutAHandlerTheyAreStillCounted_andAThrowingHandlerChangesNothing() {
        for (boolean throwingHandler : new boolean[] {false, true}) {
            SimulatedHostController sim =
                    SimulatedHostController.builder().speed(UsbSpeed.FULL).build();
            ThrowingDriver d = new ThrowingDriver();
            Usbd.Builder b = Usbd.builder().backend(sim);
            if (throwingHandler) {
                b.callbackFailureHandler(e -> {
                    throw new IllegalArgumentException("handler");
                });
            }
            try (Usbd usbd = b.build()) {
                usbd.registerDriver(
                        "Throwing",
                        UsbDriverSettings.forVendor(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID),
                        d);
                sim.attach(LoopbackDevice.fullSpeed());
                for (int i = 0; i < 3; i++) {
                    UsbTransfer t = throwingTransfer(d);
                    assertThat(sim.runUntil(() -> d.f.isTransferComplete(t), 100))
                            .isTrue();
                    assertThat(d.f.closeTransfer(t)).isTrue();
                }
                assertThat(usbd.callbackFailures()).isEqualTo(3);
            }
        }
    }
}
