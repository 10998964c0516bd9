/**
 * The usbd4j API: the Windows CE USBD client-driver model ({@code USB_FUNCS}, {@code usbtypes.h},
 * {@code usb100.h}) in Java, and strict parsers for the USB descriptors a device returns.
 *
 * <p>This module has no dependencies. The runtime that implements {@link io.github.usbd4j.ce.UsbFuncs}
 * lives in {@code usbd-impl}.
 */
module io.github.usbd4j.api {
    exports io.github.usbd4j.ce;
    exports io.github.usbd4j.ce.devmgr;
    exports io.github.usbd4j.descriptor;
    exports io.github.usbd4j.usb;
    exports io.github.usbd4j.winusb;
    exports io.github.usbd4j.wdm;
    exports io.github.usbd4j.win32;
}
