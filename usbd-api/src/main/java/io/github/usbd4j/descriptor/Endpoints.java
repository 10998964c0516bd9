package io.github.usbd4j.descriptor;

import static io.github.usbd4j.descriptor.DescriptorReader.hex;

import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import java.util.Optional;

/**
 * Endpoint arithmetic every isochronous driver needs, from a {@code usb100.h} endpoint descriptor and
 * the CE {@code USB_ENDPOINT} record (<a href="{@docRoot}/../reference/ce-usbd.html#s1-4">§1.4</a>,
 * <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>), and the one rule for which endpoint descriptors are
 * usable.
 *
 * <p><b>Validity, in one place.</b> {@link #problem(UsbEndpointDescriptor, UsbSpeed)} says why an endpoint
 * cannot be used at a speed; the descriptor parser applies its speed-independent part ({@link
 * #problem(UsbEndpointDescriptor)}), {@code OpenPipe} and the other personalities' pipe openers the whole
 * rule (answering {@code ERROR_INVALID_PARAMETER} in CE), and the arithmetic below throws {@link
 * IllegalArgumentException} with the same message. Speed-independent: the endpoint number is 1..15 and
 * address bits 6:4 are 0 (endpoint 0 is the default pipe, never described); {@code bmAttributes} bits 7:6
 * are 0; {@code wMaxPacketSize} bits 12:11 are not 3; an isochronous {@code bInterval} is 1..16, an
 * interrupt one is not 0. Depending on the speed: a low-speed device has no isochronous or bulk endpoint.
 *
 * <p><b>A high-speed interrupt {@code bInterval} above 16</b> is legal at full speed (frames, 1..255) and
 * out of range at high speed (an exponent, 1..16). Many devices put their full-speed value in the
 * high-speed descriptor; Linux ({@code usb_parse_endpoint} in {@code drivers/usb/core/config.c}) reads it
 * as a count of frames and polls at the largest power of two microframes not above {@code bInterval × 8}
 * (32 → 256 microframes, 32 ms). This library does the same, everywhere: the parser accepts the
 * descriptor, and {@link #servicePeriod} and {@code OpenPipe} use that period.
 *
 * <p><b>A packet size above the speed's maximum</b> (a full-speed isochronous 1024, say) is read as that maximum
 * ({@link #maxPacketPayload(UsbEndpointDescriptor, UsbSpeed)}), as Linux reads it when it enumerates the device.
 */
public final class Endpoints {
    private Endpoints() {}

    /** Isochronous synchronization type, {@code bmAttributes} bits 3:2. */
    public enum SyncType {
        /** No synchronization. */
        NONE,
        /** Asynchronous: the endpoint runs on its own clock (feedback endpoint for OUT). */
        ASYNCHRONOUS,
        /** Adaptive: the endpoint follows the data rate. */
        ADAPTIVE,
        /** Synchronous: locked to SOF. */
        SYNCHRONOUS;

        /** The sync type of an endpoint. */
        public static SyncType of(UsbEndpointDescriptor ep) {
            return values()[(ep.bmAttributes() & Usb100.USB_ENDPOINT_SYNC_TYPE_MASK) >>> 2];
        }
    }

    /** Isochronous usage type, {@code bmAttributes} bits 5:4. */
    public enum UsageType {
        /** Data endpoint. */
        DATA,
        /** Explicit feedback endpoint. */
        FEEDBACK,
        /** Data endpoint whose data is also implicit feedback. */
        IMPLICIT_FEEDBACK,
        /** Reserved code 3. */
        RESERVED;

        /** The usage type of an endpoint. */
        public static UsageType of(UsbEndpointDescriptor ep) {
            return values()[(ep.bmAttributes() & Usb100.USB_ENDPOINT_USAGE_TYPE_MASK) >>> 4];
        }
    }

    /**
     * Why an endpoint descriptor is unusable at every speed, or {@code null} if it is not: the
     * speed-independent part of the rule in this class's description. The descriptor parser rejects a
     * configuration for it.
     *
     * @param ep the endpoint descriptor
     * @return the reason, naming the value, or {@code null}
     */
    public static String problem(UsbEndpointDescriptor ep) {
        String p = addressProblem(ep);
        if (p == null) {
            p = attributesProblem(ep);
        }
        if (p == null) {
            p = packetSizeProblem(ep);
        }
        return p != null ? p : intervalProblem(ep, null);
    }

    /**
     * Why an endpoint descriptor is unusable at {@code speed}, or {@code null} if it is usable: the whole
     * rule in this class's description. {@code OpenPipe} answers {@code ERROR_INVALID_PARAMETER} for it.
     *
     * @param ep the endpoint descriptor
     * @param speed the speed the device runs at
     * @return the reason, naming the value, or {@code null}
     */
    public static String problem(UsbEndpointDescriptor ep, UsbSpeed speed) {
        String p = problem(ep);
        if (p == null && speed == UsbSpeed.LOW && ep.transferType() == Usb100.USB_ENDPOINT_TYPE_BULK) {
            p = "low-speed devices have no bulk endpoints";
        }
        return p != null ? p : intervalProblem(ep, speed);
    }

    /**
     * The payload per transaction an endpoint gets at a speed: {@code wMaxPacketSize} bits 10:0, read as no more
     * than the most its transfer type allows at that speed (<a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>):
     * low speed, interrupt 8; full speed, isochronous 1023, interrupt and bulk 64; high speed, isochronous and
     * interrupt 1024, bulk 1024 (512 by the specification; some devices announce 1024 and work); SuperSpeed, 1024.
     * Linux reads a larger value as that maximum ({@code usb_parse_endpoint}), so a device that announces more
     * moves the same packets on the simulator as through the kernel, and a frame length above the maximum is
     * refused here, not by the kernel.
     *
     * @param ep the endpoint descriptor
     * @param speed the speed the device runs at
     * @return bytes per transaction
     */
    public static int maxPacketPayload(UsbEndpointDescriptor ep, UsbSpeed speed) {
        return Math.min(ep.maxPacketPayload(), payloadLimit(ep.transferType(), speed));
    }

    private static int payloadLimit(int transferType, UsbSpeed speed) {
        boolean control = transferType == Usb100.USB_ENDPOINT_TYPE_CONTROL;
        boolean iso = transferType == Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS;
        switch (speed) {
            case LOW:
                return 8;
            case FULL:
                return iso ? 1023 : 64;
            case HIGH:
                return control ? 64 : 1024;
            default:
                return control ? 512 : 1024;
        }
    }

    static String addressProblem(UsbEndpointDescriptor ep) {
        int address = ep.bEndpointAddress();
        if ((address & 0x70) != 0) {
            return "endpoint address " + hex(address) + " has reserved bits 6:4 set";
        }
        if (ep.endpointNumber() == 0) {
            return "endpoint address " + hex(address) + " is endpoint 0";
        }
        return null;
    }

    static String attributesProblem(UsbEndpointDescriptor ep) {
        if ((ep.bmAttributes() & 0xC0) != 0) {
            return "endpoint " + hex(ep.bEndpointAddress()) + " bmAttributes " + hex(ep.bmAttributes())
                    + " has reserved bits 7:6 set";
        }
        return null;
    }

    static String packetSizeProblem(UsbEndpointDescriptor ep) {
        if (((ep.wMaxPacketSize() >>> 11) & 0x3) == 3) {
            return String.format(
                    "wMaxPacketSize 0x%04X uses the reserved transaction count 3 in bits 12:11", ep.wMaxPacketSize());
        }
        return null;
    }

    /** The interval rule; {@code speed} {@code null} for the part that holds at every speed. */
    static String intervalProblem(UsbEndpointDescriptor ep, UsbSpeed speed) {
        int interval = ep.bInterval();
        if (ep.isIsochronous()) {
            if (interval < 1 || interval > 16) {
                return "isochronous endpoint bInterval " + interval + " is not 1..16";
            }
            if (speed == UsbSpeed.LOW) {
                return "low-speed devices have no isochronous endpoints";
            }
        } else if (ep.transferType() == Usb100.USB_ENDPOINT_TYPE_INTERRUPT && interval == 0) {
            return "interrupt endpoint bInterval 0 is not 1..255";
        }
        return null;
    }

    /**
     * The service period in bus intervals (1 ms frames at low/full speed, 125 µs microframes at high
     * speed and SuperSpeed; <a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>): isochronous {@code
     * 2^(bInterval-1)} at every speed with {@code bInterval} 1..16; interrupt {@code bInterval} frames (1..255) at
     * low/full speed and {@code 2^(bInterval-1)} microframes (1..16) above, where a {@code bInterval} above 16 is read
     * as frames as Linux does (the largest power of two microframes not above {@code bInterval × 8}; see the class
     * description). Bulk and control endpoints are not scheduled periodically: 0.
     *
     * @param ep the endpoint descriptor
     * @param speed the speed the device runs at
     * @return the period in bus intervals, 0 for bulk and control
     * @throws IllegalArgumentException if the endpoint breaks the interval rule ({@link #problem}): an
     *     isochronous {@code bInterval} outside 1..16, an interrupt {@code bInterval} 0, or an isochronous
     *     endpoint at low speed
     */
    public static int servicePeriod(UsbEndpointDescriptor ep, UsbSpeed speed) {
        String p = intervalProblem(ep, speed);
        if (p != null) {
            throw new IllegalArgumentException(p);
        }
        int interval = ep.bInterval();
        switch (ep.transferType()) {
            case Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS:
                return 1 << (interval - 1);
            case Usb100.USB_ENDPOINT_TYPE_INTERRUPT:
                if (!speed.usesMicroframes()) {
                    return interval;
                }
                return interval <= 16 ? 1 << (interval - 1) : Integer.highestOneBit(interval * 8);
            default:
                return 0;
        }
    }

    /**
     * The most bytes a periodic endpoint moves in one service interval
     * (<a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>): at low/full speed {@link #maxPacketPayload} (bits
     * 10:0 of {@code wMaxPacketSize}, at most the speed's maximum); at high speed that times {@code 1 +} bits 12:11; at
     * SuperSpeed the companion's {@code wBytesPerInterval},
     * and at SuperSpeedPlus the SSP isochronous companion's {@code dwBytesPerInterval} when the companion's bit 7
     * announces one. Without a companion (which USB 3 forbids, but a hand-built record may lack) it falls back to
     * {@code (bMaxBurst+1)(Mult+1)} times bits 10:0 with both fields 0, that is one packet.
     *
     * @param ep the endpoint with its extended bytes
     * @param speed the speed the device runs at
     * @return bytes per service interval
     * @throws IllegalArgumentException for bulk and control endpoints, isochronous at low speed, or
     *     bits 12:11 = 3 at high speed
     */
    public static int bytesPerServiceInterval(UsbEndpoint ep, UsbSpeed speed) {
        UsbEndpointDescriptor d = ep.descriptor();
        requirePeriodic(d);
        switch (speed) {
            case LOW:
                if (d.isIsochronous()) {
                    throw new IllegalArgumentException("low-speed devices have no isochronous endpoints");
                }
                return maxPacketPayload(d, speed);
            case FULL:
                return maxPacketPayload(d, speed); // bits 12:11 must be 0 at full speed; ignore them as hosts do
            case HIGH:
                String p = packetSizeProblem(d);
                if (p != null) {
                    throw new IllegalArgumentException(p);
                }
                return maxPacketPayload(d, speed) * d.transactionsPerMicroframe();
            default:
                Optional<SuperSpeedEndpointCompanion> companion = superSpeedCompanion(ep);
                if (companion.isEmpty()) {
                    return maxPacketPayload(d, speed);
                }
                if (speed == UsbSpeed.SUPER_PLUS
                        && d.isIsochronous()
                        && companion.get().hasSspIsochCompanion()) {
                    Optional<SuperSpeedPlusIsochCompanion> ssp = superSpeedPlusIsochCompanion(ep);
                    if (ssp.isPresent()) {
                        return ssp.get().dwBytesPerInterval();
                    }
                }
                return companion.get().wBytesPerInterval();
        }
    }

    /**
     * The most bytes a periodic endpoint moves in one 1 ms frame: {@link #bytesPerServiceInterval} times
     * the service intervals that fall in a frame ({@link UsbSpeed#intervalsPerFrame()} / {@link
     * #servicePeriod}), and at least one interval's worth when the period is a frame or longer.
     * E.g. a high-speed 3×1024 isochronous endpoint with {@code bInterval} 1 moves 24576 bytes per frame
     * (<a href="{@docRoot}/../reference/usb-bus.html#s4">§4</a>). Saturates at {@link Integer#MAX_VALUE} (only absurd
     * SSP companions get there).
     *
     * @param ep the endpoint with its extended bytes
     * @param speed the speed the device runs at
     * @return bytes per 1 ms frame
     * @throws IllegalArgumentException as {@link #servicePeriod} and {@link #bytesPerServiceInterval}
     */
    public static int maxPayloadPerFrame(UsbEndpoint ep, UsbSpeed speed) {
        long perInterval = bytesPerServiceInterval(ep, speed);
        int intervals = Math.max(1, speed.intervalsPerFrame() / servicePeriod(ep.descriptor(), speed));
        return (int) Math.min(Integer.MAX_VALUE, perInterval * intervals);
    }

    /**
     * The SuperSpeed endpoint companion of an endpoint. A parsed configuration puts it first in the
     * endpoint's extended bytes (it must directly follow the endpoint descriptor).
     *
     * @param ep the endpoint
     * @return the companion, or empty if the extended bytes do not start with a well-formed one
     */
    public static Optional<SuperSpeedEndpointCompanion> superSpeedCompanion(UsbEndpoint ep) {
        DescriptorReader r = new DescriptorReader(ep.extended());
        try {
            DescriptorReader.Span d = r.next();
            if (d.type() != Usb100.USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE
                    || d.length() < ConfigurationParser.COMPANION_LENGTH) {
                return Optional.empty();
            }
            return Optional.of(new SuperSpeedEndpointCompanion(r.u8(2), r.u8(3), r.u16(4)));
        } catch (DescriptorException e) {
            return Optional.empty(); // malformed: only possible for a hand-built record
        }
    }

    /**
     * The SuperSpeedPlus isochronous endpoint companion, which directly follows the SuperSpeed companion.
     *
     * @param ep the endpoint
     * @return the SSP companion, or empty if the extended bytes do not start with a companion followed by
     *     a well-formed SSP companion
     */
    public static Optional<SuperSpeedPlusIsochCompanion> superSpeedPlusIsochCompanion(UsbEndpoint ep) {
        DescriptorReader r = new DescriptorReader(ep.extended());
        try {
            if (r.next().type() != Usb100.USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE || !r.hasNext()) {
                return Optional.empty();
            }
            DescriptorReader.Span d = r.next();
            long bytes = d.length() < ConfigurationParser.SSP_COMPANION_LENGTH ? -1 : r.u32(d.offset() + 4);
            if (d.type() != Usb100.USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE
                    || bytes < 0
                    || bytes > Integer.MAX_VALUE) {
                return Optional.empty();
            }
            return Optional.of(new SuperSpeedPlusIsochCompanion((int) bytes));
        } catch (DescriptorException e) {
            return Optional.empty(); // malformed: only possible for a hand-built record
        }
    }

    private static void requirePeriodic(UsbEndpointDescriptor d) {
        int type = d.transferType();
        if (type != Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS && type != Usb100.USB_ENDPOINT_TYPE_INTERRUPT) {
            throw new IllegalArgumentException(
                    String.format("endpoint 0x%02X is not periodic (transfer type %d)", d.bEndpointAddress(), type));
        }
    }
}
