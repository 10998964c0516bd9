package io.github.usbd4j.ce;

import io.github.usbd4j.usb.UsbEndpointDescriptor;

/**
 * An open endpoint: CE's {@code USB_PIPE} from {@code OpenPipe} (usb-iso-apis.md §1.1, §1.10).
 *
 * <p>Pass it back to {@link UsbFuncs}; release it with {@link UsbFuncs#closePipe(UsbPipe)}.
 */
public interface UsbPipe {

    /**
     * The descriptor the pipe was opened with, as CE's USBD remembers it (its raw {@code wMaxPacketSize}
     * bounds every isochronous frame length, §1.8).
     *
     * @return the endpoint descriptor
     */
    UsbEndpointDescriptor endpoint();
}
