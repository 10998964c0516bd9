/**
 * The Windows CE USBD client-driver model in Java: the {@code USB_FUNCS} table ({@link
 * io.github.usbd4j.ce.UsbFuncs}), the client-driver entry points ({@link io.github.usbd4j.ce.UsbClientDriver}),
 * handles, info structures, and the constants of {@code usbtypes.h} and {@code usb100.h} with CE's values.
 *
 * <p>A CE driver ports line by line: {@code lpUsbFuncs->lpIssueIsochTransfer(hPipe, ...)} becomes
 * {@code usbFuncs.issueIsochTransfer(pipe, ...)}, {@code NULL} becomes {@code null}, and
 * {@code GetLastError()} becomes {@link io.github.usbd4j.win32.Win32#getLastError()}. Section numbers in the
 * javadoc (<a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a> ...) are those of the project's
 * <a href="{@docRoot}/../reference/index.html">isochronous API reference</a>.
 */
package io.github.usbd4j.ce;
