package io.github.usbd4j.descriptor;

/**
 * The SuperSpeedPlus isochronous endpoint companion (type {@code 0x31}, 8 bytes; {@code
 * USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR}; usb-iso-apis.md §4), present after a
 * {@link SuperSpeedEndpointCompanion} whose bit 7 is set. Find it with {@link
 * Endpoints#superSpeedPlusIsochCompanion}.
 *
 * @param dwBytesPerInterval bytes per service interval; the parser rejects values above 2^31-1
 */
public record SuperSpeedPlusIsochCompanion(int dwBytesPerInterval) {}
