package io.github.usbd4j.ce;

/**
 * A driver's device notification routine: CE's {@code LPDEVICE_NOTIFY_ROUTINE}
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>), registered with {@link
 * UsbFuncs#registerNotificationRoutine}.
 *
 * <p>On detach it receives {@link UsbTypes#USB_CLOSE_DEVICE} after every pipe of the device has been
 * closed and every transfer completed with {@link UsbTypes#USB_CANCELED_ERROR}.
 */
@FunctionalInterface
public interface DeviceNotifyRoutine {

    /**
     * A device event.
     *
     * @param notifyParameter the parameter given at registration
     * @param code {@code USB_CLOSE_DEVICE}, {@code USB_SUSPENDED_DEVICE} or {@code USB_RESUMED_DEVICE}
     * @param info1 unused by USBD, always {@code null}
     * @param info2 unused by USBD, always {@code null}
     * @param info3 unused by USBD, always {@code null}
     * @param info4 unused by USBD, always {@code null}
     * @return {@code true} if the routine handled the code
     */
    boolean notify(Object notifyParameter, int code, int[] info1, int[] info2, int[] info3, int[] info4);
}
