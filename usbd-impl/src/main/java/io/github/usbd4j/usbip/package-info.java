/**
 * A USB/IP device server: serves the simulator's devices ({@link io.github.usbd4j.sim}) to a USB/IP
 * client such as the Linux kernel's {@code vhci-hcd}, over TCP or a pair of streams. Start with
 * {@link io.github.usbd4j.usbip.UsbIpServer}; {@link io.github.usbd4j.usbip.UsbIpMain} runs one from
 * the command line; {@link io.github.usbd4j.usbip.UsbIpStatus} holds the status-code table.
 */
package io.github.usbd4j.usbip;
