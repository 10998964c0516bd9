/**
 * The real-device backend over usb4java 1.3.0 (libusb 1.0.22): the only package that uses
 * {@code org.usb4java}.
 *
 * <p>Start with {@link io.github.usbd4j.libusb.LibusbHostController#builder()} and hand the result to
 * {@code io.github.usbd4j.host.Usbd.builder().backend(...)}. {@link
 * io.github.usbd4j.libusb.LibusbHostController#isAvailable()} tells whether the native library loads
 * here; {@link io.github.usbd4j.libusb.LibusbHostController.Builder#build()} fails early with a
 * {@link io.github.usbd4j.libusb.LibusbUnavailableException} otherwise.
 *
 * <p>What cannot be exact on a real stack, and why: Linux usbfs exposes no bus frame number, so frame
 * numbers are counted on the host's monotonic clock and an explicit start frame is honoured by holding
 * the request until just before its frame; libusb reports one {@code LIBUSB_TRANSFER_ERROR} for several
 * kernel packet errors (CRC, timeout, missed frame); ports cannot be suspended from user space.
 */
package io.github.usbd4j.libusb;
