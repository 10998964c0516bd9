/**
 * What a USB device says about itself and what every personality shares: the standard descriptors
 * ({@code usb100.h}, with the names CE gives them), the parsed configuration tree with its class-specific
 * bytes ({@link io.github.usbd4j.usb.UsbDevice}, {@link io.github.usbd4j.usb.UsbConfiguration},
 * {@link io.github.usbd4j.usb.UsbInterface}, {@link io.github.usbd4j.usb.UsbEndpoint}), the setup
 * packet ({@link io.github.usbd4j.usb.UsbDeviceRequest}), the standard request codes and
 * {@code bmRequestType} bits ({@link io.github.usbd4j.usb.Usb100}), a device handle that every
 * personality accepts ({@link io.github.usbd4j.usb.DeviceHandle}), and the Windows Driver Kit's
 * {@code USBD_STATUS} values and {@code USBD_ISO_PACKET_DESCRIPTOR} that the WinUSB and WDM personalities
 * share (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>,
 * <a href="{@docRoot}/../reference/winusb.html#s2-1">§2.1</a>,
 * <a href="{@docRoot}/../reference/wdm.html#s3-6">§3.6</a>, <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>).
 *
 * <p>The CE, WinUSB and WDM personalities, the descriptor parsers, the simulator and the backends all use
 * these types; none of them depends on another personality.
 */
package io.github.usbd4j.usb;
