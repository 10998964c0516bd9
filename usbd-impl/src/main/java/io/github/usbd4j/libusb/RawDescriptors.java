package io.github.usbd4j.libusb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.usb4java.ConfigDescriptor;
import org.usb4java.DeviceDescriptor;
import org.usb4java.EndpointDescriptor;
import org.usb4java.Interface;
import org.usb4java.InterfaceDescriptor;

/**
 * Descriptor bytes as the device returned them, rebuilt from libusb's parsed structures so they can be
 * read without opening the device (which needs permissions). libusb parses a configuration in order
 * and keeps every descriptor it does not know (class-specific, interface associations) as the
 * {@code extra} bytes of the structure before it, so writing each structure followed by its extras
 * restores the original order.
 */
final class RawDescriptors {
    private RawDescriptors() {}

    /** The 18-byte device descriptor. */
    static byte[] device(DeviceDescriptor d) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(18);
        out.write(18);
        out.write(1);
        le16(out, d.bcdUSB());
        out.write(d.bDeviceClass());
        out.write(d.bDeviceSubClass());
        out.write(d.bDeviceProtocol());
        out.write(d.bMaxPacketSize0());
        le16(out, d.idVendor());
        le16(out, d.idProduct());
        le16(out, d.bcdDevice());
        out.write(d.iManufacturer());
        out.write(d.iProduct());
        out.write(d.iSerialNumber());
        out.write(d.bNumConfigurations());
        return out.toByteArray();
    }

    /** A whole configuration descriptor, {@code wTotalLength} bytes (recomputed from what was written). */
    static byte[] configuration(ConfigDescriptor c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(9);
        out.write(2);
        le16(out, 0); // wTotalLength, patched below
        out.write(c.bNumInterfaces());
        out.write(c.bConfigurationValue());
        out.write(c.iConfiguration());
        out.write(c.bmAttributes());
        out.write(c.bMaxPower());
        extra(out, c.extra(), c.extraLength());
        for (Interface iface : c.iface()) {
            for (InterfaceDescriptor i : iface.altsetting()) {
                out.write(9);
                out.write(4);
                out.write(i.bInterfaceNumber());
                out.write(i.bAlternateSetting());
                out.write(i.bNumEndpoints());
                out.write(i.bInterfaceClass());
                out.write(i.bInterfaceSubClass());
                out.write(i.bInterfaceProtocol());
                out.write(i.iInterface());
                extra(out, i.extra(), i.extraLength());
                for (EndpointDescriptor e : i.endpoint()) {
                    endpoint(out, e);
                }
            }
        }
        byte[] bytes = out.toByteArray();
        bytes[2] = (byte) bytes.length;
        bytes[3] = (byte) (bytes.length >>> 8);
        return bytes;
    }

    private static void endpoint(ByteArrayOutputStream out, EndpointDescriptor e) {
        boolean audio = (e.bLength() & 0xFF) >= 9; // UAC1 endpoints carry bRefresh and bSynchAddress
        out.write(audio ? 9 : 7);
        out.write(5);
        out.write(e.bEndpointAddress());
        out.write(e.bmAttributes());
        le16(out, e.wMaxPacketSize());
        out.write(e.bInterval());
        if (audio) {
            out.write(e.bRefresh());
            out.write(e.bSynchAddress());
        }
        extra(out, e.extra(), e.extraLength());
    }

    private static void extra(ByteArrayOutputStream out, ByteBuffer extra, int length) {
        if (extra == null || length <= 0) {
            return;
        }
        ByteBuffer b = extra.duplicate();
        b.clear();
        for (int k = 0; k < Math.min(length, b.limit()); k++) {
            out.write(b.get(k));
        }
    }

    private static void le16(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >>> 8) & 0xFF);
    }
}
