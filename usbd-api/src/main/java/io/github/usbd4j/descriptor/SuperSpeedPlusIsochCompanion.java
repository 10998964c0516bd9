package io.github.usbd4j.descriptor;

/**
 * The SuperSpeedPlus isochronous endpoint companion (type {@code 0x31}, 8 bytes; {@code
 * USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR}; <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>),
 * present after a {@link SuperSpeedEndpointCompanion} whose bit 7 is set. Find it with {@link
 * Endpoints#superSpeedPlusIsochCompanion}.
 *
 * @param dwBytesPerInterval bytes per service interval; the parser rejects values above 2^31-1
 */
public record SuperSpeedPlusIsochCompanion(int dwBytesPerInterval) {}
