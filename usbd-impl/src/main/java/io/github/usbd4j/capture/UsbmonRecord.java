package io.github.usbd4j.capture;

import java.util.Arrays;
import java.util.List;

/**
 * One usbmon event of a capture: a URB's submission ({@link Usbmon#SUBMIT}), completion
 * ({@link Usbmon#COMPLETE}) or failed submission ({@link Usbmon#ERROR}), as {@link CaptureReader} decodes
 * it. Immutable; the arrays it returns are copies.
 */
public final class UsbmonRecord {

    /**
     * One isochronous packet descriptor.
     *
     * @param status the packet's status, an errno (0 for success)
     * @param offset where the packet's data starts in the transfer's data
     * @param length the packet's length: requested in a submission, actual in a completion
     */
    public record IsoDescriptor(int status, int offset, int length) {}

    private final long urbId;
    private final char type;
    private final int xferType;
    private final int endpoint;
    private final int device;
    private final int bus;
    private final byte[] setup;
    private final long timestampMicros;
    private final int status;
    private final int urbLength;
    private final int dataLength;
    private final int interval;
    private final int startFrame;
    private final int transferFlags;
    private final int errorCount;
    private final List<IsoDescriptor> iso;
    private final byte[] data;
    private final boolean truncated;
    private final String comment;

    /**
     * @param urbId the URB id that pairs a submission with its completion
     * @param type {@link Usbmon#SUBMIT}, {@link Usbmon#COMPLETE} or {@link Usbmon#ERROR}
     * @param xferType {@link Usbmon#XFER_ISOCHRONOUS} .. {@link Usbmon#XFER_BULK}
     * @param endpoint endpoint number with the direction bit (0x80 for IN)
     * @param device device address
     * @param bus bus number
     * @param setup the 8-byte setup packet of a control submission, else {@code null}
     * @param timestampMicros microseconds since the epoch
     * @param status the URB status (errno; {@link Usbmon#EINPROGRESS} for submissions)
     * @param urbLength the URB's length: requested for a submission, actual for a completion
     * @param dataLength the data length the capture claims ({@code len_cap} minus the descriptors)
     * @param interval polling interval (interrupt, isochronous)
     * @param startFrame start frame (isochronous)
     * @param transferFlags the URB's transfer flags
     * @param errorCount isochronous: packets in error
     * @param iso isochronous packet descriptors
     * @param data the captured data (fewer than {@code dataLength} bytes when the capture cut it)
     * @param truncated whether the capture holds less than the record claims
     * @param comment the record's pcapng comment, or {@code null}
     */
    public UsbmonRecord(
            long urbId,
            char type,
            int xferType,
            int endpoint,
            int device,
            int bus,
            byte[] setup,
            long timestampMicros,
            int status,
            int urbLength,
            int dataLength,
            int interval,
            int startFrame,
            int transferFlags,
            int errorCount,
            List<IsoDescriptor> iso,
            byte[] data,
            boolean truncated,
            String comment) {
        this.urbId = urbId;
        this.type = type;
        this.xferType = xferType;
        this.endpoint = endpoint;
        this.device = device;
        this.bus = bus;
        this.setup = setup == null ? null : setup.clone();
        this.timestampMicros = timestampMicros;
        this.status = status;
        this.urbLength = urbLength;
        this.dataLength = dataLength;
        this.interval = interval;
        this.startFrame = startFrame;
        this.transferFlags = transferFlags;
        this.errorCount = errorCount;
        this.iso = List.copyOf(iso);
        this.data = data.clone();
        this.truncated = truncated;
        this.comment = comment;
    }

    /** The URB id: a submission and its completion share it. */
    public long urbId() {
        return urbId;
    }

    /** {@link Usbmon#SUBMIT}, {@link Usbmon#COMPLETE} or {@link Usbmon#ERROR}. */
    public char type() {
        return type;
    }

    /** The usbmon transfer type, {@link Usbmon#XFER_ISOCHRONOUS} .. {@link Usbmon#XFER_BULK}. */
    public int xferType() {
        return xferType;
    }

    /** Endpoint number with the direction bit; control transfers carry their data stage's direction. */
    public int endpoint() {
        return endpoint;
    }

    /** {@code true} for device-to-host. */
    public boolean isIn() {
        return (endpoint & 0x80) != 0;
    }

    /** The device address. */
    public int device() {
        return device;
    }

    /** The bus number. */
    public int bus() {
        return bus;
    }

    /** The 8-byte setup packet of a control submission, or {@code null}. */
    public byte[] setup() {
        return setup == null ? null : setup.clone();
    }

    /** Microseconds since the epoch. */
    public long timestampMicros() {
        return timestampMicros;
    }

    /** The URB status as an errno (0 for success, {@link Usbmon#EINPROGRESS} for a submission). */
    public int status() {
        return status;
    }

    /** The URB length: requested in a submission, transferred in a completion. */
    public int urbLength() {
        return urbLength;
    }

    /** The data length the record claims; {@link #data()} is shorter when {@link #isTruncated()}. */
    public int dataLength() {
        return dataLength;
    }

    /** Interrupt and isochronous: the polling interval in bus intervals. */
    public int interval() {
        return interval;
    }

    /** Isochronous: the start frame. */
    public int startFrame() {
        return startFrame;
    }

    /** The URB's transfer flags ({@link Usbmon#URB_SHORT_NOT_OK}, {@link Usbmon#URB_ISO_ASAP}, ...). */
    public int transferFlags() {
        return transferFlags;
    }

    /** Isochronous: the number of packets in error. */
    public int errorCount() {
        return errorCount;
    }

    /** Isochronous: the packet descriptors, in packet order. */
    public List<IsoDescriptor> iso() {
        return iso;
    }

    /** The captured data. */
    public byte[] data() {
        return data.clone();
    }

    /** The number of captured data bytes. */
    public int capturedDataLength() {
        return data.length;
    }

    /**
     * The data of isochronous packet {@code k}: {@code iso().get(k).length()} bytes from its offset.
     *
     * @param k the packet
     * @return the bytes, or {@code null} when the capture does not hold them
     */
    public byte[] isoPacketData(int k) {
        IsoDescriptor d = iso.get(k);
        long end = (long) d.offset() + d.length();
        if (d.offset() < 0 || d.length() < 0 || end > data.length) {
            return null;
        }
        return Arrays.copyOfRange(data, d.offset(), (int) end);
    }

    /** Whether the capture holds less than the record claims (a snap length, a cut file). */
    public boolean isTruncated() {
        return truncated;
    }

    /** The record's pcapng comment ({@code opt_comment}), or {@code null}. */
    public String comment() {
        return comment;
    }

    @Override
    public String toString() {
        return String.format(
                "%c urb 0x%x %s ep 0x%02x dev %d.%d status %d len %d%s%s",
                type,
                urbId,
                switch (xferType) {
                    case Usbmon.XFER_ISOCHRONOUS -> "ISO";
                    case Usbmon.XFER_INTERRUPT -> "INT";
                    case Usbmon.XFER_CONTROL -> "CTRL";
                    default -> "BULK";
                },
                endpoint,
                bus,
                device,
                status,
                urbLength,
                iso.isEmpty() ? "" : ", " + iso.size() + " iso packets",
                comment == null ? "" : " // " + comment);
    }
}
