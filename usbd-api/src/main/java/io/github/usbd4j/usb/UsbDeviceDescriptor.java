package io.github.usbd4j.usb;

/**
 * The 18-byte standard device descriptor: CE's {@code USB_DEVICE_DESCRIPTOR} ({@code usb100.h}).
 *
 * <p>Field names are the C names so that a port reads {@code dev.descriptor().idVendor()} where the C
 * code read {@code lpDev->Descriptor.idVendor}. Every field is an unsigned value held in an {@code int}
 * and range-checked on construction. Parse one from bytes with {@code
 * io.github.usbd4j.descriptor.Descriptors.parseDevice}.
 *
 * @param bLength size of the descriptor, 18
 * @param bDescriptorType {@link Usb100#USB_DEVICE_DESCRIPTOR_TYPE}
 * @param bcdUSB USB release in BCD, e.g. {@code 0x0200}
 * @param bDeviceClass device class code, {@code 0} when the interfaces say it
 * @param bDeviceSubClass device subclass code
 * @param bDeviceProtocol device protocol code
 * @param bMaxPacketSize0 max packet size of endpoint 0 (8, 16, 32, 64; 9 = 512 at SuperSpeed)
 * @param idVendor vendor ID
 * @param idProduct product ID
 * @param bcdDevice device release in BCD
 * @param iManufacturer string index of the manufacturer, 0 if none
 * @param iProduct string index of the product, 0 if none
 * @param iSerialNumber string index of the serial number, 0 if none
 * @param bNumConfigurations number of configurations
 */
public record UsbDeviceDescriptor(
        int bLength,
        int bDescriptorType,
        int bcdUSB,
        int bDeviceClass,
        int bDeviceSubClass,
        int bDeviceProtocol,
        int bMaxPacketSize0,
        int idVendor,
        int idProduct,
        int bcdDevice,
        int iManufacturer,
        int iProduct,
        int iSerialNumber,
        int bNumConfigurations) {

    /** Size in bytes of a device descriptor. */
    public static final int LENGTH = 18;

    /** Checks every field's range. */
    public UsbDeviceDescriptor {
        Fields.u8("bLength", bLength);
        Fields.u8("bDescriptorType", bDescriptorType);
        Fields.u16("bcdUSB", bcdUSB);
        Fields.u8("bDeviceClass", bDeviceClass);
        Fields.u8("bDeviceSubClass", bDeviceSubClass);
        Fields.u8("bDeviceProtocol", bDeviceProtocol);
        Fields.u8("bMaxPacketSize0", bMaxPacketSize0);
        Fields.u16("idVendor", idVendor);
        Fields.u16("idProduct", idProduct);
        Fields.u16("bcdDevice", bcdDevice);
        Fields.u8("iManufacturer", iManufacturer);
        Fields.u8("iProduct", iProduct);
        Fields.u8("iSerialNumber", iSerialNumber);
        Fields.u8("bNumConfigurations", bNumConfigurations);
    }

    /** The descriptor as the 18 bytes a device returns for GET_DESCRIPTOR(DEVICE). */
    public byte[] toBytes() {
        return new byte[] {
            (byte) bLength,
            (byte) bDescriptorType,
            (byte) bcdUSB,
            (byte) (bcdUSB >>> 8),
            (byte) bDeviceClass,
            (byte) bDeviceSubClass,
            (byte) bDeviceProtocol,
            (byte) bMaxPacketSize0,
            (byte) idVendor,
            (byte) (idVendor >>> 8),
            (byte) idProduct,
            (byte) (idProduct >>> 8),
            (byte) bcdDevice,
            (byte) (bcdDevice >>> 8),
            (byte) iManufacturer,
            (byte) iProduct,
            (byte) iSerialNumber,
            (byte) bNumConfigurations
        };
    }
}
