package io.github.usbd4j.usb;

/**
 * The 8-byte setup packet of a control transfer: CE's {@code USB_DEVICE_REQUEST} ({@code usbtypes.h},
 * <a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>). Build {@code bmRequestType} from the {@code
 * Usb100.USB_REQUEST_*} bits.
 *
 * @param bmRequestType direction, type and recipient
 * @param bRequest request code
 * @param wValue value
 * @param wIndex index
 * @param wLength length of the data stage
 */
public record UsbDeviceRequest(int bmRequestType, int bRequest, int wValue, int wIndex, int wLength) {

    /** Size in bytes of a setup packet. */
    public static final int LENGTH = 8;

    /** Checks every field's range. */
    public UsbDeviceRequest {
        Fields.u8("bmRequestType", bmRequestType);
        Fields.u8("bRequest", bRequest);
        Fields.u16("wValue", wValue);
        Fields.u16("wIndex", wIndex);
        Fields.u16("wLength", wLength);
    }

    /** {@code true} when the data stage goes device to host (bit 7 of {@code bmRequestType}). */
    public boolean isDeviceToHost() {
        return (bmRequestType & Usb100.USB_REQUEST_DEVICE_TO_HOST) != 0;
    }

    /** The request type, bits 6:5: {@code USB_REQUEST_STANDARD}, {@code _CLASS}, {@code _VENDOR}. */
    public int type() {
        return bmRequestType & 0x60;
    }

    /** The recipient, bits 4:0: {@code USB_REQUEST_FOR_DEVICE}, {@code _INTERFACE}, {@code _ENDPOINT}. */
    public int recipient() {
        return bmRequestType & 0x1F;
    }

    /** The 8 bytes on the wire, little-endian. */
    public byte[] toBytes() {
        return new byte[] {
            (byte) bmRequestType, (byte) bRequest,
            (byte) wValue, (byte) (wValue >>> 8),
            (byte) wIndex, (byte) (wIndex >>> 8),
            (byte) wLength, (byte) (wLength >>> 8)
        };
    }

    /**
     * Reads a setup packet.
     *
     * @param b at least 8 bytes from {@code offset}
     * @param offset where the packet starts
     * @return the request
     * @throws IllegalArgumentException if fewer than 8 bytes are there
     */
    public static UsbDeviceRequest fromBytes(byte[] b, int offset) {
        if (offset < 0 || b.length - offset < LENGTH) {
            throw new IllegalArgumentException("a setup packet needs 8 bytes");
        }
        return new UsbDeviceRequest(
                b[offset] & 0xFF,
                b[offset + 1] & 0xFF,
                (b[offset + 2] & 0xFF) | (b[offset + 3] & 0xFF) << 8,
                (b[offset + 4] & 0xFF) | (b[offset + 5] & 0xFF) << 8,
                (b[offset + 6] & 0xFF) | (b[offset + 7] & 0xFF) << 8);
    }
}
