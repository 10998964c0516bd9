package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.devmgr.WinBase.INFINITE;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_FAILED;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_OBJECT_0;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_TIMEOUT;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.devmgr.EventHandle;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The device manager's events ([§D8](reference/ce-devmgr.html#d8)): auto- and manual-reset, and waits whose
 * time is bus time, run by the waiting thread on a virtual clock.
 */
class EventsTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void aWaitWithNothingToSetTheEvent_timesOutInBusTime() {
        EventHandle e = f.dm.createEvent(null, false, false, null);
        long start = f.sim.currentFrame();

        assertThat(f.dm.waitForSingleObject(e, 250)).isEqualTo(WAIT_TIMEOUT);
        assertThat(f.sim.currentFrame() - start).isBetween(250L, 251L);
        assertThat(f.dm.waitForSingleObject(e, 0)).isEqualTo(WAIT_TIMEOUT);
        assertThat(f.sim.currentFrame() - start).as("a zero wait runs no bus").isBetween(250L, 251L);
    }

    @Test
    void anAutoResetEvent_endsOneWait_aManualResetOneEveryWaitUntilReset() {
        EventHandle auto = f.dm.createEvent(null, false, true, null);
        EventHandle manual = f.dm.createEvent(null, true, false, null);
        assertThat(f.dm.setEvent(manual)).isTrue();

        assertThat(f.dm.waitForSingleObject(auto, INFINITE)).isEqualTo(WAIT_OBJECT_0);
        assertThat(f.dm.waitForSingleObject(auto, 0)).isEqualTo(WAIT_TIMEOUT);
        assertThat(f.dm.waitForSingleObject(manual, 0)).isEqualTo(WAIT_OBJECT_0);
        assertThat(f.dm.waitForSingleObject(manual, 10)).isEqualTo(WAIT_OBJECT_0);
        assertThat(f.dm.resetEvent(manual)).isTrue();
        assertThat(f.dm.waitForSingleObject(manual, 0)).isEqualTo(WAIT_TIMEOUT);
    }

    @Test
    void theWaitRunsTheBus_soWhatTheBusDoesEndsIt() {
        f.sim.attach(LoopbackDevice.fullSpeed());
        UsbHandle device = f.usbd.devices().get(0);
        EventHandle e = f.dm.createEvent(null, false, false, null);
        UsbFuncs funcs = f.usbd.funcs();
        UsbDeviceRequest counters = new UsbDeviceRequest(
                Usb100.USB_REQUEST_DEVICE_TO_HOST | Usb100.USB_REQUEST_VENDOR | Usb100.USB_REQUEST_FOR_DEVICE,
                0x02,
                0,
                0,
                16);
        long start = f.sim.currentFrame();
        UsbTransfer t = funcs.issueVendorTransfer(
                device,
                p -> f.dm.setEvent(e) ? 1 : 0,
                null,
                USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK,
                counters,
                ByteBuffer.allocate(16),
                0);
        assertThat(t).isNotNull();

        assertThat(f.dm.waitForSingleObject(e, 4000))
                .as("set by the transfer's callback")
                .isEqualTo(WAIT_OBJECT_0);
        assertThat(funcs.isTransferComplete(t)).isTrue();
        assertThat(f.sim.currentFrame() - start).as("bus frames").isLessThan(10);
        funcs.closeTransfer(t);
    }

    @Test
    void badArguments_failWithTheLastError() {
        assertThat(f.dm.createEvent(new Object(), false, false, null)).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        assertThat(f.dm.createEvent(null, false, false, "named")).isNull();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_NOT_SUPPORTED);
        assertThat(f.dm.setEvent(null)).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        assertThat(f.dm.resetEvent(new EventHandle() {})).isFalse();
        assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        try (DeviceManagerFixture other = new DeviceManagerFixture()) {
            EventHandle foreign = other.dm.createEvent(null, false, true, null);
            assertThat(f.dm.waitForSingleObject(foreign, 0)).isEqualTo(WAIT_FAILED);
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_HANDLE);
        }
    }
}
