package io.github.usbd4j.descriptor;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * One device capability descriptor of a BOS ({@code USB_DEVICE_CAPABILITY_DESCRIPTOR}, {@code
 * usbspec.h}; usb-iso-apis.md §4). Immutable: the array is copied in and out.
 *
 * @param bDevCapabilityType the capability type, e.g. 2 (USB 2.0 extension) or 3 (SuperSpeed USB)
 * @param data the bytes after {@code bDevCapabilityType}
 */
@SuppressWarnings("ArrayRecordComponent") // the bytes as the device sent them; equality is not used
public record DeviceCapability(int bDevCapabilityType, byte[] data) {
    /** {@code bDevCapabilityType} of the USB 2.0 extension capability. */
    public static final int USB20_EXTENSION = 0x02;
    /** {@code bDevCapabilityType} of the SuperSpeed USB capability. */
    public static final int SUPERSPEED_USB = 0x03;

    /** Copies the data. */
    public DeviceCapability {
        data = data.clone();
    }

    /** A copy of the bytes after {@code bDevCapabilityType}. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The smallest {@code bLength} the parser accepts for a capability of this type. */
    static int minimumLength(int type) {
        return switch (type) {
            case USB20_EXTENSION -> 7;
            case SUPERSPEED_USB -> 10;
            default -> 3;
        };
    }

    /** This capability as a USB 2.0 extension, if it is one and has its 4 attribute bytes. */
    public Optional<Usb20Extension> usb20Extension() {
        if (bDevCapabilityType != USB20_EXTENSION || data.length < 4) {
            return Optional.empty();
        }
        return Optional.of(new Usb20Extension(u16(0) | (long) u16(2) << 16));
    }

    /** This capability as a SuperSpeed USB capability, if it is one and has its 7 field bytes. */
    public Optional<SuperSpeedUsb> superSpeedUsb() {
        if (bDevCapabilityType != SUPERSPEED_USB || data.length < 7) {
            return Optional.empty();
        }
        return Optional.of(new SuperSpeedUsb(u8(0), u16(1), u8(3), u8(4), u16(5)));
    }

    private int u8(int i) {
        return data[i] & 0xFF;
    }

    private int u16(int i) {
        return u8(i) | u8(i + 1) << 8;
    }

    /**
     * The USB 2.0 extension capability ({@code USB_DEVICE_CAPABILITY_USB20_EXTENSION_DESCRIPTOR}).
     *
     * @param bmAttributes bit 1 link power management, bits 2..3 BESL values
     */
    public record Usb20Extension(long bmAttributes) {
        /** {@code true} when the device supports link power management (bit 1). */
        public boolean supportsLpm() {
            return (bmAttributes & 0x2) != 0;
        }
    }

    /**
     * The SuperSpeed USB capability ({@code USB_DEVICE_CAPABILITY_SUPERSPEED_USB_DESCRIPTOR}).
     *
     * @param bmAttributes bit 1 latency tolerance messages
     * @param wSpeedsSupported bit 0 low, 1 full, 2 high, 3 5 Gbit/s
     * @param bFunctionalitySupport lowest speed with full functionality, coded as in wSpeedsSupported
     * @param bU1DevExitLat U1 exit latency in µs
     * @param wU2DevExitLat U2 exit latency in µs
     */
    public record SuperSpeedUsb(
            int bmAttributes, int wSpeedsSupported, int bFunctionalitySupport, int bU1DevExitLat, int wU2DevExitLat) {
        /** {@code true} if the device can run at SuperSpeed (bit 3 of {@code wSpeedsSupported}). */
        public boolean supportsSuperSpeed() {
            return (wSpeedsSupported & 0x8) != 0;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceCapability c
                && bDevCapabilityType == c.bDevCapabilityType
                && Arrays.equals(data, c.data);
    }

    @Override
    public int hashCode() {
        return 31 * bDevCapabilityType + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "DeviceCapability[bDevCapabilityType=" + bDevCapabilityType + ", data="
                + HexFormat.of().formatHex(data) + "]";
    }
}
