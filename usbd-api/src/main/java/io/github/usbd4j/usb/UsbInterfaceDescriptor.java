package io.github.usbd4j.usb;

/**
 * The 9-byte standard interface descriptor: CE's {@code USB_INTERFACE_DESCRIPTOR} ({@code usb100.h}).
 * One exists per alternate setting. Field names are the C names.
 *
 * @param bLength size of this descriptor, 9
 * @param bDescriptorType {@link Usb100#USB_INTERFACE_DESCRIPTOR_TYPE}
 * @param bInterfaceNumber interface number
 * @param bAlternateSetting alternate setting number
 * @param bNumEndpoints endpoints of this alternate setting, endpoint 0 not counted
 * @param bInterfaceClass interface class code
 * @param bInterfaceSubClass interface subclass code
 * @param bInterfaceProtocol interface protocol code
 * @param iInterface string index, 0 if none
 */
public record UsbInterfaceDescriptor(
        int bLength,
        int bDescriptorType,
        int bInterfaceNumber,
        int bAlternateSetting,
        int bNumEndpoints,
        int bInterfaceClass,
        int bInterfaceSubClass,
        int bInterfaceProtocol,
        int iInterface) {

    /** Size in bytes of an interface descriptor. */
    public static final int LENGTH = 9;

    /** Checks every field's range. */
    public UsbInterfaceDescriptor {
        Fields.u8("bLength", bLength);
        Fields.u8("bDescriptorType", bDescriptorType);
        Fields.u8("bInterfaceNumber", bInterfaceNumber);
        Fields.u8("bAlternateSetting", bAlternateSetting);
        Fields.u8("bNumEndpoints", bNumEndpoints);
        Fields.u8("bInterfaceClass", bInterfaceClass);
        Fields.u8("bInterfaceSubClass", bInterfaceSubClass);
        Fields.u8("bInterfaceProtocol", bInterfaceProtocol);
        Fields.u8("iInterface", iInterface);
    }

    /** The descriptor's 9 bytes. */
    public byte[] toBytes() {
        return new byte[] {
            (byte) bLength,
            (byte) bDescriptorType,
            (byte) bInterfaceNumber,
            (byte) bAlternateSetting,
            (byte) bNumEndpoints,
            (byte) bInterfaceClass,
            (byte) bInterfaceSubClass,
            (byte) bInterfaceProtocol,
            (byte) iInterface
        };
    }
}
