/**
 * Strict parsers for the USB descriptors a device returns (device, configuration with its interfaces,
 * alternate settings, endpoints and class-specific blocks, SuperSpeed endpoint companions, string, BOS),
 * building the configuration tree of {@link io.github.usbd4j.usb} (the records CE calls
 * {@code USB_DEVICE}, {@code USB_CONFIGURATION}, {@code USB_INTERFACE}, {@code USB_ENDPOINT}), and the
 * endpoint arithmetic every isochronous driver needs.
 *
 * <p>The bytes come from a device and are treated as hostile: any malformed input gives one checked
 * {@link io.github.usbd4j.descriptor.DescriptorException} naming the offset and the problem, and no parse
 * loops or allocates without bound.
 */
package io.github.usbd4j.descriptor;
