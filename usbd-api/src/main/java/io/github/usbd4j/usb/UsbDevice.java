package io.github.usbd4j.usb;

import java.util.List;
import java.util.Objects;

/**
 * What {@code GetDeviceInfo} returns: CE's {@code USB_DEVICE} ({@code usbtypes.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>). CE has no {@code USB_DEVICE_INFO}; this is it.
 *
 * @param descriptor the device descriptor ({@code Descriptor})
 * @param configs every configuration ({@code lpConfigs}), {@code bNumConfigurations} entries
 * @param activeConfig the configuration in use ({@code lpActiveConfig}); one of {@code configs}
 */
public record UsbDevice(UsbDeviceDescriptor descriptor, List<UsbConfiguration> configs, UsbConfiguration activeConfig) {

    /** Checks that the active configuration is one of the configurations. */
    public UsbDevice {
        Objects.requireNonNull(descriptor, "descriptor");
        configs = List.copyOf(configs);
        Objects.requireNonNull(activeConfig, "activeConfig");
        if (!configs.contains(activeConfig)) {
            throw new IllegalArgumentException("activeConfig is not one of configs");
        }
    }

    /**
     * CE's {@code FindInterface(lpDevice, bInterfaceNumber, bAlternateSetting)} on the active
     * configuration (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>).
     *
     * @param bInterfaceNumber interface number
     * @param bAlternateSetting alternate setting
     * @return the interface, or {@code null} if the active configuration has none such
     */
    public UsbInterface findInterface(int bInterfaceNumber, int bAlternateSetting) {
        return activeConfig.findInterface(bInterfaceNumber, bAlternateSetting);
    }
}
