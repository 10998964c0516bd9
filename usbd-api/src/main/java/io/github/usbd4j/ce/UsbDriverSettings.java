package io.github.usbd4j.ce;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_INFO;

/**
 * Which devices or interfaces a client driver wants: CE's {@code USB_DRIVER_SETTINGS} ({@code usbdi.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>,
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>).
 *
 * <p>Three groups, each filled left to right: vendor (vendor ID, product ID, release), device class
 * (class, subclass, protocol) and interface class (class, subclass, protocol). A field that is not
 * given is {@link UsbTypes#USB_NO_INFO}; a group whose fields are all {@code USB_NO_INFO} is
 * {@code "Default"}. A field may be given only if the fields before it in its group are, because CE's
 * {@code LoadClients} key names are {@code X}, {@code X_Y} or {@code X_Y_Z} ({@link #loadClientsKey()}).
 *
 * @param vendorId {@code dwVendorId}
 * @param productId {@code dwProductId}
 * @param releaseNumber {@code dwReleaseNumber}
 * @param deviceClass {@code dwDeviceClass}
 * @param deviceSubClass {@code dwDeviceSubClass}
 * @param deviceProtocol {@code dwDeviceProtocol}
 * @param interfaceClass {@code dwInterfaceClass}
 * @param interfaceSubClass {@code dwInterfaceSubClass}
 * @param interfaceProtocol {@code dwInterfaceProtocol}
 */
public record UsbDriverSettings(
        int vendorId,
        int productId,
        int releaseNumber,
        int deviceClass,
        int deviceSubClass,
        int deviceProtocol,
        int interfaceClass,
        int interfaceSubClass,
        int interfaceProtocol) {

    /** Settings that match every device: {@code Default\Default\Default}. */
    public static final UsbDriverSettings ANY = new UsbDriverSettings(
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO,
            USB_NO_INFO);

    /** Checks each group's fields: 16-bit vendor group, 8-bit class groups, filled left to right. */
    public UsbDriverSettings {
        checkGroup("vendor", vendorId, productId, releaseNumber, 0xFFFF);
        checkGroup("device class", deviceClass, deviceSubClass, deviceProtocol, 0xFF);
        checkGroup("interface class", interfaceClass, interfaceSubClass, interfaceProtocol, 0xFF);
    }

    private static void checkGroup(String group, int a, int b, int c, int max) {
        int[] v = {a, b, c};
        boolean open = false;
        for (int x : v) {
            if (x == USB_NO_INFO) {
                open = true;
            } else if (open) {
                throw new IllegalArgumentException(
                        "the " + group + " group must be filled left to right: a field follows a USB_NO_INFO field");
            } else if (x < 0 || x > max) {
                throw new IllegalArgumentException(
                        "a " + group + " field must be 0.." + max + " or USB_NO_INFO, was " + x);
            }
        }
    }

    /** The fields in CE's {@code DWORD} order after {@code dwCount}. */
    private int[] fields() {
        return new int[] {
            vendorId, productId, releaseNumber,
            deviceClass, deviceSubClass, deviceProtocol,
            interfaceClass, interfaceSubClass, interfaceProtocol
        };
    }

    /**
     * Settings for a vendor's device.
     *
     * @param vendorId vendor ID
     * @param productId product ID, or {@code USB_NO_INFO}
     * @return settings with only the vendor group given
     */
    public static UsbDriverSettings forVendor(int vendorId, int productId) {
        return new UsbDriverSettings(
                vendorId,
                productId,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO);
    }

    /**
     * Settings for a device class.
     *
     * @param deviceClass class code
     * @param deviceSubClass subclass code, or {@code USB_NO_INFO}
     * @param deviceProtocol protocol code, or {@code USB_NO_INFO}
     * @return settings with only the device class group given
     */
    public static UsbDriverSettings forDeviceClass(int deviceClass, int deviceSubClass, int deviceProtocol) {
        return new UsbDriverSettings(
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                deviceClass,
                deviceSubClass,
                deviceProtocol,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO);
    }

    /**
     * Settings for an interface class.
     *
     * @param interfaceClass class code
     * @param interfaceSubClass subclass code, or {@code USB_NO_INFO}
     * @param interfaceProtocol protocol code, or {@code USB_NO_INFO}
     * @return settings with only the interface class group given
     */
    public static UsbDriverSettings forInterfaceClass(
            int interfaceClass, int interfaceSubClass, int interfaceProtocol) {
        return new UsbDriverSettings(
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                USB_NO_INFO,
                interfaceClass,
                interfaceSubClass,
                interfaceProtocol);
    }

    /**
     * These settings with the interface group replaced.
     *
     * @param interfaceClass class code, or {@code USB_NO_INFO}
     * @param interfaceSubClass subclass code, or {@code USB_NO_INFO}
     * @param interfaceProtocol protocol code, or {@code USB_NO_INFO}
     * @return new settings
     */
    public UsbDriverSettings withInterfaceClass(int interfaceClass, int interfaceSubClass, int interfaceProtocol) {
        return new UsbDriverSettings(
                vendorId,
                productId,
                releaseNumber,
                deviceClass,
                deviceSubClass,
                deviceProtocol,
                interfaceClass,
                interfaceSubClass,
                interfaceProtocol);
    }

    /**
     * The {@code LoadClients} key these settings register under, as CE's USBD builds it
     * ({@code GetSettingString}, <a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>): each group as {@code
     * X}, {@code X_Y}, {@code X_Y_Z} in decimal, or {@code Default}, joined by backslashes, e.g. {@code
     * "4617_1\Default\Default"} or {@code "Default\Default\1_2"}.
     *
     * @return the three-group key
     */
    public String loadClientsKey() {
        int[] f = fields();
        return group(f[0], f[1], f[2]) + '\\' + group(f[3], f[4], f[5]) + '\\' + group(f[6], f[7], f[8]);
    }

    private static String group(int a, int b, int c) {
        if (a == USB_NO_INFO) {
            return "Default";
        }
        if (b == USB_NO_INFO) {
            return Integer.toString(a);
        }
        if (c == USB_NO_INFO) {
            return a + "_" + b;
        }
        return a + "_" + b + "_" + c;
    }

    @Override
    public String toString() {
        return "UsbDriverSettings[" + loadClientsKey() + "]";
    }
}
