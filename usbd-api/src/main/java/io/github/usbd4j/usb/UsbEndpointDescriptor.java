package io.github.usbd4j.usb;

/**
 * The standard endpoint descriptor: CE's {@code USB_ENDPOINT_DESCRIPTOR} ({@code usb100.h}), 7 bytes,
 * or 9 bytes in the USB Audio 1.0 form that adds {@code bRefresh} and {@code bSynchAddress}.
 *
 * <p>{@link #wMaxPacketSize()} is the raw descriptor value: bits 10:0 are the payload size and, on
 * high-speed periodic endpoints, bits 12:11 the number of additional transactions per microframe. CE's
 * {@code IssueIsochTransfer} checks frame lengths against this raw value
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>); the helpers below split it.
 *
 * @param bLength size of this descriptor, 7 (or 9 for audio endpoints)
 * @param bDescriptorType {@link Usb100#USB_ENDPOINT_DESCRIPTOR_TYPE}
 * @param bEndpointAddress bit 7 direction (1 = IN), bits 3:0 endpoint number
 * @param bmAttributes bits 1:0 transfer type, bits 3:2 isochronous sync type, bits 5:4 usage type
 * @param wMaxPacketSize raw max packet size field
 * @param bInterval polling interval, coded per speed and type
 * @param bRefresh audio endpoints only (9-byte form), else 0
 * @param bSynchAddress audio endpoints only (9-byte form), else 0
 */
public record UsbEndpointDescriptor(
        int bLength,
        int bDescriptorType,
        int bEndpointAddress,
        int bmAttributes,
        int wMaxPacketSize,
        int bInterval,
        int bRefresh,
        int bSynchAddress) {

    /** Size in bytes of a standard endpoint descriptor. */
    public static final int LENGTH = 7;

    /** Size in bytes of the USB Audio 1.0 endpoint descriptor. */
    public static final int AUDIO_LENGTH = 9;

    /** Checks every field's range. */
    public UsbEndpointDescriptor {
        Fields.u8("bLength", bLength);
        Fields.u8("bDescriptorType", bDescriptorType);
        Fields.u8("bEndpointAddress", bEndpointAddress);
        Fields.u8("bmAttributes", bmAttributes);
        Fields.u16("wMaxPacketSize", wMaxPacketSize);
        Fields.u8("bInterval", bInterval);
        Fields.u8("bRefresh", bRefresh);
        Fields.u8("bSynchAddress", bSynchAddress);
    }

    /**
     * A 7-byte endpoint descriptor.
     *
     * @param bEndpointAddress endpoint address, bit 7 set for IN
     * @param bmAttributes attributes, bits 1:0 the transfer type
     * @param wMaxPacketSize raw max packet size field
     * @param bInterval polling interval
     * @return the descriptor
     */
    public static UsbEndpointDescriptor of(int bEndpointAddress, int bmAttributes, int wMaxPacketSize, int bInterval) {
        return new UsbEndpointDescriptor(
                LENGTH,
                Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE,
                bEndpointAddress,
                bmAttributes,
                wMaxPacketSize,
                bInterval,
                0,
                0);
    }

    /** {@code true} for an IN (device-to-host) endpoint: {@code USB_ENDPOINT_DIRECTION_IN}. */
    public boolean isIn() {
        return (bEndpointAddress & Usb100.USB_ENDPOINT_DIRECTION_MASK) != 0;
    }

    /** The endpoint number, bits 3:0 of the address. */
    public int endpointNumber() {
        return bEndpointAddress & 0x0F;
    }

    /** The transfer type, one of {@code Usb100.USB_ENDPOINT_TYPE_*}. */
    public int transferType() {
        return bmAttributes & Usb100.USB_ENDPOINT_TYPE_MASK;
    }

    /** {@code true} for an isochronous endpoint. */
    public boolean isIsochronous() {
        return transferType() == Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS;
    }

    /** The payload size per transaction, bits 10:0 of {@link #wMaxPacketSize()}. */
    public int maxPacketPayload() {
        return wMaxPacketSize & 0x7FF;
    }

    /** Transactions per microframe encoded in bits 12:11 (1, 2 or 3; 4 for the reserved code 3). */
    public int transactionsPerMicroframe() {
        return ((wMaxPacketSize >>> 11) & 0x3) + 1;
    }

    /** The descriptor's bytes: 7, or 9 for the audio form. */
    public byte[] toBytes() {
        byte[] b = new byte[bLength >= AUDIO_LENGTH ? AUDIO_LENGTH : LENGTH];
        b[0] = (byte) b.length;
        b[1] = (byte) bDescriptorType;
        b[2] = (byte) bEndpointAddress;
        b[3] = (byte) bmAttributes;
        b[4] = (byte) wMaxPacketSize;
        b[5] = (byte) (wMaxPacketSize >>> 8);
        b[6] = (byte) bInterval;
        if (b.length == AUDIO_LENGTH) {
            b[7] = (byte) bRefresh;
            b[8] = (byte) bSynchAddress;
        }
        return b;
    }
}
