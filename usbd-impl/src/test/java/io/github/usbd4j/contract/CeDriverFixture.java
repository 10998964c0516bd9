package io.github.usbd4j.contract;

import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;

import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A runtime with one CE-shaped test driver bound to the loopback device: it accepts control, registers
 * a notification routine that records every code (and what had happened before it), and exposes the
 * handle and function table the driver received.
 */
public final class CeDriverFixture implements AutoCloseable, UsbClientDriver {
    /** The loopback test device. */
    public static final int VID = 0x1209;
    /** The loopback test device. */
    public static final int PID = 0x0001;

    public final BackendHarness harness;
    public final Usbd usbd;
    public final List<String> events = new CopyOnWriteArrayList<>();
    public volatile UsbHandle device;
    public volatile UsbFuncs funcs;
    private Object plugged;

    public CeDriverFixture(BackendHarness harness, Usbd.Builder builder, UsbSpeed speed) {
        this.harness = harness;
        this.usbd = builder.backend(harness.newBackend(speed)).build();
        usbd.registerDriver("LoopbackTest", UsbDriverSettings.forVendor(VID, PID), this);
    }

    /** Plugs the loopback device and returns once the driver has it. */
    public CeDriverFixture plug() {
        plugged = harness.plugLoopback();
        for (int i = 0; i < 5000 && device == null; i++) {
            harness.runFrames(1);
        }
        if (device == null) {
            throw new AssertionError("the loopback device was not attached to the test driver");
        }
        return this;
    }

    /** The token {@link BackendHarness#plugLoopback} returned. */
    public Object plugged() {
        return plugged;
    }

    public void unplug() {
        harness.unplug(plugged);
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
        DeviceNotifyRoutine notify = (param, code, i1, i2, i3, i4) -> {
            events.add(code == USB_CLOSE_DEVICE ? "USB_CLOSE_DEVICE" : "notify " + code);
            return true;
        };
        usbFuncs.registerNotificationRoutine(hDevice, notify, this);
        this.funcs = usbFuncs;
        this.device = hDevice;
        acceptControl[0] = true;
        return true;
    }

    /** Selects the alternate setting of interface 0 synchronously and opens an endpoint of it. */
    public UsbPipe openIsoPipe(int alternateSetting, int endpointAddress) {
        var t = funcs.setInterface(device, null, null, 0, 0, alternateSetting);
        if (t == null) {
            throw new AssertionError("SetInterface failed: " + io.github.usbd4j.win32.Win32.getLastError());
        }
        funcs.closeTransfer(t);
        UsbInterface alt = funcs.findInterface(funcs.getDeviceInfo(device), 0, alternateSetting);
        UsbEndpoint ep = alt.findEndpoint(endpointAddress);
        UsbPipe pipe = funcs.openPipe(device, ep.descriptor());
        if (pipe == null) {
            throw new AssertionError("OpenPipe failed: " + io.github.usbd4j.win32.Win32.getLastError());
        }
        return pipe;
    }

    public int frame() {
        int[] f = new int[1];
        funcs.getFrameNumber(device, f);
        return f[0];
    }

    @Override
    public void close() {
        usbd.close();
        harness.close();
    }
}
