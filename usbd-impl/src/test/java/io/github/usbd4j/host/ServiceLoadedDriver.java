package io.github.usbd4j.host;

import io.github.usbd4j.ce.ClientDriverRegistration;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Found by {@link java.util.ServiceLoader} through {@code META-INF/services} in the test resources; it
 * claims only the tests' HID-like device (0x1209:0x0010) so it cannot take a device from another test.
 */
public final class ServiceLoadedDriver implements ClientDriverRegistration {
    static final String ID = "ServiceLoadedHidLike";
    static final List<String> ATTACHED = new CopyOnWriteArrayList<>();

    @Override
    public String uniqueDriverId() {
        return ID;
    }

    @Override
    public UsbDriverSettings driverSettings() {
        return UsbDriverSettings.forVendor(0x1209, TestModels.HidLike.PID);
    }

    @Override
    public UsbClientDriver newDriver() {
        return (hDevice, funcs, iface, id, accept, settings, unused) -> {
            ATTACHED.add(id);
            accept[0] = true;
            return true;
        };
    }
}
