package io.github.usbd4j.usb;

/**
 * One packet of an isochronous transfer: {@code USBD_ISO_PACKET_DESCRIPTOR} of {@code usb.h}
 * (<a href="{@docRoot}/../reference/winusb.html#s2-1">§2.1</a>,
 * <a href="{@docRoot}/../reference/wdm.html#s3-4">§3.4</a>). A mutable struct, as in C, so that driver code ports line
 * by line ({@code urb->IsoPacket[i].Offset = i * size} becomes {@code urb.isoPacket[i].offset = i * size}).
 */
public final class UsbdIsoPacketDescriptor {
    /** {@code Offset}: byte offset of the packet from the start of the transfer buffer. */
    public int offset;
    /** {@code Length}: for IN, bytes received (written by the stack); ignored for OUT on input. */
    public int length;
    /** {@code Status}: the packet's {@link UsbdStatus} (written by the stack). */
    public int status;

    /** A zeroed descriptor, as {@code USBD_IsochUrbAllocate} returns them. */
    public UsbdIsoPacketDescriptor() {}

    /**
     * An array of {@code n} zeroed descriptors.
     *
     * @param n the count
     * @return the array
     */
    public static UsbdIsoPacketDescriptor[] array(int n) {
        UsbdIsoPacketDescriptor[] a = new UsbdIsoPacketDescriptor[n];
        for (int i = 0; i < n; i++) {
            a[i] = new UsbdIsoPacketDescriptor();
        }
        return a;
    }

    @Override
    public String toString() {
        return "USBD_ISO_PACKET_DESCRIPTOR[Offset=" + offset + ", Length=" + length + ", Status="
                + UsbdStatus.name(status) + "]";
    }
}
