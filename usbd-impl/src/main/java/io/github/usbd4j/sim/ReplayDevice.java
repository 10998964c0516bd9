package io.github.usbd4j.sim;

import io.github.usbd4j.capture.CaptureReader;
import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.capture.UsbmonRecord;
import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device rebuilt from a usbmon capture (pcap or pcapng, Wireshark's or tcpdump's capture of a
 * {@code usbmonN} interface, or a usbd4j {@code CaptureTap} file): run a driver against a device that is
 * not on the desk.
 *
 * <ul>
 *   <li>It enumerates with the captured descriptors: the device descriptor and every configuration
 *       descriptor the capture shows whole (so the capture must include the device's enumeration: start
 *       capturing, then plug it in), and the string descriptors the host read.
 *   <li>It answers every class, vendor and non-standard request the way the captured device answered the
 *       same request (same {@code bmRequestType}, {@code bRequest}, {@code wValue}, {@code wIndex}), in
 *       order when it was asked several times; a request the capture never saw stalls, and is logged and
 *       listed by {@link #unansweredRequests()}.
 *   <li>It replays isochronous, interrupt and bulk IN data packet by packet, with the captured lengths and
 *       statuses ({@code -EXDEV} a missed packet, {@code -EILSEQ} a CRC error, {@code -EOVERFLOW} babble...;
 *       a short packet is replayed short and the host judges it), once or in a loop. A packet the capture
 *       kept only in part (taken with a snap length) replays with the bytes it kept, and building the
 *       replay logs how many there are. Interrupt IN completions keep their captured spacing.
 *   <li>It accepts OUT data on every OUT endpoint and keeps the first {@link #OUT_BYTES_KEPT} bytes of
 *       each ({@link #receivedOut(int)}).
 * </ul>
 *
 * <p>The capture does not record the bus speed; it is taken as high speed when the descriptors need it
 * (an endpoint of more than 1023 bytes or with high-bandwidth bits, a bulk endpoint of 512 bytes), else
 * full speed, unless {@link Builder#speed} says.
 */
public final class ReplayDevice extends DeviceModel {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayDevice.class);

    /** OUT bytes kept per endpoint for {@link #receivedOut(int)}. */
    public static final int OUT_BYTES_KEPT = 16 << 20;

    /** Distinct unanswered requests {@link #unansweredRequests()} lists at most. */
    public static final int UNANSWERED_LISTED = 100;

    /** One captured IN packet: its bytes, and the status the host saw. */
    @SuppressWarnings("ArrayRecordComponent") // private; its bytes are read, the record never compared
    private record Packet(byte[] data, PacketStatus status, long micros) {}

    /** One captured control transfer: the request, and the device's answer. */
    @SuppressWarnings("ArrayRecordComponent") // private; its bytes are read, the record never compared
    private record Answer(byte[] data, boolean stall) {}

    private final String source;
    private final int bus;
    private final int address;
    private final UsbSpeed speed;
    private final byte[] deviceDescriptor;
    private final List<byte[]> configurations;
    private final Map<Integer, String> strings;
    private final Map<Long, List<Answer>> answers;
    private final Map<Integer, List<Packet>> inPackets;
    private final boolean loop;
    /** Isochronous IN packets asked for after the capture's data ran out (played once); written by the bus thread. */
    private final AtomicLong emptyPastTheEnd = new AtomicLong();

    private final Map<Long, Integer> answerCursor = new HashMap<>();
    private final Map<Integer, Handler> handlers = new HashMap<>();
    private final Map<Integer, ByteArrayOutputStream> out = new TreeMap<>();
    private final List<String> unanswered = new ArrayList<>();
    /** Stalled requests not in {@link #unanswered} once it holds {@link #UNANSWERED_LISTED} (a bound on memory). */
    private long unlistedStalls;

    private final String cutShort;

    private ReplayDevice(Builder b, Selected s, String cutShort) {
        this.source = b.source;
        this.cutShort = cutShort;
        this.bus = s.bus;
        this.address = s.address;
        this.deviceDescriptor = s.deviceDescriptor;
        this.configurations = s.configurations;
        this.strings = s.strings;
        this.answers = s.answers;
        this.inPackets = s.inPackets;
        this.loop = b.loop;
        this.speed = b.speed != null ? b.speed : guessSpeed(configurations);
    }

    /**
     * A replay of the one device a capture enumerates (hubs aside), played once.
     *
     * @param capture the capture file
     * @return the device
     * @throws IOException if the file cannot be read, is not a usbmon capture, or does not enumerate
     *     exactly one device
     */
    public static ReplayDevice fromCapture(Path capture) throws IOException {
        return builder(capture).build();
    }

    /**
     * A builder for a replay of {@code capture}.
     *
     * @param capture the capture file
     * @return the builder
     */
    public static Builder builder(Path capture) {
        return new Builder(Objects.requireNonNull(capture, "capture"));
    }

    /** Builds a {@link ReplayDevice}. */
    public static final class Builder {
        private final Path file;
        private final String source;
        private int bus = -1;
        private int address = -1;
        private boolean loop;
        private UsbSpeed speed;

        private Builder(Path file) {
            this.file = file;
            this.source = file.toString();
        }

        /**
         * Chooses the device when the capture enumerates several.
         *
         * @param bus the usbmon bus number
         * @param address the device address on that bus
         * @return this
         */
        public Builder device(int bus, int address) {
            this.bus = bus;
            this.address = address;
            return this;
        }

        /**
         * Plays the IN data again from the start when it runs out (default: once, then isochronous
         * packets are empty and bulk and interrupt endpoints NAK).
         *
         * @param loop whether to loop
         * @return this
         */
        public Builder loop(boolean loop) {
            this.loop = loop;
            return this;
        }

        /**
         * The speed to attach the device at, instead of the one guessed from its descriptors.
         *
         * @param speed {@link UsbSpeed#FULL} or {@link UsbSpeed#HIGH}
         * @return this
         */
        public Builder speed(UsbSpeed speed) {
            this.speed = Objects.requireNonNull(speed, "speed");
            return this;
        }

        /**
         * Reads the capture and builds the device.
         *
         * @return the device
         * @throws IOException if the file cannot be read, is not a usbmon capture, or does not show the
         *     device's descriptors
         */
        public ReplayDevice build() throws IOException {
            CaptureReader.Capture capture = CaptureReader.readCapture(file);
            if (capture.isCutShort()) {
                LOG.warn("{}: {}", source, capture.cutShort());
            }
            Selected s = select(capture.records(), bus, address, source);
            if (s.incomplete > 0) {
                LOG.warn(
                        "{}: {} IN packet(s) of device {}.{} hold fewer bytes than their recorded length (captured with"
                                + " a snap length?); they replay with the bytes the capture kept",
                        source,
                        s.incomplete,
                        s.bus,
                        s.address);
            }
            return new ReplayDevice(this, s, capture.cutShort());
        }
    }

    // ---- what the capture shows ---------------------------------------------------------------------

    /** The device chosen from a capture, and everything the capture shows of it. */
    private static final class Selected {
        int bus;
        int address;
        byte[] deviceDescriptor;
        List<byte[]> configurations = new ArrayList<>();
        Map<Integer, String> strings = new TreeMap<>();
        Map<Long, List<Answer>> answers = new HashMap<>();
        Map<Integer, List<Packet>> inPackets = new TreeMap<>();
        /** IN packets whose bytes the capture holds only in part (a snap length cut the record). */
        int incomplete;
    }

    /** A captured transfer: its submission and its completion. */
    private record Transaction(UsbmonRecord submit, UsbmonRecord complete) {}

    private static Selected select(List<UsbmonRecord> records, int bus, int address, String source) throws IOException {
        Map<Integer, List<Transaction>> byDevice = new LinkedHashMap<>();
        Map<String, UsbmonRecord> open = new HashMap<>();
        for (UsbmonRecord r : records) {
            String key = r.bus() + "." + r.device() + ":" + r.urbId();
            if (r.type() == Usbmon.SUBMIT) {
                open.put(key, r);
            } else {
                UsbmonRecord s = open.remove(key);
                if (s != null && r.type() == Usbmon.COMPLETE) {
                    byDevice.computeIfAbsent(r.bus() << 8 | r.device(), k -> new ArrayList<>())
                            .add(new Transaction(s, r));
                }
            }
        }
        Map<Integer, byte[]> deviceDescriptors = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Transaction>> e : byDevice.entrySet()) {
            for (Transaction t : e.getValue()) {
                byte[] dd = descriptorAnswer(t, Usb100.USB_DEVICE_DESCRIPTOR_TYPE);
                if (dd != null && dd.length >= 18 && (dd[0] & 0xFF) == 18) {
                    deviceDescriptors.put(e.getKey(), java.util.Arrays.copyOf(dd, 18));
                }
            }
        }
        int chosen;
        if (bus >= 0) {
            chosen = bus << 8 | address;
            if (!deviceDescriptors.containsKey(chosen)) {
                throw new IOException(source + ": the capture shows no device descriptor of device " + bus + "."
                        + address + "; it enumerates " + describe(deviceDescriptors));
            }
        } else {
            List<Integer> candidates = new ArrayList<>();
            for (Map.Entry<Integer, byte[]> e : deviceDescriptors.entrySet()) {
                // hubs (root hubs too) are not what one replays, and address 0 is every device's first
                // request during enumeration, before SET_ADDRESS
                if ((e.getValue()[4] & 0xFF) != 9 && (e.getKey() & 0xFF) != 0) {
                    candidates.add(e.getKey());
                }
            }
            if (candidates.size() != 1) {
                throw new IOException(source + ": "
                        + (candidates.isEmpty()
                                ? "the capture holds no device's enumeration (no GET_DESCRIPTOR of a device"
                                        + " descriptor): start the capture, then plug the device in"
                                : "the capture enumerates several devices: " + describe(deviceDescriptors)
                                        + "; choose one by bus and address"));
            }
            chosen = candidates.get(0);
        }
        try {
            Descriptors.parseDevice(deviceDescriptors.get(chosen));
        } catch (DescriptorException e) {
            throw new IOException(source + ": the device descriptor of device " + (chosen >>> 8) + "." + (chosen & 0xFF)
                    + " is malformed: " + e.getMessage());
        }
        Selected s = new Selected();
        s.bus = chosen >>> 8;
        s.address = chosen & 0xFF;
        s.deviceDescriptor = deviceDescriptors.get(chosen);
        List<Transaction> mine = byDevice.get(chosen);
        Map<Integer, byte[]> configs = new TreeMap<>();
        for (Transaction t : mine) {
            UsbmonRecord c = t.complete();
            int ep = c.endpoint() & 0x8F;
            if ((ep & 0x0F) == 0) {
                control(s, t, configs);
            } else if ((ep & 0x80) != 0) {
                inPackets(s, t);
            }
        }
        int count = s.deviceDescriptor[17] & 0xFF;
        for (int i = 0; i < count; i++) {
            byte[] c = configs.get(i);
            if (c == null) {
                throw new IOException(source + ": the capture does not hold configuration descriptor " + i
                        + " of device " + s.bus + "." + s.address + " whole (capture the device's enumeration)");
            }
            try {
                Descriptors.parseConfiguration(c);
            } catch (DescriptorException e) {
                throw new IOException(source + ": configuration descriptor " + i + " of device " + s.bus + "."
                        + s.address + " is malformed: " + e.getMessage());
            }
            s.configurations.add(c);
        }
        if (s.configurations.isEmpty()) {
            throw new IOException(source + ": device " + s.bus + "." + s.address + " has no configuration");
        }
        return s;
    }

    private static String describe(Map<Integer, byte[]> deviceDescriptors) {
        if (deviceDescriptors.isEmpty()) {
            return "no device";
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<Integer, byte[]> e : deviceDescriptors.entrySet()) {
            byte[] d = e.getValue();
            out.add(String.format(
                    Locale.ROOT,
                    "%d.%d (%04x:%04x%s)",
                    e.getKey() >>> 8,
                    e.getKey() & 0xFF,
                    (d[8] & 0xFF) | (d[9] & 0xFF) << 8,
                    (d[10] & 0xFF) | (d[11] & 0xFF) << 8,
                    (d[4] & 0xFF) == 9 ? ", a hub" : (e.getKey() & 0xFF) == 0 ? ", not yet addressed" : ""));
        }
        return String.join(", ", out);
    }

    /** The data of a successful standard GET_DESCRIPTOR(type) to the device, else {@code null}. */
    private static byte[] descriptorAnswer(Transaction t, int type) {
        byte[] setup = t.submit().setup();
        if (setup == null
                || (setup[0] & 0xFF) != 0x80
                || setup[1] != Usb100.USB_REQUEST_GET_DESCRIPTOR
                || (setup[3] & 0xFF) != type
                || t.complete().status() != 0) {
            return null;
        }
        return t.complete().data();
    }

    private static void control(Selected s, Transaction t, Map<Integer, byte[]> configs) {
        byte[] setup = t.submit().setup();
        if (setup == null) {
            return;
        }
        UsbmonRecord c = t.complete();
        byte[] config = descriptorAnswer(t, Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE);
        if (config != null && config.length >= 9) {
            int total = (config[2] & 0xFF) | (config[3] & 0xFF) << 8;
            if (config.length >= total) {
                configs.put(setup[2] & 0xFF, java.util.Arrays.copyOf(config, total));
            }
            return;
        }
        byte[] string = descriptorAnswer(t, Usb100.USB_STRING_DESCRIPTOR_TYPE);
        if (string != null) {
            if ((setup[2] & 0xFF) != 0 && string.length >= 2) {
                int n = Math.min(string.length, string[0] & 0xFF);
                if (n >= 2 && (n & 1) == 0) {
                    s.strings.put(setup[2] & 0xFF, new String(string, 2, n - 2, StandardCharsets.UTF_16LE));
                }
            }
            return;
        }
        boolean stall = c.status() != 0;
        s.answers
                .computeIfAbsent(requestKey(setup), k -> new ArrayList<>())
                .add(new Answer(c.isIn() ? c.data() : new byte[0], stall));
    }

    private static void inPackets(Selected s, Transaction t) {
        UsbmonRecord c = t.complete();
        List<Packet> packets = s.inPackets.computeIfAbsent(c.endpoint() & 0x8F, k -> new ArrayList<>());
        boolean cut = neverRan(c.status());
        if (c.xferType() == Usbmon.XFER_ISOCHRONOUS) {
            for (int k = 0; k < c.iso().size(); k++) {
                UsbmonRecord.IsoDescriptor d = c.iso().get(k);
                if (neverRan(d.status()) || (cut && d.status() == Usbmon.EXDEV)) {
                    continue; // the transfer was cancelled or its device left before this packet's frame
                }
                byte[] data = c.isoPacketData(k);
                if (data == null) {
                    data = keptPart(c, d);
                    s.incomplete++;
                }
                packets.add(new Packet(data, replayStatus(d.status()), c.timestampMicros()));
            }
        } else if (!cut) {
            if (c.isTruncated()) {
                s.incomplete++;
            }
            packets.add(new Packet(c.data(), replayStatus(c.status()), c.timestampMicros()));
        }
    }

    /**
     * The part of an isochronous packet the record kept when it does not hold all its bytes (a snap length
     * cut the record, or a descriptor points past its data): the packet replays with its recorded status and
     * those bytes, not as an empty packet.
     */
    private static byte[] keptPart(UsbmonRecord c, UsbmonRecord.IsoDescriptor d) {
        long end = Math.min((long) d.offset() + Math.max(0, d.length()), c.capturedDataLength());
        return d.offset() < 0 || d.offset() >= end
                ? new byte[0]
                : java.util.Arrays.copyOfRange(c.data(), d.offset(), (int) end);
    }

    private static boolean neverRan(int errno) {
        return errno == Usbmon.ECONNRESET
                || errno == Usbmon.ENOENT
                || errno == Usbmon.ESHUTDOWN
                || errno == Usbmon.ENODEV;
    }

    /** How a captured status replays: host-side judgments (a short packet the host rejected) become OK. */
    private static PacketStatus replayStatus(int errno) {
        return errno == Usbmon.EREMOTEIO ? PacketStatus.OK : Usbmon.packetStatus(errno);
    }

    private static long requestKey(byte[] setup) {
        return (setup[0] & 0xFFL) << 40
                | (setup[1] & 0xFFL) << 32
                | (setup[2] & 0xFFL) << 24
                | (setup[3] & 0xFFL) << 16
                | (setup[4] & 0xFFL) << 8
                | (setup[5] & 0xFFL);
    }

    private static UsbSpeed guessSpeed(List<byte[]> configurations) {
        for (byte[] c : configurations) {
            int pos = 0;
            while (pos + 2 <= c.length && (c[pos] & 0xFF) >= 2) {
                int len = c[pos] & 0xFF;
                if ((c[pos + 1] & 0xFF) == Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE && len >= 7 && pos + 7 <= c.length) {
                    int type = c[pos + 3] & 3;
                    int mps = (c[pos + 4] & 0xFF) | (c[pos + 5] & 0xFF) << 8;
                    if ((mps & 0x1800) != 0 || (mps & 0x7FF) > 1023 || (type == 2 && (mps & 0x7FF) == 512)) {
                        return UsbSpeed.HIGH;
                    }
                }
                pos += len;
            }
        }
        return UsbSpeed.FULL;
    }

    // ---- DeviceModel ----------------------------------------------------------------------------------

    /** Where the capture came from. */
    public String source() {
        return source;
    }

    /**
     * What the capture lost at its end, when its last packet was cut short (see
     * {@link CaptureReader.Capture#cutShort()}): the device replays what came before it.
     *
     * @return where the capture file was cut short, or {@code null} if it ends on a whole packet
     */
    public String captureCutShort() {
        return cutShort;
    }

    /** The captured device's bus number. */
    public int capturedBus() {
        return bus;
    }

    /** The captured device's address. */
    public int capturedAddress() {
        return address;
    }

    /**
     * The IN packets the capture holds for an endpoint.
     *
     * @param endpointAddress the endpoint, 0x80 set
     * @return the number of packets (isochronous) or transfers (bulk, interrupt)
     */
    public int capturedInPackets(int endpointAddress) {
        List<Packet> p = inPackets.get(endpointAddress & 0x8F);
        return p == null ? 0 : p.size();
    }

    /**
     * The bytes of the captured IN packets of an endpoint, in order (what a driver that reads every packet
     * whole receives).
     *
     * @param endpointAddress the endpoint, 0x80 set
     * @return the bytes
     */
    public byte[] capturedInData(int endpointAddress) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Packet p : inPackets.getOrDefault(endpointAddress & 0x8F, List.of())) {
            b.writeBytes(p.data());
        }
        return b.toByteArray();
    }

    /**
     * The OUT bytes received on an endpoint so far (at most {@link #OUT_BYTES_KEPT}).
     *
     * @param endpointAddress the endpoint
     * @return the bytes
     */
    public synchronized byte[] receivedOut(int endpointAddress) {
        ByteArrayOutputStream b = out.get(endpointAddress & 0x0F);
        return b == null ? new byte[0] : b.toByteArray();
    }

    /**
     * The requests the capture never saw, as the driver sent them (each stalled), each once and at most the first
     * {@value #UNANSWERED_LISTED} of them ({@link #unlistedUnansweredRequests()} counts the rest); empty when all were
     * answered.
     */
    public synchronized List<String> unansweredRequests() {
        return List.copyOf(unanswered);
    }

    /**
     * How many requests the capture never saw were stalled without a place in {@link #unansweredRequests()}, once
     * that list was full: each time one was sent, repeats included; 0 when the list holds them all.
     */
    public synchronized long unlistedUnansweredRequests() {
        return unlistedStalls;
    }

    /**
     * How many isochronous IN packets the host asked for after the capture's IN data ran out, played once: each was
     * answered empty (0 bytes, no error), as a device with nothing to send does. A run that reads past the capture's
     * end is told here, since its packets themselves look like a quiet device's. Always 0 when looping.
     */
    public long isochronousPacketsPastTheEnd() {
        return emptyPastTheEnd.get();
    }

    @Override
    public UsbSpeed speed() {
        return speed;
    }

    @Override
    public UsbDeviceDescriptor deviceDescriptor() {
        try {
            return Descriptors.parseDevice(deviceDescriptor);
        } catch (DescriptorException e) {
            throw new IllegalStateException("checked when the replay was built", e);
        }
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        List<byte[]> copies = new ArrayList<>();
        for (byte[] c : configurations) {
            copies.add(c.clone());
        }
        return copies;
    }

    @Override
    public String string(int index) {
        return strings.get(index);
    }

    @Override
    public synchronized ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
        byte[] s = setup.toBytes();
        long key = requestKey(s);
        List<Answer> list = answers.get(key);
        if (list == null) {
            String what = String.format(
                    Locale.ROOT,
                    "bmRequestType 0x%02X bRequest 0x%02X wValue 0x%04X wIndex 0x%04X wLength %d",
                    setup.bmRequestType(),
                    setup.bRequest(),
                    setup.wValue(),
                    setup.wIndex(),
                    setup.wLength());
            if (!unanswered.contains(what)) {
                if (unanswered.size() < UNANSWERED_LISTED) {
                    unanswered.add(what);
                    LOG.warn("Replay of {}: the capture never saw the request {}; it stalls", source, what);
                } else {
                    unlistedStalls++;
                }
            }
            return ControlResponse.stall();
        }
        int i = answerCursor.getOrDefault(key, 0);
        Answer a = list.get(Math.min(i, list.size() - 1));
        answerCursor.put(key, i + 1);
        if (a.stall()) {
            return ControlResponse.stall();
        }
        return setup.isDeviceToHost() ? ControlResponse.data(a.data()) : ControlResponse.ack();
    }

    @Override
    public synchronized EndpointHandler endpoint(int address) {
        return handlers.computeIfAbsent(address, a -> new Handler(a, inPackets.getOrDefault(a & 0x8F, List.of())));
    }

    /** Replays one endpoint: IN packets in captured order, OUT bytes kept. */
    private final class Handler implements EndpointHandler {
        private final int address;
        private final List<Packet> packets;
        private int next;
        /** Bulk and interrupt: bytes of the current captured transfer already sent. */
        private int sent;

        private PacketStatus status = PacketStatus.OK;
        private long firstFrame = -1;

        Handler(int address, List<Packet> packets) {
            this.address = address;
            this.packets = packets;
        }

        @Override
        public void out(long frame, int microframe, ByteBuffer data) {
            synchronized (ReplayDevice.this) {
                ByteArrayOutputStream b =
                        ReplayDevice.this.out.computeIfAbsent(address & 0x0F, k -> new ByteArrayOutputStream());
                int n = Math.min(data.remaining(), OUT_BYTES_KEPT - b.size());
                byte[] chunk = new byte[Math.max(0, n)];
                data.get(data.position(), chunk);
                b.writeBytes(chunk);
            }
        }

        @Override
        public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
            status = PacketStatus.OK;
            if (next >= packets.size()) {
                if (!loop || packets.isEmpty()) {
                    if (isochronous()) {
                        emptyPastTheEnd.incrementAndGet();
                        return 0;
                    }
                    return NAK;
                }
                next = 0;
                firstFrame = -1;
            }
            Packet p = packets.get(next);
            if (isochronous()) {
                next++;
                status = p.status();
                dest.put(p.data(), 0, Math.min(p.data().length, maxLength));
                return p.data().length;
            }
            if (!due(p, frame)) {
                return NAK;
            }
            int n = Math.min(maxLength, p.data().length - sent);
            dest.put(p.data(), sent, n);
            sent += n;
            if (sent >= p.data().length && (n < maxLength || sent == 0 || p.status() != PacketStatus.OK)) {
                // the transfer's last packet (short, or carrying its status): the next one starts fresh
                status = p.status();
                next++;
                sent = 0;
            } else if (sent >= p.data().length) {
                next++;
                sent = 0;
            }
            return n;
        }

        /** Interrupt completions keep their captured spacing; bulk ones come at once. */
        private boolean due(Packet p, long frame) {
            if (!interrupt()) {
                return true;
            }
            Packet first = packets.get(0);
            if (firstFrame < 0) {
                firstFrame = frame;
            }
            return frame - firstFrame >= (p.micros() - first.micros()) / 1000;
        }

        private boolean isochronous() {
            return type() == 1;
        }

        private boolean interrupt() {
            return type() == 3;
        }

        private int type() {
            for (byte[] c : configurations) {
                int pos = 0;
                while (pos + 2 <= c.length && (c[pos] & 0xFF) >= 2) {
                    if ((c[pos + 1] & 0xFF) == Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE
                            && pos + 4 <= c.length
                            && (c[pos + 2] & 0xFF) == address) {
                        return c[pos + 3] & 3;
                    }
                    pos += c[pos] & 0xFF;
                }
            }
            return 2;
        }

        @Override
        public PacketStatus inStatus() {
            return status;
        }
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "ReplayDevice[%s, device %d.%d %04x:%04x]",
                source,
                bus,
                address,
                (deviceDescriptor[8] & 0xFF) | (deviceDescriptor[9] & 0xFF) << 8,
                (deviceDescriptor[10] & 0xFF) | (deviceDescriptor[11] & 0xFF) << 8);
    }
}
