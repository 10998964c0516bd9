package io.github.usbd4j.usb;

/**
 * An attached device, as the runtime hands it out: the one handle every personality accepts. CE drivers
 * receive it as their {@code USB_HANDLE} ({@code io.github.usbd4j.ce.UsbHandle}, a subtype); WinUSB code
 * passes it where {@code WinUsb_Initialize} takes the device's file handle, and WDM code where
 * {@code USBD_CreateHandle} takes the device object.
 *
 * <p>Opaque. It stays valid until the device leaves; afterwards every call with it fails in the
 * personality's terms.
 */
public interface DeviceHandle {}
