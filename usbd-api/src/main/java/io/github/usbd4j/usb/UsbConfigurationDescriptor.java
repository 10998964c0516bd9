package io.github.usbd4j.usb;

/**
 * The 9-byte standard configuration descriptor: CE's {@code USB_CONFIGURATION_DESCRIPTOR}
 * ({@code usb100.h}). Field names are the C names.
 *
 * @param bLength size of this descriptor, 9
 * @param bDescriptorType {@link Usb100#USB_CONFIGURATION_DESCRIPTOR_TYPE}
 * @param wTotalLength length of the whole configuration: this descriptor and all that follows it
 * @param bNumInterfaces number of interfaces (not counting alternate settings)
 * @param bConfigurationValue value for SET_CONFIGURATION
 * @param iConfiguration string index, 0 if none
 * @param bmAttributes bit 7 reserved (1), bit 6 self-powered, bit 5 remote wakeup
 * @param MaxPower maximum power in 2 mA units (8 mA at SuperSpeed), named as in {@code usb100.h}
 */
@SuppressWarnings("checkstyle:ParameterName") // MaxPower is CE's spelling
public record UsbConfigurationDescriptor(
        int bLength,
        int bDescriptorType,
        int wTotalLength,
        int bNumInterfaces,
        int bConfigurationValue,
        int iConfiguration,
        int bmAttributes,
        int MaxPower) {

    /** Size in bytes of a configuration descriptor. */
    public static final int LENGTH = 9;

    /** Checks every field's range. */
    public UsbConfigurationDescriptor {
        Fields.u8("bLength", bLength);
        Fields.u8("bDescriptorType", bDescriptorType);
        Fields.u16("wTotalLength", wTotalLength);
        Fields.u8("bNumInterfaces", bNumInterfaces);
        Fields.u8("bConfigurationValue", bConfigurationValue);
        Fields.u8("iConfiguration", iConfiguration);
        Fields.u8("bmAttributes", bmAttributes);
        Fields.u8("MaxPower", MaxPower);
    }

    /** The descriptor's own 9 bytes (without what follows it). */
    public byte[] toBytes() {
        return new byte[] {
            (byte) bLength,
            (byte) bDescriptorType,
            (byte) wTotalLength,
            (byte) (wTotalLength >>> 8),
            (byte) bNumInterfaces,
            (byte) bConfigurationValue,
            (byte) iConfiguration,
            (byte) bmAttributes,
            (byte) MaxPower
        };
    }
}
