package io.github.usbd4j.capture;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the usbmon records of a capture file: classic pcap (microsecond or nanosecond, either byte order)
 * or pcapng (every section, either byte order; Enhanced, Simple and obsolete Packet Blocks; other blocks
 * skipped), link types {@link Usbmon#LINKTYPE_USB_LINUX_MMAPPED} and {@link Usbmon#LINKTYPE_USB_LINUX}.
 * Packets of other interfaces (a capture of usbmon and Ethernet together) are skipped.
 *
 * <p>Every length in the file is checked before it is used: damaged or hostile input fails with a
 * {@link CaptureFormatException} that says what is wrong and at which byte, never with another exception,
 * and no more memory is taken than the file's size allows.
 *
 * <p>A file whose end is cut short in the middle of a packet, as a writer killed during a write or stopped
 * by a full disk leaves it, is read up to its last whole packet, the way Wireshark reads one:
 * {@link #readCapture(Path)} says what was cut ({@link Capture#cutShort()}). Only the end may be cut: a
 * packet whose length runs past the end of the file and whose length the format could not hold is an
 * error, as is every inconsistency before the end.
 */
public final class CaptureReader {
    /** The largest capture file read: captures of a device's enumeration and some seconds of streaming are far smaller. */
    public static final long MAX_FILE_BYTES = 256L << 20;

    private static final int PCAPNG_SHB = 0x0A0D0D0A;
    private static final int PCAPNG_IDB = 1;
    private static final int PCAPNG_OPB = 2;
    private static final int PCAPNG_SPB = 3;
    private static final int PCAPNG_EPB = 6;
    private static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final int PCAP_MICROS = 0xA1B2C3D4;
    private static final int PCAP_NANOS = 0xA1B23C4D;
    private static final int OPT_COMMENT = 1;
    private static final int IF_TSRESOL = 9;
    private static final int IF_TSOFFSET = 14;

    /**
     * The largest pcapng block or pcap packet read (Wireshark's bound too): a longer length is damage, and
     * only a length within it that runs past the end of the file is taken for a cut-short end.
     */
    private static final long MAX_BLOCK_BYTES = 16L << 20;

    private final ByteBuffer in;
    private final List<UsbmonRecord> records = new ArrayList<>();
    private int packetNumber;
    private List<Integer> otherLinkTypes = new ArrayList<>();
    private String cutShort;

    /**
     * What a capture file holds.
     *
     * @param records its usbmon records in file order
     * @param cutShort {@code null} when the file ends on a whole packet; otherwise where its last packet was
     *     cut short and how many of its bytes are missing (those bytes' records are not in {@code records})
     */
    public record Capture(List<UsbmonRecord> records, String cutShort) {
        /**
         * @param records its usbmon records in file order
         * @param cutShort {@code null}, or where the file was cut short
         */
        public Capture {
            records = List.copyOf(records);
        }

        /**
         * Whether the file's last packet was cut short.
         *
         * @return {@code true} if {@link #cutShort()} says where
         */
        public boolean isCutShort() {
            return cutShort != null;
        }
    }

    private CaptureReader(byte[] bytes) {
        this.in = ByteBuffer.wrap(bytes);
    }

    /**
     * Reads a capture file's usbmon records; a cut-short end is tolerated (see {@link #readCapture(Path)}).
     *
     * @param file a pcap or pcapng file
     * @return its usbmon records in file order, up to a cut-short last packet
     * @throws CaptureFormatException if it is not a usbmon capture or is damaged
     * @throws IOException if it cannot be read
     */
    public static List<UsbmonRecord> read(Path file) throws IOException {
        return readCapture(file).records();
    }

    /**
     * Reads a capture held in memory; a cut-short end is tolerated (see {@link #readCapture(byte[])}).
     *
     * @param bytes the file's bytes
     * @return its usbmon records in file order, up to a cut-short last packet
     * @throws CaptureFormatException if they are not a usbmon capture or are damaged
     */
    public static List<UsbmonRecord> read(byte[] bytes) throws CaptureFormatException {
        return readCapture(bytes).records();
    }

    /**
     * Reads a capture file, and says whether its end was cut short.
     *
     * @param file a pcap or pcapng file
     * @return its usbmon records in file order and, if its last packet was cut short, where
     * @throws CaptureFormatException if it is not a usbmon capture or is damaged
     * @throws IOException if it cannot be read
     */
    public static Capture readCapture(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new CaptureFormatException(
                    file + ": " + size + " bytes, more than the " + MAX_FILE_BYTES + " a capture may have here");
        }
        try {
            return readCapture(Files.readAllBytes(file));
        } catch (CaptureFormatException e) {
            throw new CaptureFormatException(file + ": " + e.getMessage());
        }
    }

    /**
     * Reads a capture held in memory, and says whether its end was cut short.
     *
     * @param bytes the file's bytes
     * @return its usbmon records in file order and, if its last packet was cut short, where
     * @throws CaptureFormatException if they are not a usbmon capture or are damaged
     */
    public static Capture readCapture(byte[] bytes) throws CaptureFormatException {
        CaptureReader r = new CaptureReader(bytes);
        if (bytes.length < 4) {
            throw new CaptureFormatException("not a capture file: " + bytes.length + " bytes");
        }
        int magic = r.in.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic == PCAPNG_SHB) {
            r.readPcapng();
        } else if (magic == PCAP_MICROS || magic == PCAP_NANOS) {
            r.readPcap(ByteOrder.LITTLE_ENDIAN, magic == PCAP_NANOS);
        } else if (Integer.reverseBytes(magic) == PCAP_MICROS || Integer.reverseBytes(magic) == PCAP_NANOS) {
            r.readPcap(ByteOrder.BIG_ENDIAN, Integer.reverseBytes(magic) == PCAP_NANOS);
        } else {
            throw new CaptureFormatException(
                    String.format("not a pcap or pcapng file (it starts with 0x%08X)", Integer.reverseBytes(magic)));
        }
        if (r.records.isEmpty() && !r.otherLinkTypes.isEmpty()) {
            throw new CaptureFormatException("no usbmon packets: the capture's link types are " + r.otherLinkTypes
                    + ", not " + Usbmon.LINKTYPE_USB_LINUX_MMAPPED + " or " + Usbmon.LINKTYPE_USB_LINUX
                    + " (capture a usbmonN interface)");
        }
        return new Capture(r.records, r.cutShort);
    }

    /** Notes that the file ends inside {@code what} at {@code pos}, which needs {@code length} bytes (0: not known). */
    private void cutShortAt(int pos, long length, String what) {
        int left = in.limit() - pos;
        String missing = length > 0
                ? (length - left) + " of its " + length + " bytes are missing"
                : "only " + left + " bytes of it are there";
        cutShort = "the file was cut short in " + what + " at byte " + pos + " (" + missing + "); the " + records.size()
                + " usbmon records before it were read";
    }

    // ---- pcap ---------------------------------------------------------------------------------------

    private void readPcap(ByteOrder order, boolean nanos) throws CaptureFormatException {
        in.order(order);
        need(0, 24, "the pcap file header");
        int major = in.getShort(4) & 0xFFFF;
        if (major != 2) {
            throw new CaptureFormatException("pcap version " + major + " is not 2");
        }
        long snaplen = in.getInt(16) & 0xFFFFFFFFL;
        int linkType = in.getInt(20) & 0x03FFFFFF;
        boolean usb = isUsb(linkType);
        if (!usb) {
            otherLinkTypes.add(linkType);
        }
        int pos = 24;
        while (pos < in.limit()) {
            if (in.limit() - pos < 16) {
                cutShortAt(pos, 0, "the header of packet " + (packetNumber + 1));
                return;
            }
            long sec = in.getInt(pos) & 0xFFFFFFFFL;
            long frac = in.getInt(pos + 4) & 0xFFFFFFFFL;
            long caplen = in.getInt(pos + 8) & 0xFFFFFFFFL;
            long origlen = in.getInt(pos + 12) & 0xFFFFFFFFL;
            packetNumber++;
            if (snaplen > 0 ? caplen > Math.max(snaplen, 262_144) : caplen > MAX_BLOCK_BYTES) {
                throw new CaptureFormatException(at(pos) + "packet " + packetNumber + " has " + caplen
                        + " bytes, more than the "
                        + (snaplen > 0 ? "snap length " + snaplen : MAX_BLOCK_BYTES + " a packet may have"));
            }
            if (caplen > in.limit() - pos - 16) {
                cutShortAt(pos, 16 + caplen, "packet " + packetNumber);
                return;
            }
            if (usb) {
                long micros = sec * 1_000_000 + (nanos ? frac / 1000 : frac);
                records.add(decode(pos + 16, (int) caplen, origlen, linkType, micros, null));
            }
            pos += 16 + (int) caplen;
        }
    }

    // ---- pcapng -------------------------------------------------------------------------------------

    /** One interface of a section. */
    private record Interface(int linkType, long snaplen, long unitsPerSecond, long offsetSeconds) {}

    private void readPcapng() throws CaptureFormatException {
        int pos = 0;
        List<Interface> interfaces = new ArrayList<>();
        while (pos < in.limit()) {
            if (pos > 0 && in.limit() - pos < 12) {
                cutShortAt(pos, 0, "the header of a block");
                return;
            }
            need(pos, 12, "a block header");
            int type = in.order(ByteOrder.LITTLE_ENDIAN).getInt(pos);
            if (type == PCAPNG_SHB) {
                need(pos, 12, "the section header");
                int magic = in.getInt(pos + 8);
                if (magic == BYTE_ORDER_MAGIC) {
                    in.order(ByteOrder.LITTLE_ENDIAN);
                } else if (Integer.reverseBytes(magic) == BYTE_ORDER_MAGIC) {
                    in.order(ByteOrder.BIG_ENDIAN);
                } else {
                    throw new CaptureFormatException(
                            at(pos) + String.format("section header with byte-order magic 0x%08X", magic));
                }
                interfaces = new ArrayList<>();
            } else if (pos == 0) {
                throw new CaptureFormatException("a pcapng file must start with a section header");
            }
            type = in.getInt(pos);
            long length = in.getInt(pos + 4) & 0xFFFFFFFFL;
            if (length < 12 || length % 4 != 0 || length > MAX_BLOCK_BYTES) {
                throw new CaptureFormatException(at(pos) + "block of type " + type + " has length " + length);
            }
            if (length > in.limit() - pos) {
                if (pos == 0) {
                    throw new CaptureFormatException(
                            at(pos) + "the section header has length " + length + ", past the end of the file");
                }
                cutShortAt(pos, length, "a block of type " + type);
                return;
            }
            int end = pos + (int) length;
            if ((in.getInt(end - 4) & 0xFFFFFFFFL) != length) {
                throw new CaptureFormatException(at(pos) + "block of type " + type + ": its trailing length "
                        + (in.getInt(end - 4) & 0xFFFFFFFFL) + " differs from its leading length " + length);
            }
            int body = pos + 8;
            int bodyEnd = end - 4;
            switch (type) {
                case PCAPNG_SHB -> {
                    need(body, 16, "the section header");
                    int major = in.getShort(body + 4) & 0xFFFF;
                    if (major != 1) {
                        throw new CaptureFormatException(at(pos) + "pcapng version " + major + " is not 1");
                    }
                }
                case PCAPNG_IDB -> interfaces.add(readInterface(body, bodyEnd));
                case PCAPNG_EPB, PCAPNG_OPB -> readPacket(type, body, bodyEnd, interfaces);
                case PCAPNG_SPB -> readSimplePacket(body, bodyEnd, interfaces);
                default -> {
                    // name resolution, statistics, custom and other blocks carry no packets
                }
            }
            pos = end;
        }
    }

    private Interface readInterface(int body, int bodyEnd) throws CaptureFormatException {
        need(body, 8, "an interface description", bodyEnd);
        int linkType = in.getShort(body) & 0xFFFF;
        long snaplen = in.getInt(body + 4) & 0xFFFFFFFFL;
        long units = 1_000_000;
        long offset = 0;
        int p = body + 8;
        while (p + 4 <= bodyEnd) {
            int code = in.getShort(p) & 0xFFFF;
            int len = in.getShort(p + 2) & 0xFFFF;
            if (code == 0) {
                break;
            }
            need(p + 4, len, "an interface option", bodyEnd);
            if (code == IF_TSRESOL && len >= 1) {
                units = unitsPerSecond(in.get(p + 4), p);
            } else if (code == IF_TSOFFSET && len >= 8) {
                offset = in.getLong(p + 4);
            }
            p += 4 + pad4(len);
        }
        if (!isUsb(linkType)) {
            otherLinkTypes.add(linkType);
        }
        return new Interface(linkType, snaplen, units, offset);
    }

    private long unitsPerSecond(byte resolution, int p) throws CaptureFormatException {
        int v = resolution & 0x7F;
        if ((resolution & 0x80) == 0) {
            if (v > 18) {
                throw new CaptureFormatException(at(p) + "timestamp resolution 10^-" + v + " is not supported");
            }
            long u = 1;
            for (int i = 0; i < v; i++) {
                u *= 10;
            }
            return u;
        }
        if (v > 62) {
            throw new CaptureFormatException(at(p) + "timestamp resolution 2^-" + v + " is not supported");
        }
        return 1L << v;
    }

    private void readPacket(int type, int body, int bodyEnd, List<Interface> interfaces) throws CaptureFormatException {
        need(body, 20, "a packet block", bodyEnd);
        int iface = type == PCAPNG_EPB ? in.getInt(body) : in.getShort(body) & 0xFFFF;
        long ts = (in.getInt(body + 4) & 0xFFFFFFFFL) << 32 | (in.getInt(body + 8) & 0xFFFFFFFFL);
        long caplen = in.getInt(body + 12) & 0xFFFFFFFFL;
        long origlen = in.getInt(body + 16) & 0xFFFFFFFFL;
        packetNumber++;
        int data = body + 20;
        if (caplen > bodyEnd - data) {
            throw new CaptureFormatException(at(body - 8) + "packet " + packetNumber + " claims " + caplen
                    + " bytes, its block holds " + (bodyEnd - data));
        }
        Interface i = iface(interfaces, iface, body - 8);
        if (!isUsb(i.linkType)) {
            return;
        }
        String comment = comments(data + pad4((int) caplen), bodyEnd);
        records.add(decode(data, (int) caplen, origlen, i.linkType, micros(i, ts), comment));
    }

    private void readSimplePacket(int body, int bodyEnd, List<Interface> interfaces) throws CaptureFormatException {
        need(body, 4, "a simple packet block", bodyEnd);
        long origlen = in.getInt(body) & 0xFFFFFFFFL;
        packetNumber++;
        Interface i = iface(interfaces, 0, body - 8);
        long caplen = Math.min(origlen, bodyEnd - body - 4);
        if (i.snaplen > 0) {
            caplen = Math.min(caplen, i.snaplen);
        }
        if (isUsb(i.linkType)) {
            records.add(decode(body + 4, (int) caplen, origlen, i.linkType, 0, null));
        }
    }

    private Interface iface(List<Interface> interfaces, int index, int pos) throws CaptureFormatException {
        if (index < 0 || index >= interfaces.size()) {
            throw new CaptureFormatException(at(pos) + "packet " + packetNumber + " names interface " + index
                    + ", the section describes " + interfaces.size());
        }
        return interfaces.get(index);
    }

    private static long micros(Interface i, long ts) {
        long base = i.offsetSeconds * 1_000_000;
        if (i.unitsPerSecond == 1_000_000) {
            return base + ts;
        }
        if (i.unitsPerSecond > 1_000_000 && i.unitsPerSecond % 1_000_000 == 0) {
            return base + Long.divideUnsigned(ts, i.unitsPerSecond / 1_000_000);
        }
        return base + (long) (ts * (1_000_000.0 / i.unitsPerSecond));
    }

    private String comments(int p, int end) {
        StringBuilder s = null;
        while (p + 4 <= end) {
            int code = in.getShort(p) & 0xFFFF;
            int len = in.getShort(p + 2) & 0xFFFF;
            if (code == 0 || p + 4 + len > end) {
                break;
            }
            if (code == OPT_COMMENT) {
                byte[] text = new byte[len];
                in.get(p + 4, text);
                s = s == null ? new StringBuilder() : s.append('\n');
                s.append(new String(text, StandardCharsets.UTF_8));
            }
            p += 4 + pad4(len);
        }
        return s == null ? null : s.toString();
    }

    // ---- usbmon -------------------------------------------------------------------------------------

    private UsbmonRecord decode(int p, int caplen, long origlen, int linkType, long blockMicros, String comment)
            throws CaptureFormatException {
        int header = linkType == Usbmon.LINKTYPE_USB_LINUX_MMAPPED ? Usbmon.HEADER_LENGTH : Usbmon.LEGACY_HEADER_LENGTH;
        String where = "packet " + packetNumber + " (byte " + p + "): ";
        if (caplen < header) {
            throw new CaptureFormatException(
                    where + caplen + " bytes, shorter than the " + header + "-byte usbmon header");
        }
        long id = in.getLong(p);
        char type = (char) (in.get(p + 8) & 0xFF);
        if (type != Usbmon.SUBMIT && type != Usbmon.COMPLETE && type != Usbmon.ERROR) {
            throw new CaptureFormatException(
                    where + String.format("usbmon event type 0x%02X is not S, C or E", (int) type));
        }
        int xfer = in.get(p + 9) & 0xFF;
        if (xfer > 3) {
            throw new CaptureFormatException(where + "usbmon transfer type " + xfer + " is not 0..3");
        }
        int endpoint = in.get(p + 10) & 0xFF;
        int device = in.get(p + 11) & 0xFF;
        int bus = in.getShort(p + 12) & 0xFFFF;
        int flagSetup = in.get(p + 14) & 0xFF;
        long sec = in.getLong(p + 16);
        int usec = in.getInt(p + 24);
        int status = in.getInt(p + 28);
        long urbLength = in.getInt(p + 32) & 0xFFFFFFFFL;
        long lenCap = in.getInt(p + 36) & 0xFFFFFFFFL;
        byte[] setup = null;
        int errorCount = 0;
        long numdesc = 0;
        if (xfer == Usbmon.XFER_CONTROL && flagSetup == Usbmon.FLAG_PRESENT) {
            setup = new byte[8];
            in.get(p + 40, setup);
        } else if (xfer == Usbmon.XFER_ISOCHRONOUS) {
            errorCount = in.getInt(p + 40);
            numdesc = in.getInt(p + 44) & 0xFFFFFFFFL;
        }
        int interval = 0;
        int startFrame = 0;
        int flags = 0;
        if (header == Usbmon.HEADER_LENGTH) {
            interval = in.getInt(p + 48);
            startFrame = in.getInt(p + 52);
            flags = in.getInt(p + 56);
            numdesc = xfer == Usbmon.XFER_ISOCHRONOUS ? in.getInt(p + 60) & 0xFFFFFFFFL : 0;
        }
        int room = caplen - header;
        boolean truncated = origlen > caplen;
        long descs = numdesc;
        if (descs * Usbmon.ISO_DESCRIPTOR_LENGTH > room) {
            descs = room / Usbmon.ISO_DESCRIPTOR_LENGTH;
            truncated = true;
        }
        List<UsbmonRecord.IsoDescriptor> iso = new ArrayList<>((int) descs);
        int d = p + header;
        for (int k = 0; k < descs; k++, d += Usbmon.ISO_DESCRIPTOR_LENGTH) {
            iso.add(new UsbmonRecord.IsoDescriptor(in.getInt(d), in.getInt(d + 4), in.getInt(d + 8)));
        }
        long claimed = lenCap - numdesc * Usbmon.ISO_DESCRIPTOR_LENGTH;
        if (claimed < 0) {
            throw new CaptureFormatException(
                    where + "len_cap " + lenCap + " is less than its " + numdesc + " isochronous descriptors take");
        }
        int available = caplen - header - (int) descs * Usbmon.ISO_DESCRIPTOR_LENGTH;
        int dataLength = (int) Math.min(available, claimed);
        if (dataLength < claimed) {
            truncated = true;
        }
        byte[] data = new byte[dataLength];
        in.get(d, data);
        long micros = blockMicros != 0 ? blockMicros : sec * 1_000_000 + usec;
        return new UsbmonRecord(
                id,
                type,
                xfer,
                endpoint,
                device,
                bus,
                setup,
                micros,
                status,
                (int) Math.min(urbLength, Integer.MAX_VALUE),
                (int) Math.min(claimed, Integer.MAX_VALUE),
                interval,
                startFrame,
                flags,
                errorCount,
                iso,
                data,
                truncated,
                comment);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private static boolean isUsb(int linkType) {
        return linkType == Usbmon.LINKTYPE_USB_LINUX_MMAPPED || linkType == Usbmon.LINKTYPE_USB_LINUX;
    }

    private static int pad4(int n) {
        return (n + 3) & ~3;
    }

    private void need(int pos, long n, String what) throws CaptureFormatException {
        need(pos, n, what, in.limit());
    }

    private void need(int pos, long n, String what, int end) throws CaptureFormatException {
        if (n < 0 || pos < 0 || pos + n > end) {
            throw new CaptureFormatException(at(pos) + what + " needs " + n + " bytes, " + Math.max(0, end - pos)
                    + " are left" + (end == in.limit() ? " (cut short?)" : ""));
        }
    }

    private static String at(int pos) {
        return "at byte " + pos + ": ";
    }
}
