package io.github.usbd4j.ce;

import io.github.usbd4j.usb.UsbEndpointDescriptor;

/**
 * An open endpoint: CE's {@code USB_PIPE} from {@code OpenPipe}
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-1">§1.1</a>,
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-10">§1.10</a>).
 *
 * <p>Pass it back to {@link UsbFuncs}; release it with {@link UsbFuncs#closePipe(UsbPipe)}.
 */
public interface UsbPipe {

    /**
     * The descriptor the pipe was opened with, as CE's USBD remembers it
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>). CE's USBD bounds an isochronous frame length by
     * the raw {@code wMaxPacketSize}; this runtime applies the stricter limit the endpoint can actually carry, bits
     * 10:0 times the transactions of bits 12:11: a high-speed {@code 0x1400} endpoint takes frames of at most 3 × 1024
     * = 3072 bytes, not 5120 (a longer one is refused with {@code ERROR_INVALID_PARAMETER}).
     *
     * @return the endpoint descriptor
     */
    UsbEndpointDescriptor endpoint();
}
