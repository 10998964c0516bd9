package io.github.usbd4j.winusb;

/**
 * {@code WINUSB_ISOCH_BUFFER_HANDLE}: a buffer registered for one isochronous pipe with
 * {@link WinUsb#registerIsochBuffer} (<a href="{@docRoot}/../reference/winusb.html#s2-3">§2.3</a>). Opaque.
 */
public interface WinUsbIsochBufferHandle {}
