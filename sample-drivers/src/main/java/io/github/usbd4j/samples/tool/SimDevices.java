package io.github.usbd4j.samples.tool;

import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.usbip.UsbIpMain;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The built-in simulated devices the sim backend offers, by VID:PID: the one place that says which
 * model (and so which speed) {@code usbd list} shows and every command uses for a VID:PID. The models
 * are {@link UsbIpMain}'s, which {@code serve-usbip} serves; the high-speed loopback, which shares the
 * loopback's VID:PID, is reached through {@code loopback-test --speed high}.
 */
final class SimDevices {
    /** The {@link UsbIpMain} names of the devices, in VID:PID order. */
    static final List<String> NAMES = List.of("loopback", "speaker", "microphone", "camera");

    private SimDevices() {}

    /** A new instance of each device. */
    static List<DeviceModel> all() {
        List<DeviceModel> out = new ArrayList<>();
        NAMES.forEach(n -> out.add(UsbIpMain.model(n)));
        return out;
    }

    /** A new instance of the device with this VID:PID. */
    static Optional<DeviceModel> byId(int vendorId, int productId) {
        for (String n : NAMES) {
            DeviceModel m = UsbIpMain.model(n);
            if (m.deviceDescriptor().idVendor() == vendorId
                    && m.deviceDescriptor().idProduct() == productId) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** {@code "1209:0001, 1209:0002, 1209:0003, 1209:0004"}. */
    static String ids() {
        List<String> ids = new ArrayList<>();
        for (DeviceModel m : all()) {
            ids.add(DeviceView.id(
                    m.deviceDescriptor().idVendor(), m.deviceDescriptor().idProduct()));
        }
        return String.join(", ", ids);
    }
}
