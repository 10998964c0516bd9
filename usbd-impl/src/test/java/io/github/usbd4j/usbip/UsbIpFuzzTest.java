package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.UvcCamera;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzzer of USB/IP messages against a running server: random bytes and mutated handshakes, and,
 * after real imports, mutated CMD_SUBMIT / CMD_UNLINK streams with hostile lengths, packet counts, iso
 * descriptors, seqnums, directions, endpoints and devids, truncated or padded, from peers that read
 * their replies, read none, or vanish. Afterwards nothing of the server may have failed, no connection
 * and no buffered byte may be left, the heap must be back near where it was, a legitimate client must
 * import and stream, and closing the server must leave no thread behind.
 *
 * <p>Fixed seeds, {@value #DEFAULT_SECONDS} s in all; {@code -Dusbd4j.fuzz.seconds=600} runs longer, and
 * {@code -Dusbd4j.fuzz.seed=N} runs one other seed. It prints how many cases it tried.
 */
class UsbIpFuzzTest {
    private static final int DEFAULT_SECONDS = 4;
    private static final long[] SEEDS = {0x5EED_0001L, 0x5EED_0002L, 0x5EED_0003L, 0x5EED_0004L};
    private static final String[] BUS_IDS = {"1-1", "1-2", "1-3", "1-4"};

    /** The heap the server may keep after the run, beyond where it started. */
    private static final long HEAP_BOUND = 16L << 20;

    private static final int MAX_URBS = 32;
    private static final long MAX_BYTES = 1L << 20;
    private static final int MAX_LENGTH = 256 * 1024;
    private static final int MAX_PACKETS = 256;
    private static final int MAX_CONNECTIONS = 4;

    private static final InetAddress LOCALHOST = InetAddress.getLoopbackAddress();

    private SimulatedHostController sim;
    private UsbIpServer server;

    @Test
    @SuppressWarnings("EnumOrdinal") // counts per scenario, indexed by ordinal
    void randomAndMutatedMessagesLeaveTheServerWorkingAndBounded() throws Exception {
        long seconds = Long.getLong("usbd4j.fuzz.seconds", DEFAULT_SECONDS);
        Long oneSeed = Long.getLong("usbd4j.fuzz.seed");
        long[] seeds = oneSeed != null ? new long[] {oneSeed} : SEEDS;
        java.util.Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
        List<Throwable> uncaught = new ArrayList<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            synchronized (uncaught) {
                uncaught.add(e);
            }
        });
        sim = SimulatedHostController.builder().speed(UsbSpeed.HIGH).build();
        sim.start(NoRuntime.LISTENER);
        long[] counts = new long[Scenario.values().length];
        long[] nanos = new long[Scenario.values().length];
        try (LogCapture log = new LogCapture()) {
            server = UsbIpServer.builder(sim)
                    .attach(BUS_IDS[0], LoopbackDevice.fullSpeed())
                    .attach(BUS_IDS[1], new Uac1Microphone())
                    .attach(BUS_IDS[2], LoopbackDevice.highSpeed())
                    .attach(BUS_IDS[3], new UvcCamera())
                    .port(0)
                    .maxConnections(MAX_CONNECTIONS)
                    .maxHandshakesPerAddress(2)
                    .maxUrbsInFlight(MAX_URBS)
                    .maxBytesInFlight(MAX_BYTES)
                    .maxTransferBufferLength(MAX_LENGTH)
                    .maxIsoPackets(MAX_PACKETS)
                    .handshakeTimeout(Duration.ofSeconds(2))
                    .idleTimeout(Duration.ofSeconds(1))
                    .writeTimeout(Duration.ofSeconds(1))
                    .build()
                    .start();
            long baseline = LegitimateClient.usedHeapAfterGc();
            long perSeed = TimeUnit.SECONDS.toNanos(seconds) / seeds.length;
            long maxBuffered = 0;
            long messages = 0;
            // the bus runs on its own, 32 frames per millisecond, so that URBs complete while a peer writes
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            long busEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 30);
            Thread bus = new Thread(
                    () -> {
                        while (!stop.get() && System.nanoTime() < busEnd) {
                            sim.advanceFrames(32);
                            LockSupport.parkNanos(1_000_000);
                        }
                    },
                    "fuzz-bus");
            bus.start();
            long t0 = System.nanoTime();
            for (long seed : seeds) {
                Fuzzer f = new Fuzzer(new Random(seed));
                long end = System.nanoTime() + perSeed;
                while (System.nanoTime() < end) {
                    long c0 = System.nanoTime();
                    Scenario s = f.runCase();
                    counts[s.ordinal()]++;
                    nanos[s.ordinal()] += System.nanoTime() - c0;
                    long buffered = server.bufferedBytes();
                    maxBuffered = Math.max(maxBuffered, buffered);
                    assertThat(buffered)
                            .as("bytes the connections hold")
                            .isLessThanOrEqualTo(MAX_CONNECTIONS * (MAX_BYTES + MAX_LENGTH + MAX_PACKETS * 64L));
                }
                f.closeAll();
                messages += f.messages;
                maxBuffered = Math.max(maxBuffered, f.maxBuffered);
            }
            long elapsed = System.nanoTime() - t0;
            stop.set(true);
            bus.join(10_000);
            long cases = java.util.Arrays.stream(counts).sum();
            System.out.printf(
                    "USB/IP fuzzer: %d cases (%d URB-phase messages) in %.1f s (%.0f cases/s), seeds %s: %s;"
                            + " at most %d KiB buffered%n",
                    cases,
                    messages,
                    elapsed / 1e9,
                    cases / (elapsed / 1e9),
                    java.util.Arrays.toString(seeds),
                    describe(counts, nanos),
                    maxBuffered >> 10);

            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
            assertThat(server.bufferedBytes()).isZero();
            long after = LegitimateClient.usedHeapAfterGc();
            System.out.printf(
                    "USB/IP fuzzer: heap after GC %d KiB before, %d KiB after%n", baseline >> 10, after >> 10);
            assertThat(after - baseline).as("heap kept by the server").isLessThan(HEAP_BOUND);
            LegitimateClient.importAndStream(sim, server.port());
            assertThat(server.peerLog().failures())
                    .as("failures of the server itself: %s", log.errors())
                    .isZero();
            assertThat(log.errors()).isEmpty();
        } finally {
            if (server != null) {
                server.close();
            }
            sim.close();
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        assertThat(uncaught).as("exceptions that escaped a thread").isEmpty();
        assertThat(usbipThreads()).as("server threads after close()").isEmpty();
        List<String> left = newThreads(threadsBefore);
        for (int i = 0; i < 500 && !left.isEmpty(); i++) { // 10 s at most
            Thread.sleep(20);
            left = newThreads(threadsBefore);
        }
        assertThat(left).as("threads left").isEmpty();
    }

    @SuppressWarnings("EnumOrdinal") // counts per scenario, indexed by ordinal
    private static String describe(long[] counts, long[] nanos) {
        StringBuilder b = new StringBuilder();
        for (Scenario s : Scenario.values()) {
            b.append(b.length() == 0 ? "" : ", ")
                    .append(s.name().toLowerCase(java.util.Locale.ROOT))
                    .append(' ')
                    .append(counts[s.ordinal()])
                    .append(String.format(java.util.Locale.ROOT, " (%.0f ms)", nanos[s.ordinal()] / 1e6));
        }
        return b.toString();
    }

    private static List<String> newThreads(java.util.Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t))
                .map(Thread::getName)
                .toList();
    }

    private static List<String> usbipThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(n -> n.startsWith("usbip-"))
                .toList();
    }

    enum Scenario {
        /** Random bytes instead of a handshake. */
        GARBAGE,
        /** A device list or import request, mutated. */
        HANDSHAKE,
        /** A valid import, then mutated URB-phase messages; the replies are read. */
        URBS,
        /** The same, from a peer that never reads a reply. */
        URBS_UNREAD,
        /** A connection left open without a word (it must be timed out or evicted). */
        IDLE
    }

    /** One random stream of cases; keeps up to three idle connections around. */
    private final class Fuzzer {
        private final Random r;
        /** USB/IP messages sent in the URB phase. */
        long messages;
        /** The most the connections held at once (their in-flight budgets), sampled after each message. */
        long maxBuffered;

        private final Deque<Socket> idle = new ArrayDeque<>();

        Fuzzer(Random r) {
            this.r = r;
        }

        Scenario runCase() throws Exception {
            int p = r.nextInt(100);
            Scenario s = p < 10
                    ? Scenario.GARBAGE
                    : p < 25
                            ? Scenario.HANDSHAKE
                            : p < 80 ? Scenario.URBS : p < 95 ? Scenario.URBS_UNREAD : Scenario.IDLE;
            if (s == Scenario.IDLE) {
                idle.addLast(connect());
                if (idle.size() > 3) {
                    idle.removeFirst().close();
                }
                return s;
            }
            Socket socket = connect();
            Thread drain = null;
            try {
                OutputStream out = socket.getOutputStream();
                drain = s == Scenario.URBS_UNREAD ? null : drain(socket.getInputStream());
                switch (s) {
                    case GARBAGE -> out.write(bytes(r.nextInt(200)));
                    case HANDSHAKE -> out.write(mutate(handshake()));
                    default -> urbPhase(out);
                }
                out.flush();
                if (r.nextInt(4) == 0) {
                    socket.setSoLinger(true, 0); // vanish with a reset
                }
            } catch (IOException e) {
                // the server closed it: one of the answers a hostile peer may get
            } finally {
                socket.close();
            }
            if (drain != null) {
                drain.join(2000);
            }
            return s;
        }

        private Socket connect() throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(LOCALHOST, server.port()), 2000);
            s.setSoTimeout(2000);
            return s;
        }

        private void urbPhase(OutputStream out) throws IOException, InterruptedException {
            // a device no earlier case still holds (one stuck at its limit lingers until its idle timeout)
            String busId = BUS_IDS[r.nextInt(BUS_IDS.length)];
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (server.find(busId).isImported() && System.nanoTime() < wait) {
                List<String> free = java.util.Arrays.stream(BUS_IDS)
                        .filter(b -> !server.find(b).isImported())
                        .toList();
                if (!free.isEmpty()) {
                    busId = free.get(r.nextInt(free.size()));
                } else {
                    Thread.sleep(1);
                }
            }
            ExportedDevice d = server.find(busId);
            out.write(importRequest(busId));
            out.flush();
            int devid = d.devid();
            int count = 1 + r.nextInt(24);
            int[] recent = new int[8];
            for (int m = 0; m < count; m++) {
                byte[] message = urbMessage(devid, recent, m);
                messages++;
                out.write(r.nextInt(8) == 0 ? mutate(message) : message);
                if (r.nextBoolean()) {
                    out.flush();
                }
                maxBuffered = Math.max(maxBuffered, server.bufferedBytes());
            }
            out.flush();
            if (r.nextBoolean()) {
                Thread.sleep(r.nextInt(3)); // let some of it complete before the peer goes
            }
        }

        /** A CMD_SUBMIT or CMD_UNLINK, near-valid with hostile fields here and there. */
        private byte[] urbMessage(int devid, int[] recent, int m) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream o = new DataOutputStream(bytes);
            int seqnum = r.nextInt(4) == 0 ? recent[r.nextInt(recent.length)] : r.nextInt(4) == 0 ? r.nextInt() : m + 1;
            recent[m % recent.length] = seqnum;
            int command = r.nextInt(50) == 0 ? r.nextInt(8) : r.nextInt(5) == 0 ? 2 : 1;
            o.writeInt(command);
            o.writeInt(seqnum);
            o.writeInt(r.nextInt(30) == 0 ? r.nextInt() : devid);
            int direction = r.nextInt(30) == 0 ? r.nextInt() : r.nextInt(2);
            o.writeInt(direction);
            int ep = r.nextInt(20) == 0 ? r.nextInt() : r.nextInt(4);
            o.writeInt(ep);
            if (command == 2) {
                o.writeInt(r.nextBoolean() ? recent[r.nextInt(recent.length)] : r.nextInt());
                o.write(new byte[24]);
                return bytes.toByteArray();
            }
            int flags = pick(0, 0x0002, 0x0001, r.nextInt());
            int packets = pick(0, -1, 1 + r.nextInt(8), 1 + r.nextInt(MAX_PACKETS), MAX_PACKETS + 1, -5, r.nextInt());
            int isoCount = packets > 0 && packets <= 2 * MAX_PACKETS ? packets : 0;
            int[] lengths = new int[isoCount];
            int sum = 0;
            for (int k = 0; k < isoCount; k++) {
                lengths[k] = pick(0, 1 + r.nextInt(1024), 96, 192, 512, 1024, 3072, 3073, -1, r.nextInt());
                sum += Math.max(0, Math.min(lengths[k], 4096));
            }
            int length = pick(
                    sum,
                    sum,
                    sum,
                    0,
                    8,
                    18,
                    64,
                    512,
                    4096,
                    MAX_LENGTH,
                    MAX_LENGTH + 1,
                    -1,
                    r.nextInt(),
                    r.nextInt(1 << 16));
            o.writeInt(flags);
            o.writeInt(length);
            o.writeInt(r.nextInt(10) == 0 ? r.nextInt() : 0); // start_frame
            o.writeInt(packets);
            o.writeInt(pick(0, 1, 4, 8, 1 << 15, (1 << 15) + 1, -1, r.nextInt()));
            o.write(setup());
            boolean out = direction == 0;
            if (out && length > 0) {
                // the payload as declared (bounded), or a wrong amount now and then
                int n = r.nextInt(10) == 0 ? r.nextInt(2048) : Math.min(length, 64 * 1024);
                o.write(bytes(n));
            }
            int offset = 0;
            for (int k = 0; k < isoCount; k++) {
                int off = pick(offset, offset, offset, 0, -4, length, r.nextInt());
                o.writeInt(off);
                o.writeInt(lengths[k]);
                o.writeInt(r.nextInt(20) == 0 ? r.nextInt() : 0);
                o.writeInt(r.nextInt(20) == 0 ? r.nextInt() : 0);
                offset += Math.max(0, lengths[k]);
            }
            return bytes.toByteArray();
        }

        private byte[] setup() {
            return switch (r.nextInt(7)) {
                case 0 -> new byte[] {(byte) 0x80, 6, 0, 1, 0, 0, 18, 0}; // GET_DESCRIPTOR device
                case 1 -> new byte[] {(byte) 0x80, 6, 0, 2, 0, 0, (byte) 0xFF, 0}; // configuration
                case 2 -> new byte[] {0x01, 11, (byte) r.nextInt(5), 0, (byte) r.nextInt(3), 0, 0, 0}; // SET_INTERFACE
                case 3 -> new byte[] {0x40, 0x01, 0, 0, 0, 0, 0, 0}; // loopback reset
                case 4 -> new byte[] {0x00, 9, (byte) r.nextInt(3), 0, 0, 0, 0, 0}; // SET_CONFIGURATION
                case 5 -> new byte[] {(byte) 0xA1, (byte) 0x81, 0, 1, 1, 0, 26, 0}; // a class GET_CUR
                default -> bytes(8);
            };
        }

        private byte[] handshake() throws IOException {
            return r.nextBoolean() ? devlistRequests(1 + r.nextInt(20)) : importRequest(BUS_IDS[r.nextInt(4)]);
        }

        private byte[] devlistRequests(int n) {
            byte[] b = new byte[8 * n];
            for (int i = 0; i < n; i++) {
                b[i * 8] = 0x01;
                b[i * 8 + 1] = 0x11;
                b[i * 8 + 2] = (byte) 0x80;
                b[i * 8 + 3] = 0x05;
            }
            return b;
        }

        private byte[] importRequest(String busId) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream o = new DataOutputStream(bytes);
            o.writeShort(0x0111);
            o.writeShort(0x8003);
            o.writeInt(0);
            byte[] id = new byte[32];
            byte[] b = busId.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, id, 0, b.length);
            o.write(id);
            return bytes.toByteArray();
        }

        /** Flips bytes, truncates, or appends junk. */
        private byte[] mutate(byte[] message) {
            byte[] m = message.clone();
            switch (r.nextInt(4)) {
                case 0 -> {
                    for (int i = 1 + r.nextInt(4); i > 0 && m.length > 0; i--) {
                        m[r.nextInt(m.length)] = (byte) r.nextInt(256);
                    }
                }
                case 1 -> m = java.util.Arrays.copyOf(m, r.nextInt(m.length + 1));
                case 2 -> {
                    byte[] junk = bytes(1 + r.nextInt(64));
                    byte[] longer = java.util.Arrays.copyOf(m, m.length + junk.length);
                    System.arraycopy(junk, 0, longer, m.length, junk.length);
                    m = longer;
                }
                default -> {
                    if (m.length >= 4) {
                        int at = r.nextInt(m.length / 4) * 4; // a whole field set to an extreme
                        int v = pick(0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 1 << 16);
                        m[at] = (byte) (v >>> 24);
                        m[at + 1] = (byte) (v >>> 16);
                        m[at + 2] = (byte) (v >>> 8);
                        m[at + 3] = (byte) v;
                    }
                }
            }
            return m;
        }

        private int pick(int... choices) {
            return choices[r.nextInt(choices.length)];
        }

        private byte[] bytes(int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }

        private Thread drain(InputStream in) {
            Thread t = new Thread(
                    () -> {
                        byte[] buffer = new byte[16 * 1024];
                        try {
                            while (in.read(buffer) >= 0) {
                                // replies are not checked here: the server's behaviour on each is other tests' part
                            }
                        } catch (IOException e) {
                            // closed or reset
                        }
                    },
                    "fuzz-drain");
            t.setDaemon(true);
            t.start();
            return t;
        }

        void closeAll() throws IOException {
            for (Socket s : idle) {
                s.close();
            }
            idle.clear();
        }
    }
}
