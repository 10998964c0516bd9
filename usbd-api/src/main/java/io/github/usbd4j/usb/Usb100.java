package io.github.usbd4j.usb;

/**
 * Constants of {@code usb100.h} (USB 1.x descriptors) and of its {@code usb200.h}/{@code usbspec.h}
 * successors that the descriptors of USB 2.0 and 3.x devices use: descriptor types, endpoint types
 * and masks, {@code bmRequestType} bits, standard request codes and feature selectors
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>,
 * <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>).
 */
public final class Usb100 {
    private Usb100() {}

    // ---- bmRequestType bits (CE declares them in usbtypes.h; they are chapter 9's, so they live here) ----

    /** Data stage device to host. */
    public static final int USB_REQUEST_DEVICE_TO_HOST = 0x80;
    /** Data stage host to device. */
    public static final int USB_REQUEST_HOST_TO_DEVICE = 0x00;
    /** Standard request. */
    public static final int USB_REQUEST_STANDARD = 0x00;
    /** Class request. */
    public static final int USB_REQUEST_CLASS = 0x20;
    /** Vendor request. */
    public static final int USB_REQUEST_VENDOR = 0x40;
    /** Reserved request type. */
    public static final int USB_REQUEST_RESERVED = 0x60;
    /** Recipient: device. */
    public static final int USB_REQUEST_FOR_DEVICE = 0x00;
    /** Recipient: interface. */
    public static final int USB_REQUEST_FOR_INTERFACE = 0x01;
    /** Recipient: endpoint. */
    public static final int USB_REQUEST_FOR_ENDPOINT = 0x02;
    /** Recipient: other. */
    public static final int USB_REQUEST_FOR_OTHER = 0x03;

    // ---- descriptor types ---------------------------------------------------------------------

    /** Device descriptor. */
    public static final int USB_DEVICE_DESCRIPTOR_TYPE = 0x01;
    /** Configuration descriptor. */
    public static final int USB_CONFIGURATION_DESCRIPTOR_TYPE = 0x02;
    /** String descriptor. */
    public static final int USB_STRING_DESCRIPTOR_TYPE = 0x03;
    /** Interface descriptor. */
    public static final int USB_INTERFACE_DESCRIPTOR_TYPE = 0x04;
    /** Endpoint descriptor. */
    public static final int USB_ENDPOINT_DESCRIPTOR_TYPE = 0x05;
    /** Device qualifier descriptor (USB 2.0). */
    public static final int USB_DEVICE_QUALIFIER_DESCRIPTOR_TYPE = 0x06;
    /** Other-speed configuration descriptor (USB 2.0). */
    public static final int USB_OTHER_SPEED_CONFIGURATION_DESCRIPTOR_TYPE = 0x07;
    /** Interface power descriptor (USB 2.0). */
    public static final int USB_INTERFACE_POWER_DESCRIPTOR_TYPE = 0x08;
    /** OTG descriptor. */
    public static final int USB_OTG_DESCRIPTOR_TYPE = 0x09;
    /** Debug descriptor. */
    public static final int USB_DEBUG_DESCRIPTOR_TYPE = 0x0A;
    /** Interface association descriptor (IAD). */
    public static final int USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE = 0x0B;
    /** Binary device object store (USB 3.x). */
    public static final int USB_BOS_DESCRIPTOR_TYPE = 0x0F;
    /** Device capability, inside a BOS. */
    public static final int USB_DEVICE_CAPABILITY_DESCRIPTOR_TYPE = 0x10;
    /** SuperSpeed endpoint companion. */
    public static final int USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE = 0x30;
    /** SuperSpeedPlus isochronous endpoint companion. */
    public static final int USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE = 0x31;
    /** Class-specific interface descriptor (USB Audio and Video class {@code CS_INTERFACE}). */
    public static final int USB_CS_INTERFACE_DESCRIPTOR_TYPE = 0x24;
    /** Class-specific endpoint descriptor ({@code CS_ENDPOINT}). */
    public static final int USB_CS_ENDPOINT_DESCRIPTOR_TYPE = 0x25;

    // ---- endpoints ----------------------------------------------------------------------------

    /** Control endpoint. */
    public static final int USB_ENDPOINT_TYPE_CONTROL = 0x00;
    /** Isochronous endpoint. */
    public static final int USB_ENDPOINT_TYPE_ISOCHRONOUS = 0x01;
    /** Bulk endpoint. */
    public static final int USB_ENDPOINT_TYPE_BULK = 0x02;
    /** Interrupt endpoint. */
    public static final int USB_ENDPOINT_TYPE_INTERRUPT = 0x03;
    /** Mask of the transfer type in {@code bmAttributes}. */
    public static final int USB_ENDPOINT_TYPE_MASK = 0x03;
    /** Mask of the direction bit in {@code bEndpointAddress}. */
    public static final int USB_ENDPOINT_DIRECTION_MASK = 0x80;
    /** Mask of the isochronous synchronization type in {@code bmAttributes} (bits 3:2). */
    public static final int USB_ENDPOINT_SYNC_TYPE_MASK = 0x0C;
    /** Mask of the isochronous usage type in {@code bmAttributes} (bits 5:4). */
    public static final int USB_ENDPOINT_USAGE_TYPE_MASK = 0x30;

    // ---- standard requests and features -------------------------------------------------------

    /** GET_STATUS. */
    public static final int USB_REQUEST_GET_STATUS = 0x00;
    /** CLEAR_FEATURE. */
    public static final int USB_REQUEST_CLEAR_FEATURE = 0x01;
    /** SET_FEATURE. */
    public static final int USB_REQUEST_SET_FEATURE = 0x03;
    /** SET_ADDRESS. */
    public static final int USB_REQUEST_SET_ADDRESS = 0x05;
    /** GET_DESCRIPTOR. */
    public static final int USB_REQUEST_GET_DESCRIPTOR = 0x06;
    /** SET_DESCRIPTOR. */
    public static final int USB_REQUEST_SET_DESCRIPTOR = 0x07;
    /** GET_CONFIGURATION. */
    public static final int USB_REQUEST_GET_CONFIGURATION = 0x08;
    /** SET_CONFIGURATION. */
    public static final int USB_REQUEST_SET_CONFIGURATION = 0x09;
    /** GET_INTERFACE. */
    public static final int USB_REQUEST_GET_INTERFACE = 0x0A;
    /** SET_INTERFACE. */
    public static final int USB_REQUEST_SET_INTERFACE = 0x0B;
    /** SYNCH_FRAME. */
    public static final int USB_REQUEST_SYNC_FRAME = 0x0C;

    /** Feature selector ENDPOINT_HALT. */
    public static final int USB_FEATURE_ENDPOINT_STALL = 0x0000;
    /** Feature selector DEVICE_REMOTE_WAKEUP. */
    public static final int USB_FEATURE_REMOTE_WAKEUP = 0x0001;
    /** Feature selector TEST_MODE (USB 2.0). */
    public static final int USB_FEATURE_TEST_MODE = 0x0002;

    /** {@code USB_ENDPOINT_DIRECTION_OUT(addr)}: {@code true} when bit 7 is clear. */
    public static boolean isDirectionOut(int bEndpointAddress) {
        return (bEndpointAddress & USB_ENDPOINT_DIRECTION_MASK) == 0;
    }

    /** {@code USB_ENDPOINT_DIRECTION_IN(addr)}: {@code true} when bit 7 is set. */
    public static boolean isDirectionIn(int bEndpointAddress) {
        return !isDirectionOut(bEndpointAddress);
    }
}
