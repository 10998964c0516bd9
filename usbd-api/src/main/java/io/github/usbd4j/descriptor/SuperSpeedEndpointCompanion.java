package io.github.usbd4j.descriptor;

/**
 * The SuperSpeed endpoint companion (type {@code 0x30}, 6 bytes; {@code
 * USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR} of {@code usbspec.h};
 * <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>) that directly follows every endpoint descriptor of a
 * SuperSpeed configuration. Find it with {@link Endpoints#superSpeedCompanion}.
 *
 * @param bMaxBurst packets per burst minus one, 0..15
 * @param bmAttributes bulk: bits 4:0 MaxStreams; isochronous: bits 1:0 Mult, bit 7 an SSP isochronous
 *     companion follows
 * @param wBytesPerInterval bytes per service interval of a periodic endpoint
 */
public record SuperSpeedEndpointCompanion(int bMaxBurst, int bmAttributes, int wBytesPerInterval) {

    /** Packets per burst, {@code bMaxBurst + 1}. */
    public int packetsPerBurst() {
        return bMaxBurst + 1;
    }

    /** Isochronous Mult, bits 1:0: bursts per service interval minus one (0..2). */
    public int mult() {
        return bmAttributes & 0x3;
    }

    /** Bulk MaxStreams, bits 4:0: the endpoint supports {@code 2^maxStreams} streams (0 = none). */
    public int maxStreams() {
        return bmAttributes & 0x1F;
    }

    /** Isochronous bit 7: a SuperSpeedPlus isochronous companion follows this one. */
    public boolean hasSspIsochCompanion() {
        return (bmAttributes & 0x80) != 0;
    }
}
