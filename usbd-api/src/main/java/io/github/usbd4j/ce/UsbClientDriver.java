package io.github.usbd4j.ce;

import io.github.usbd4j.usb.UsbInterface;

/**
 * A USB client driver: the three exports of a CE client DLL ({@code usbdi.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>).
 *
 * <p>The runtime offers a device, or one of its interfaces, to the registered drivers in CE's
 * precedence order ({@link ClientDriverMatching}); the first whose {@link #usbDeviceAttach} sets
 * {@code acceptControl[0] = true} owns it. A driver that throws from {@code usbDeviceAttach} has not
 * accepted, as CE treats an exception inside its SEH frame.
 */
public interface UsbClientDriver {

    /**
     * CE's {@code USBDeviceAttach}: offered a device or an interface.
     *
     * @param hDevice the device
     * @param usbFuncs the function table to call through ({@code LPCUSB_FUNCS})
     * @param usbInterface the interface offered, or {@code null} when the whole device is offered
     * @param uniqueDriverId the driver ID it was registered under
     * @param acceptControl set element 0 to {@code true} to take control
     * @param driverSettings the settings (the {@code LoadClients} key) that matched
     * @param unused always 0
     * @return {@code true} on success, whether or not control was accepted
     */
    boolean usbDeviceAttach(
            UsbHandle hDevice,
            UsbFuncs usbFuncs,
            UsbInterface usbInterface,
            String uniqueDriverId,
            boolean[] acceptControl,
            UsbDriverSettings driverSettings,
            int unused);

    /**
     * CE's {@code USBInstallDriver}: called once when the driver is registered with the runtime.
     *
     * @param driverLibFile the name the driver was registered under (CE passes the DLL's file name)
     * @return {@code false} to refuse registration
     */
    default boolean usbInstallDriver(String driverLibFile) {
        return true;
    }

    /**
     * CE's {@code USBUnInstallDriver}: called once when the driver is removed from the runtime.
     *
     * @return {@code true} on success
     */
    default boolean usbUnInstallDriver() {
        return true;
    }
}
