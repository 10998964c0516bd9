package io.github.usbd4j.libusb;

/**
 * The usb4java native library (libusb4java with its bundled libusb) could not be loaded or initialised
 * on this platform, so the real-device backend cannot run. Thrown early, by
 * {@link LibusbHostController.Builder#build()}, never from a transfer.
 */
public final class LibusbUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LibusbUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
