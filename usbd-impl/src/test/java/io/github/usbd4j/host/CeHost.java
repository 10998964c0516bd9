package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A runtime on a virtual-clock simulator with one CE-shaped test driver that accepts whatever device it is
 * registered for and records its device notifications ([§1.5](reference/ce-usbd.html#s1-5)).
 */
final class CeHost implements AutoCloseable, UsbClientDriver {
    static final String DRIVER_ID = "CeHostTest";

    final SimulatedHostController sim;
    final Usbd usbd;
    final List<Integer> notifications = new CopyOnWriteArrayList<>();
    volatile UsbHandle device;
    volatile UsbFuncs f;
    SimulatedDevice simDevice;
    DeviceModel model;

    CeHost(UsbSpeed speed, long startFrame, UsbDriverSettings settings) {
        sim = SimulatedHostController.builder()
                .speed(speed)
                .seed(7)
                .startFrame(startFrame)
                .build();
        usbd = Usbd.builder().backend(sim).build();
        usbd.registerDriver(DRIVER_ID, settings, this);
    }

    /** A full-speed bus at frame 0 with the driver registered for {@code model}'s VID:PID, model plugged. */
    static CeHost with(DeviceModel model) {
        return with(model, 0);
    }

    static CeHost with(DeviceModel model, long startFrame) {
        var d = model.deviceDescriptor();
        CeHost h = new CeHost(model.speed(), startFrame, UsbDriverSettings.forVendor(d.idVendor(), d.idProduct()));
        h.plug(model);
        return h;
    }

    CeHost plug(DeviceModel m) {
        return plug(m, FaultPlan.NONE);
    }

    CeHost plug(DeviceModel m, FaultPlan faults) {
        this.model = m;
        simDevice = sim.attach(m, faults);
        assertThat(device).as("the test driver got the device").isNotNull();
        return this;
    }

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
                    notifications.add(code);
                    return true;
                },
                this);
        f = usbFuncs;
        device = hDevice;
        acceptControl[0] = true;
        return true;
    }

    /** Opens the pipe of {@code address} in interface {@code iface}, alternate setting {@code alt}. */
    UsbPipe open(int iface, int alt, int address) {
        UsbInterface i = f.findInterface(f.getDeviceInfo(device), iface, alt);
        UsbEndpoint ep = i.findEndpoint(address);
        UsbPipe p = f.openPipe(device, ep.descriptor());
        assertThat(p)
                .as("OpenPipe 0x%02X (last error %d)", address, Win32.getLastError())
                .isNotNull();
        return p;
    }

    /** A synchronous SetInterface that must succeed. */
    void selectAlt(int iface, int alt) {
        UsbTransfer t = f.setInterface(device, null, null, 0, iface, alt);
        assertThat(t).isNotNull();
        assertThat(error(t)).isEqualTo(USB_NO_ERROR);
        f.closeTransfer(t);
    }

    int bytes(UsbTransfer t) {
        int[] b = {-1};
        assertThat(f.getTransferStatus(t, b, null)).isTrue();
        return b[0];
    }

    int error(UsbTransfer t) {
        int[] e = {-1};
        assertThat(f.getTransferStatus(t, null, e)).isTrue();
        return e[0];
    }

    /** Runs the bus until the transfer completes (at most a second of bus time). */
    void await(UsbTransfer t) {
        assertThat(sim.runUntil(() -> f.isTransferComplete(t), 1000))
                .as("transfer completed")
                .isTrue();
    }

    @Override
    public void close() {
        usbd.close();
    }
}
