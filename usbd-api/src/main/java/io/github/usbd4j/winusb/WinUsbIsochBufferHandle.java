package io.github.usbd4j.winusb;

/**
 * {@code WINUSB_ISOCH_BUFFER_HANDLE}: a buffer registered for one isochronous pipe with
 * {@link WinUsb#registerIsochBuffer} (usb-iso-apis.md §2.3). Opaque.
 */
public interface WinUsbIsochBufferHandle {}
