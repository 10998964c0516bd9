package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peers that try to exhaust the server: by not reading (U1), by holding connection slots with slow or
 * idle handshakes, or by importing a device and going silent (U2). Every load loop is bounded in count
 * and time; everything runs on loopback.
 */
class UsbIpHostilePeersTest {
    private static final InetAddress LOCALHOST = InetAddress.getLoopbackAddress();
    private static final InetAddress SECOND = loopback(2);
    private static final InetAddress THIRD = loopback(3);

    /** An OP_REQ_DEVLIST request. */
    private static final byte[] DEVLIST = {0x01, 0x11, (byte) 0x80, 0x05, 0, 0, 0, 0};

    /** The heap the server may grow by while a peer floods it without reading (see the site's limit table). */
    private static final long FLOOD_HEAP_BOUND = 16L << 20;

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private final ManualTicker ticker = new ManualTicker();
    private SimulatedHostController sim;
    private SimulatedDevice loopback;
    private SimulatedDevice microphone;
    private final NoRuntime.Opened toClose = new NoRuntime.Opened();

    @BeforeEach
    void setUp() {
        sim = NoRuntime.startedBus();
        loopback = sim.attach(LoopbackDevice.fullSpeed());
        microphone = sim.attach(new Uac1Microphone());
    }

    @AfterEach
    void tearDown() throws Exception {
        toClose.closeAll();
        sim.close();
    }

    private UsbIpServer.Builder server() {
        return UsbIpServer.builder(sim)
                .device("1-1", loopback)
                .device("1-2", microphone)
                .port(0);
    }

    private UsbIpServer started(UsbIpServer.Builder b) throws IOException {
        UsbIpServer s = b.build().start();
        toClose.add(s);
        return s;
    }

    private Socket raw(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        toClose.add(s);
        return s;
    }

    // ---- U1: a peer that does not read --------------------------------------------------------------

    @Test
    void u1_aPeerSendingDevlistRequestsWithoutReadingIsDropped() throws Exception {
        UsbIpServer server =
                started(server().handshakeTimeout(Duration.ofSeconds(2)).ticker(ticker));
        Socket s = raw(server.port());
        OutputStream out = s.getOutputStream();
        AtomicLong sent = new AtomicLong();
        AtomicBoolean dropped = new AtomicBoolean();
        // at most 10^6 requests; the peer never reads a reply, so its writes block once the server stops
        // reading (it writes each reply before reading the next request)
        Thread flooder = new Thread(
                () -> {
                    try {
                        while (sent.get() < 1_000_000) {
                            out.write(DEVLIST);
                            sent.incrementAndGet();
                        }
                    } catch (IOException e) {
                        dropped.set(true);
                    }
                },
                "devlist-flooder");
        flooder.setDaemon(true);
        flooder.start();
        try (LogCapture log = new LogCapture()) {
            // dropped for its 17th request, or blocked once its replies fill the socket buffers
            await().atMost(Duration.ofSeconds(10)).until(() -> dropped.get() || server.writesUnderWay() == 1);
            ticker.advance(Duration.ofSeconds(2).plusNanos(1));
            server.checkConnections();
            flooder.join(10_000);
            assertThat(dropped)
                    .as("the server dropped the peer (%d requests sent)", sent.get())
                    .isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
            assertThat(log.lines())
                    .anyMatch(l -> l.contains("closed: " + UsbIpConnection.MAX_HANDSHAKE_REQUESTS + " requests")
                            || l.contains("closed: the peer does not read")
                            || l.contains("closed: no import within 2000 ms"));
        } finally {
            s.close();
            flooder.join(10_000);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
        LegitimateClient.importAndStream(sim, server.port());
    }

    @Test
    void aDevlistFloodWithoutReadingFor10sKeepsTheHeapBounded() throws Exception {
        UsbIpServer server = started(server());
        long baseline = LegitimateClient.usedHeapAfterGc();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        AtomicLong requests = new AtomicLong();
        AtomicLong connections = new AtomicLong();
        Socket[] current = new Socket[1];
        Thread flooder = new Thread(
                () -> {
                    byte[] chunk = new byte[DEVLIST.length * 64];
                    for (int i = 0; i < 64; i++) {
                        System.arraycopy(DEVLIST, 0, chunk, i * DEVLIST.length, DEVLIST.length);
                    }
                    // reconnects whenever the server drops it; at most 100,000 connections in the 10 s
                    while (System.nanoTime() < deadline && connections.get() < 100_000) {
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                            synchronized (current) {
                                current[0] = s;
                            }
                            connections.incrementAndGet();
                            OutputStream out = s.getOutputStream();
                            while (System.nanoTime() < deadline) {
                                out.write(chunk);
                                requests.addAndGet(64);
                            }
                        } catch (IOException e) {
                            // dropped (or closed at the deadline): go again
                        }
                    }
                },
                "devlist-flooder");
        flooder.start();
        long peak = baseline;
        while (System.nanoTime() < deadline) {
            Thread.sleep(1000);
            peak = Math.max(peak, LegitimateClient.usedHeapAfterGc());
        }
        synchronized (current) {
            if (current[0] != null) {
                current[0].close(); // a write blocked on a server that stopped reading
            }
        }
        flooder.join(10_000);
        assertThat(flooder.isAlive()).isFalse();
        long after = LegitimateClient.usedHeapAfterGc();
        System.out.printf(
                "devlist flood: %d requests on %d connections in 10 s; heap after GC %d KiB before, %d KiB peak,"
                        + " %d KiB after%n",
                requests.get(), connections.get(), baseline >> 10, peak >> 10, after >> 10);
        assertThat(peak - baseline).as("heap growth during the flood (bytes)").isLessThan(FLOOD_HEAP_BOUND);
        await().atMost(Duration.ofSeconds(15)).until(() -> server.activeConnections() == 0);
        LegitimateClient.importAndStream(sim, server.port());
    }

    // ---- U2: slots held by slow, idle or silent peers ----------------------------------------------------

    @Test
    void u2_fourPeersAskingForTheDeviceListEverySecondDoNotLockOutAnImport() throws Exception {
        // the server's clock stands still: no handshake deadline frees a slot, only an eviction can
        UsbIpServer server = started(server().maxConnections(4).ticker(ticker));
        List<UsbIpTestClient> listers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            UsbIpTestClient c = UsbIpTestClient.connect(server.port());
            toClose.add(c);
            listers.add(c);
            assertThat(c.devlist()).hasSize(2);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 4);
        Thread keepAsking = new Thread(
                () -> {
                    for (int round = 0; round < 5; round++) { // every second, 5 s at most
                        for (UsbIpTestClient c : listers) {
                            try {
                                c.devlist();
                            } catch (IOException e) {
                                // evicted or timed out: what the server may do to them
                            }
                        }
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "devlist-every-second");
        keepAsking.setDaemon(true);
        keepAsking.start();
        long t0 = System.nanoTime();
        LegitimateClient.importAndStream(sim, server.port());
        long admitted = elapsedMillis(t0);
        System.out.printf("admitted and streamed with 4 device-list peers holding the slots: %d ms%n", admitted);
        keepAsking.interrupt();
        keepAsking.join(10_000);
    }

    @Test
    void fourIdleOrSlowPeersDoNotDelayALegitimateClient() throws Exception {
        // the server's clock stands still: no handshake deadline frees a slot, only an eviction can
        UsbIpServer server = started(server().maxConnections(4).ticker(ticker));
        List<Socket> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            peers.add(raw(server.port()));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 4);
        // two of them are slow: one byte of a request every 200 ms (never a whole request in the test)
        Thread slow = new Thread(
                () -> {
                    try {
                        for (int i = 0; i < 7; i++) {
                            for (Socket s : peers.subList(0, 2)) {
                                s.getOutputStream().write(DEVLIST[i]);
                            }
                            Thread.sleep(200);
                        }
                    } catch (IOException | InterruptedException e) {
                        // evicted: fine
                    }
                },
                "slow-peers");
        slow.setDaemon(true);
        slow.start();
        long t0 = System.nanoTime();
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            UsbIpTestClient.Device d = c.importDevice("1-1");
            long admitted = elapsedMillis(t0);
            System.out.printf("imported with 4 idle or slow peers connected: %d ms%n", admitted);
            assertThat(d).isNotNull();
            assertThat(server.activeConnections())
                    .as("one of the four was evicted")
                    .isEqualTo(4);
        }
        slow.join(10_000);
    }

    @Test
    void u2_aPeerThatImportsAndGoesSilentIsDropped() throws Exception {
        UsbIpServer defaults = started(server());
        assertThat(Duration.ofNanos(defaults.limits().idleTimeoutNanos()))
                .as("the default idle timeout after an import")
                .isLessThanOrEqualTo(Duration.ofSeconds(60));
        defaults.close();

        UsbIpServer server = started(server().idleTimeout(Duration.ofSeconds(1)).ticker(ticker));
        UsbIpTestClient silent = UsbIpTestClient.connect(server.port());
        toClose.add(silent);
        assertThat(silent.importDevice("1-1")).isNotNull();
        ticker.advance(Duration.ofSeconds(1));
        server.checkConnections();
        assertThat(silent.poll(0)).as("not before the idle timeout").isNull();
        ticker.advance(Duration.ofNanos(1));
        server.checkConnections();
        UsbIpTestClient.Reply r = silent.poll(10_000);
        assertThat(r).as("the server closed the silent import").isEqualTo(UsbIpTestClient.CLOSED);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
        LegitimateClient.importAndStream(sim, server.port());
    }

    @Test
    void oneAddressCannotHoldMoreThanItsShareOfHandshakes() throws Exception {
        UsbIpServer server = started(server().maxHandshakesPerAddress(2));
        try (LogCapture log = new LogCapture();
                UsbIpTestClient mine = UsbIpTestClient.connect(LOCALHOST, server.port(), LOCALHOST);
                UsbIpTestClient first = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND);
                UsbIpTestClient second = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 3);
            try (UsbIpTestClient third = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND)) {
                assertThat(first.closedByServer())
                        .as("127.0.0.2's oldest handshake is evicted")
                        .isTrue();
                assertThat(second.devlist()).hasSize(2);
                assertThat(third.devlist()).hasSize(2);
                assertThat(mine.devlist())
                        .as("127.0.0.1's handshake is not touched")
                        .hasSize(2);
            }
            assertThat(log.lines())
                    .anyMatch(l -> l.startsWith("INFO ") && l.contains("(127.0.0.2:") && l.contains("evicted after"));
        }
    }

    @Test
    void aFullServerEvictsFromTheAddressWithTheMostHandshakes() throws Exception {
        UsbIpServer server = started(server().maxConnections(4));
        try (UsbIpTestClient a = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND);
                UsbIpTestClient other = UsbIpTestClient.connect(LOCALHOST, server.port(), THIRD);
                UsbIpTestClient b = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND);
                UsbIpTestClient c = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 4);
            try (UsbIpTestClient mine = UsbIpTestClient.connect(server.port())) {
                assertThat(mine.devlist()).hasSize(2);
                assertThat(a.closedByServer())
                        .as("the oldest of 127.0.0.2, which holds three")
                        .isTrue();
                assertThat(other.devlist())
                        .as("127.0.0.3's only handshake, older, stays")
                        .hasSize(2);
                assertThat(b.devlist()).hasSize(2);
                assertThat(c.devlist()).hasSize(2);
            }
        }
    }

    @Test
    void anImportThatDoesNotReadItsRepliesIsDropped() throws Exception {
        UsbIpServer server = started(server().writeTimeout(Duration.ofMillis(500))
                .idleTimeout(Duration.ZERO)
                .ticker(ticker));
        Socket s = new Socket();
        toClose.add(s);
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress(LOCALHOST, server.port()));
        UsbIpTestClient c = new UsbIpTestClient(s.getInputStream(), s.getOutputStream(), s);
        int devid = c.importDevice("1-1", false).devid(); // nothing reads from here on
        c.control(1, devid, new byte[] {0x01, 11, 1, 0, 0, 0, 0, 0}, new byte[0]); // alt 1: iso 0x81
        AtomicBoolean stop = new AtomicBoolean();
        Thread bus = new Thread(
                () -> {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!stop.get() && System.nanoTime() < end) {
                        sim.advanceFrames(64);
                    }
                },
                "bus");
        bus.start();
        int[] lengths = new int[1024];
        java.util.Arrays.fill(lengths, 512);
        long t0 = System.nanoTime();
        // at most 200 URBs (100 MiB of replies); the submitter blocks once the server stops reading
        Thread submitter = new Thread(
                () -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            c.iso(10 + i, devid, 1, true, lengths, null);
                        }
                    } catch (IOException e) {
                        // dropped
                    }
                },
                "iso-submitter");
        submitter.setDaemon(true);
        submitter.start();
        try (LogCapture log = new LogCapture()) {
            // the server holds its whole budget (no room for one more URB) and its writer is blocked
            long urb = 1024L * 512 + 1024L * UsbIpConnection.ISO_PACKET_COST;
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.bufferedBytes() + urb > server.limits().maxBytesInFlight()
                            && server.writesUnderWay() == 1);
            ticker.advance(Duration.ofMillis(500));
            server.checkConnections();
            assertThat(log.lines()).noneMatch(l -> l.contains("the peer does not read"));
            ticker.advance(Duration.ofNanos(1));
            server.checkConnections();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
            assertThat(log.lines()).anyMatch(l -> l.contains("the peer does not read (a reply waited 500 ms)"));
        } finally {
            stop.set(true);
            bus.join(15_000);
            s.close();
            submitter.join(10_000);
        }
        System.out.printf("an import that does not read was dropped after %d ms%n", elapsedMillis(t0));
        assertThat(server.bufferedBytes()).isZero();
        LegitimateClient.importAndStream(sim, server.port());
    }

    @Test
    void aBusIdCannotForgeALogLine() throws Exception {
        UsbIpServer server = started(server());
        try (LogCapture log = new LogCapture();
                UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.importDevice("9-9\nWARN forged")).isNull();
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> log.lines().stream().anyMatch(l -> l.contains("refused (no such device)")));
            assertThat(log.lines())
                    .filteredOn(l -> l.contains("refused (no such device)"))
                    .singleElement()
                    .asString()
                    .contains("'9-9\\x0AWARN forged'")
                    .doesNotContain("\n");
        }
    }

    private static long elapsedMillis(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
