/**
 * The Windows CE USBD client-driver model in Java: the {@code USB_FUNCS} table ({@link
 * io.github.usbd4j.ce.UsbFuncs}), the client-driver entry points ({@link io.github.usbd4j.ce.UsbClientDriver}),
 * handles, info structures, and the constants of {@code usbtypes.h} and {@code usb100.h} with CE's values.
 *
 * <p>A CE driver ports line by line: {@code lpUsbFuncs->lpIssueIsochTransfer(hPipe, ...)} becomes
 * {@code usbFuncs.issueIsochTransfer(pipe, ...)}, {@code NULL} becomes {@code null}, and
 * {@code GetLastError()} becomes {@link io.github.usbd4j.win32.Win32#getLastError()}. Section numbers in the
 * javadoc (§1.7 ...) refer to the project's isochronous API reference, usb-iso-apis.md.
 */
package io.github.usbd4j.ce;
