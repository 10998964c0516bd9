package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile or broken peers and devices, probed by cause: a device whose descriptors disagree about their
 * own counts, a peer that floods unlinks of unknown, future and duplicate seqnums without reading, a
 * peer that asks for a device another peer holds. For each, the server answers per the protocol or
 * drops just that peer, the others keep working and memory stays bounded (the limits table on
 * usbip.html). Loopback only; every loop is bounded in count.
 */
class UsbIpHostileProbesTest {
    private final ManualTicker ticker = new ManualTicker();
    private final NoRuntime.Opened toClose = new NoRuntime.Opened();
    private SimulatedHostController sim;
    private SimulatedDevice loopback;

    @BeforeEach
    void setUp() {
        sim = NoRuntime.startedBus();
        loopback = sim.attach(LoopbackDevice.fullSpeed());
    }

    @AfterEach
    void tearDown() throws Exception {
        toClose.closeAll();
        sim.close();
    }

    private UsbIpServer started(UsbIpServer.Builder b) throws IOException {
        UsbIpServer s = b.port(0).ticker(ticker).build().start();
        toClose.add(s);
        return s;
    }

    private UsbIpTestClient client(UsbIpServer server) throws IOException {
        UsbIpTestClient c = UsbIpTestClient.connect(server.port());
        toClose.add(c);
        return c;
    }

    /** A device with one configuration whose {@code bNumInterfaces} says {@code declared} over {@code actual} interfaces. */
    private static final class MiscountedInterfaces extends DeviceModel {
        private final int declared;
        private final int actual;

        MiscountedInterfaces(int declared, int actual) {
            this.declared = declared;
            this.actual = actual;
        }

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return new UsbDeviceDescriptor(18, 1, 0x0200, 0, 0, 0, 64, 0x1209, 0x7777, 0x0100, 0, 0, 0, 1);
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            int total = 9 + 9 * actual;
            byte[] c = new byte[total];
            byte[] head = {9, 2, (byte) total, 0, (byte) declared, 1, 0, (byte) 0x80, 50};
            System.arraycopy(head, 0, c, 0, 9);
            for (int i = 0; i < actual; i++) {
                byte[] iface = {9, 4, (byte) i, 0, 0, (byte) 0xFF, (byte) (0x10 + i), 0, 0};
                System.arraycopy(iface, 0, c, 9 + 9 * i, 9);
            }
            return List.of(c);
        }

        @Override
        public EndpointHandler endpoint(int address) {
            return null;
        }
    }

    /**
     * OP_REP_DEVLIST gives each device's {@code bNumInterfaces} and then that many interface records, so
     * the two must agree or the client reads the rest of the list out of step ("usbip list" then shows
     * garbage for every later device). A device may miscount its interfaces (a captured device replayed,
     * a quirky model): the record counts the interfaces listed.
     */
    @ParameterizedTest(name = "bNumInterfaces {0} over {1} interfaces")
    @CsvSource({"3, 1", "1, 2", "0, 2"})
    void aDeviceThatMiscountsItsInterfacesDoesNotPutTheDeviceListOutOfStep(int declared, int actual) throws Exception {
        SimulatedDevice odd = sim.attach(new MiscountedInterfaces(declared, actual));
        UsbIpServer server = started(UsbIpServer.builder(sim).device("1-1", odd).device("1-2", loopback));
        UsbIpTestClient c = client(server);
        List<UsbIpTestClient.Device> list = c.devlist();
        assertThat(list).extracting(UsbIpTestClient.Device::busId).containsExactly("1-1", "1-2");
        assertThat(list.get(0).numInterfaces()).isEqualTo(actual);
        assertThat(list.get(0).interfaces()).hasSize(actual);
        assertThat(list.get(0).interfaces().get(actual - 1)[1])
                .as("bInterfaceSubClass of the last")
                .isEqualTo(0x10 + actual - 1);
        assertThat(list.get(1).product()).isEqualTo(LoopbackDevice.PRODUCT_ID);
        assertThat(list.get(1).interfaces()).hasSize(3);
        assertThat(c.devlist()).as("still in step for a second request").hasSize(2);
        UsbIpTestClient.Device d = c.importDevice("1-1");
        assertThat(d).isNotNull();
        assertThat(d.numInterfaces()).as("the import's record agrees").isEqualTo(actual);
    }

    /**
     * Unlinks of a pending URB, of it again, of a seqnum never submitted and of one still to come are
     * each answered once, per the protocol (usbip_protocol: a RET_UNLINK for every CMD_UNLINK, a
     * RET_SUBMIT only for a URB not unlinked in time); the connection then works on.
     */
    @Test
    void unlinksOfPendingDuplicateUnknownAndFutureSeqnumsAreEachAnsweredOnce() throws Exception {
        UsbIpServer server = started(UsbIpServer.builder(sim).device("1-1", loopback));
        UsbIpTestClient c = client(server);
        int devid = c.importDevice("1-1").devid();
        c.submit(1, devid, 1, 2, 0, 64, 0, 0, null, null, null); // bulk IN, pending: nothing to loop back
        c.unlink(2, devid, 1);
        c.unlink(3, devid, 1); // again
        c.unlink(4, devid, 99_999); // never submitted; above the unlink's own seqnum, so not one to come
        c.unlink(1_000, devid, 500); // to come: vhci-hcd sends such an unlink before its submit
        c.submit(500, devid, 1, 2, 0, 64, 0, 0, null, null, null);
        java.util.Map<Integer, UsbIpTestClient.Reply> replies = new java.util.TreeMap<>();
        for (int i = 0; i < 4; i++) {
            UsbIpTestClient.Reply r = LegitimateClient.awaitReply(sim, c);
            assertThat(r.command()).as("only RET_UNLINKs").isEqualTo(4);
            assertThat(replies.put(r.seqnum(), r)).as("one reply per seqnum").isNull();
        }
        assertThat(replies.keySet()).containsExactly(2, 3, 4, 1_000);
        assertThat(replies.get(2).status()).isEqualTo(UsbIpStatus.ECONNRESET);
        assertThat(replies.get(3).status()).as("nothing left to unlink").isZero();
        assertThat(replies.get(4).status()).isZero();
        assertThat(replies.get(1_000).status()).isEqualTo(UsbIpStatus.ECONNRESET);
        c.control(1_001, devid, UsbIpTestClient.GET_STATUS, null);
        UsbIpTestClient.Reply status = LegitimateClient.awaitReply(sim, c);
        assertThat(status.seqnum()).as("no RET_SUBMIT for 1 or 500").isEqualTo(1_001);
        assertThat(status.status()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.bufferedBytes() == 0);
    }

    /**
     * A storm of unlinks (duplicate, unknown, and "to come" seqnums whose submit never comes) from a peer
     * that reads nothing: the server stops reading it at its in-flight limit, holds no bytes for it,
     * another peer's import streams meanwhile, and the idle timeout drops the storm's connection alone.
     */
    @Test
    void anUnlinkStormFromAPeerThatDoesNotReadIsBoundedAndDroppedAlone() throws Exception {
        SimulatedDevice second = sim.attach(LoopbackDevice.fullSpeed());
        UsbIpServer server = started(UsbIpServer.builder(sim)
                .device("1-1", loopback)
                .device("1-2", second)
                .maxUrbsInFlight(64)
                .idleTimeout(Duration.ofSeconds(30)));
        Socket s = new Socket();
        toClose.add(s);
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), server.port()));
        UsbIpTestClient storm = new UsbIpTestClient(s.getInputStream(), s.getOutputStream(), s);
        int devid = storm.importDevice("1-2", false).devid();
        storm.submit(1, devid, 1, 2, 0, 64, 0, 0, null, null, null); // stays pending
        for (int i = 0; i < 1_000; i++) { // 48 KB: the socket buffers take it all
            int seqnum = 2 + i;
            int target = switch (i % 3) {
                case 0 -> 1; // the pending one, again and again
                case 1 -> -seqnum; // never submitted
                default -> seqnum - 1; // "to come" (its submit never does)
            };
            storm.unlink(seqnum, devid, target);
        }
        try (LogCapture log = new LogCapture()) {
            // the "to come" unlinks fill its 64 slots: the server stops reading it and holds no bytes
            await().atMost(Duration.ofSeconds(10)).until(UsbIpHostileProbesTest::aReaderWaitsForBudget);
            assertThat(server.bufferedBytes()).as("bytes held for the storm").isZero();
            try (UsbIpTestClient other = UsbIpTestClient.connect(server.port())) {
                LegitimateClient.importAndStream(sim, other);
            }
            ticker.advance(Duration.ofSeconds(30).plusNanos(1));
            server.checkConnections();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
            assertThat(server.bufferedBytes()).isZero();
            assertThat(log.lines()).anyMatch(l -> l.endsWith("closed: idle for 30000 ms"));
            assertThat(log.errors()).isEmpty();
        }
        try (UsbIpTestClient again = UsbIpTestClient.connect(server.port())) {
            assertThat(again.importDevice("1-2"))
                    .as("the storm's device is free")
                    .isNotNull();
        }
    }

    /** Whether a connection's reader is waiting for room in its in-flight budget (a state, not a time). */
    private static boolean aReaderWaitsForBudget() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("usbip-tcp-"))
                .anyMatch(e -> java.util.Arrays.stream(e.getValue())
                        .anyMatch(f -> f.getClassName().endsWith("UsbIpConnection$Budget")
                                && f.getMethodName().equals("acquire")));
    }

    /** Another peer's import of a device that is taken is refused (OP_REP_IMPORT, status 1); the holder works on. */
    @Test
    void anImportOfADeviceAnotherPeerHoldsIsRefusedAndTheHolderWorksOn() throws Exception {
        UsbIpServer server = started(UsbIpServer.builder(sim).device("1-1", loopback));
        UsbIpTestClient holder = client(server);
        int devid = holder.importDevice("1-1").devid();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 5; i++) {
                try (UsbIpTestClient rival = UsbIpTestClient.connect(server.port())) {
                    assertThat(rival.importDevice("1-1")).isNull();
                    assertThat(rival.closedByServer()).isTrue();
                }
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> log.lines().stream()
                                    .filter(l -> l.contains("import of '1-1' refused (busy)"))
                                    .count()
                            == 5);
        }
        holder.control(1, devid, UsbIpTestClient.GET_STATUS, null);
        assertThat(LegitimateClient.awaitReply(sim, holder).status()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 1);
    }

    /**
     * A peer that half-closes (sends its last request and shuts its sending side) still gets the reply
     * to every URB that completed, then the end of the stream; the device is free again.
     */
    @Test
    void aPeerThatHalfClosesGetsTheRepliesOfItsCompletedUrbsThenTheEnd() throws Exception {
        UsbIpServer server = started(UsbIpServer.builder(sim).device("1-1", loopback));
        Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), server.port());
        toClose.add(s);
        s.setSoTimeout(10_000);
        UsbIpTestClient c = new UsbIpTestClient(s.getInputStream(), s.getOutputStream(), s);
        int devid = c.importDevice("1-1").devid();
        for (int seqnum = 1; seqnum <= 20; seqnum++) {
            c.submit(seqnum, devid, 1, 9, 0, 64, 0, 0, null, null, null); // -ENOENT, answered at once
        }
        s.shutdownOutput();
        List<Integer> seqnums = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            UsbIpTestClient.Reply r = c.poll(10_000);
            assertThat(r).isNotNull();
            if (r.closed()) {
                break;
            }
            assertThat(r.status()).isEqualTo(UsbIpStatus.ENOENT);
            seqnums.add(r.seqnum());
        }
        assertThat(seqnums).hasSize(20);
        assertThat(seqnums.get(19)).isEqualTo(20);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        LegitimateClient.importAndStream(sim, server.port());
    }

    /** A valid header, then one byte "a second": the handshake deadline ends it, the slot is free. */
    @Test
    void aHandshakeTrickledOneByteAtATimeMeetsTheDeadline() throws Exception {
        UsbIpServer server =
                started(UsbIpServer.builder(sim).device("1-1", loopback).handshakeTimeout(Duration.ofSeconds(10)));
        try (LogCapture log = new LogCapture()) {
            UsbIpTestClient c = client(server);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 1); // accepted
            c.sendOp(UsbIpTestClient.VERSION, 0x8003); // OP_REQ_IMPORT; its 32-byte bus id trickles
            c.out.flush();
            for (int i = 0; i < 10; i++) {
                c.out.write('1');
                c.out.flush();
                ticker.advance(Duration.ofSeconds(1));
                server.checkConnections();
            }
            assertThat(log.lines()).noneMatch(l -> l.contains("closed:"));
            c.out.write('-');
            c.out.flush();
            ticker.advance(Duration.ofNanos(1));
            server.checkConnections();
            assertThat(c.closedByServer()).isTrue();
            assertThat(log.lines()).anyMatch(l -> l.endsWith("closed: no import within 10000 ms of connecting"));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        }
        LegitimateClient.importAndStream(sim, server.port());
    }

    /**
     * 96 connections at once from three loopback addresses, none of which says a word: the server never
     * serves more than its limit, keeps one thread per connection served, and a client that imports gets
     * in at once (its clock stands still, so no deadline frees a slot: only an eviction can).
     */
    @Test
    void ninetySixSilentConnectionsAtOnceDoNotExhaustTheServer() throws Exception {
        UsbIpServer server =
                started(UsbIpServer.builder(sim).device("1-1", loopback).maxConnections(8));
        java.net.InetAddress localhost = java.net.InetAddress.getLoopbackAddress();
        List<Socket> crowd = new ArrayList<>();
        try {
            int most = 0;
            for (int i = 0; i < 96; i++) {
                java.net.InetAddress from =
                        java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + i % 3)});
                crowd.add(new Socket(localhost, server.port(), from, 0));
                most = Math.max(most, server.activeConnections());
            }
            assertThat(most).as("connections served at once").isLessThanOrEqualTo(8);
            try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
                LegitimateClient.importAndStream(sim, c);
                assertThat(server.activeConnections()).isLessThanOrEqualTo(8);
                await().atMost(Duration.ofSeconds(10)).until(() -> serverConnectionThreads() <= 8);
            }
        } finally {
            for (Socket s : crowd) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
    }

    private static long serverConnectionThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("usbip-tcp-"))
                .count();
    }
}
