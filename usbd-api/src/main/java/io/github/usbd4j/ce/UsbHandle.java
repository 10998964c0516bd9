package io.github.usbd4j.ce;

import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.win32.Win32;

/**
 * A device as USBD hands it to a client driver: CE's {@code USB_HANDLE} (usb-iso-apis.md §1.1).
 *
 * <p>Opaque: pass it back to {@link UsbFuncs}. It stays valid until the driver's
 * {@link UsbTypes#USB_CLOSE_DEVICE} notification; afterwards calls with it fail with
 * {@link Win32#ERROR_INVALID_HANDLE}.
 */
public interface UsbHandle extends DeviceHandle {}
