package io.github.usbd4j.ce;

/**
 * A failed call in the Java-first style of {@link UsbTransfer} and of the runtime: the exception form
 * of CE's {@code NULL}/{@code FALSE} with a last error. It carries the Win32 code and, where a transfer
 * failed on the bus, its {@code USB_ERROR}.
 */
public class UsbException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int win32Error;
    private final int usbError;

    /**
     * @param message what failed, in CE's terms
     * @param win32Error the {@code Win32.ERROR_*} code
     * @param usbError the {@code UsbTypes.USB_*_ERROR} code, {@code USB_NO_ERROR} if none
     */
    public UsbException(String message, int win32Error, int usbError) {
        super(message);
        this.win32Error = win32Error;
        this.usbError = usbError;
    }

    /** The Win32 error code. */
    public int win32Error() {
        return win32Error;
    }

    /** The {@code USB_ERROR} code, {@code USB_NO_ERROR} if the failure was not on the bus. */
    public int usbError() {
        return usbError;
    }
}
