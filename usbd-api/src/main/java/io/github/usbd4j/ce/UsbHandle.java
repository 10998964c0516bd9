package io.github.usbd4j.ce;

import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.win32.Win32;

/**
 * A device as USBD hands it to a client driver: CE's {@code USB_HANDLE}
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-1">§1.1</a>).
 *
 * <p>Opaque: pass it back to {@link UsbFuncs}. It stays valid until every driver's
 * {@link UsbTypes#USB_CLOSE_DEVICE} notification has <em>returned</em> (a driver may still close its pipes
 * and transfers from inside the notification, as in CE); afterwards calls with it fail with
 * {@link Win32#ERROR_INVALID_HANDLE}. A thread that the notification wakes may therefore still find the
 * handle valid for as long as the notification routine has not returned: wait for the routine to return
 * (e.g. signal from its last statement), not for its first statement, before relying on the handle being
 * invalid.
 */
public interface UsbHandle extends DeviceHandle {}
