package io.github.usbd4j.usbip;

import static io.github.usbd4j.usbip.UsbIpTestClient.GET_STATUS;
import static io.github.usbd4j.usbip.UsbIpTestClient.setup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UsbIpServerTest {
    private static final byte[] GET_DEVICE_DESCRIPTOR = {(byte) 0x80, 6, 0, 1, 0, 0, 18, 0};

    private SimulatedHostController sim;
    private SimulatedDevice loopback;
    private SimulatedDevice microphone;
    private UsbIpServer server;

    @BeforeEach
    void setUp() throws IOException {
        sim = NoRuntime.startedBus();
        loopback = sim.attach(LoopbackDevice.fullSpeed());
        microphone = sim.attach(new Uac1Microphone());
        server = newServer(4).start();
    }

    private UsbIpServer newServer(int maxConnections) {
        return UsbIpServer.builder(sim)
                .device("1-1", loopback)
                .device("1-2", microphone)
                .port(0)
                .maxConnections(maxConnections)
                .build();
    }

    @AfterEach
    void tearDown() {
        server.close();
        sim.close();
    }

    /** Advances the virtual bus a frame at a time until a reply arrives. */
    private UsbIpTestClient.Reply awaitReply(UsbIpTestClient c) throws InterruptedException {
        for (int i = 0; i < 5000; i++) {
            UsbIpTestClient.Reply r = c.poll(1);
            if (r != null) {
                return r;
            }
            sim.advanceFrames(1);
        }
        throw new AssertionError("no reply");
    }

    // ---- device list and import ---------------------------------------------------------------

    @Test
    void devlistShowsBothDevicesWithInterfaces() throws IOException {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            List<UsbIpTestClient.Device> list = c.devlist();
            assertThat(list).hasSize(2);
            UsbIpTestClient.Device lb = list.get(0);
            assertThat(lb.busId()).isEqualTo("1-1");
            assertThat(lb.busnum()).isEqualTo(1);
            assertThat(lb.speed()).isEqualTo(2); // full speed
            assertThat(lb.vendor()).isEqualTo(0x1209);
            assertThat(lb.product()).isEqualTo(0x0001);
            assertThat(lb.bcdDevice()).isEqualTo(0x0100);
            assertThat(lb.deviceClass()).isEqualTo(0xFF);
            assertThat(lb.configurationValue()).isEqualTo(1);
            assertThat(lb.numConfigurations()).isEqualTo(1);
            assertThat(lb.numInterfaces()).isEqualTo(3);
            assertThat(lb.interfaces())
                    .containsExactly(new int[] {0xFF, 0, 0}, new int[] {0xFF, 0, 0}, new int[] {0xFF, 0, 0});
            UsbIpTestClient.Device mic = list.get(1);
            assertThat(mic.busId()).isEqualTo("1-2");
            assertThat(mic.vendor()).isEqualTo(0x1209);
            assertThat(mic.product()).isEqualTo(Uac1Microphone.PRODUCT_ID);
            assertThat(mic.deviceClass()).isZero();
            assertThat(mic.numInterfaces()).isEqualTo(2);
            assertThat(mic.interfaces()).containsExactly(new int[] {1, 1, 0}, new int[] {1, 2, 0});
            assertThat(mic.devid()).isNotEqualTo(lb.devid());
        }
    }

    @Test
    void importThenGetDescriptorOverTcp() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            UsbIpTestClient.Device d = c.importDevice("1-1");
            assertThat(d).isNotNull();
            assertThat(d.busId()).isEqualTo("1-1");
            assertThat(d.vendor()).isEqualTo(0x1209);
            c.control(7, d.devid(), GET_DEVICE_DESCRIPTOR, null);
            UsbIpTestClient.Reply r = awaitReply(c);
            assertThat(r.command()).isEqualTo(3);
            assertThat(r.seqnum()).isEqualTo(7);
            assertThat(r.status()).isZero();
            assertThat(r.actualLength()).isEqualTo(18);
            assertThat(r.data()).isEqualTo(loopback.deviceDescriptor());
        }
    }

    @Test
    void importOverPipedStreams() throws Exception {
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 16);
        PipedOutputStream serverOut = new PipedOutputStream(clientIn);
        Thread t = new Thread(() -> server.serve(serverIn, serverOut), "stdio-server");
        t.start();
        try (UsbIpTestClient c = new UsbIpTestClient(clientIn, clientOut, clientOut)) {
            assertThat(c.devlist()).extracting(UsbIpTestClient.Device::busId).containsExactly("1-1", "1-2");
            UsbIpTestClient.Device d = c.importDevice("1-2");
            c.control(1, d.devid(), GET_DEVICE_DESCRIPTOR, null);
            UsbIpTestClient.Reply r = awaitReply(c);
            assertThat(r.status()).isZero();
            assertThat(r.data()).isEqualTo(microphone.deviceDescriptor());
        }
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
    }

    @Test
    void aSecondImportOfTheSameDeviceIsRefusedUntilTheFirstEnds() throws Exception {
        try (UsbIpTestClient a = UsbIpTestClient.connect(server.port())) {
            assertThat(a.importDevice("1-1")).isNotNull();
            try (UsbIpTestClient b = UsbIpTestClient.connect(server.port())) {
                assertThat(b.importDevice("1-1")).isNull();
                assertThat(b.closedByServer()).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.importDevice("1-1")).isNotNull();
        }
    }

    @Test
    void aDeviceDetachedFromTheBusEndsItsImportAndIsNeitherListedNorImportable() throws Exception {
        try (LogCapture log = new LogCapture();
                UsbIpTestClient a = UsbIpTestClient.connect(server.port());
                UsbIpTestClient other = UsbIpTestClient.connect(server.port())) {
            int devid = a.importDevice("1-1").devid();
            int micDevid = other.importDevice("1-2").devid();
            a.submit(1, devid, 1, 2, 0, 64, 0, 0, null, null, null); // a bulk IN that waits for data
            sim.detach(loopback);
            // the connection goes, as usbip-host closes it when its device is unplugged: the client sees the
            // device leave instead of failing every URB it sends to an import that lives on (the pending
            // URB's -ESHUTDOWN may go out first)
            UsbIpTestClient.Reply r = a.poll(5_000);
            if (r != null && !r.closed()) {
                assertThat(r.seqnum()).isEqualTo(1);
                assertThat(r.status()).isEqualTo(UsbIpStatus.of(PacketStatus.DEVICE_GONE));
                r = a.poll(5_000);
            }
            assertThat(r).as("the server closes the import").isNotNull();
            assertThat(r.closed()).isTrue();
            assertThat(log.lines()).anyMatch(l -> l.contains("1-1") && l.contains("detached from the bus"));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 1);
            assertThat(server.bufferedBytes()).isZero();

            try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
                assertThat(c.devlist())
                        .extracting(UsbIpTestClient.Device::busId)
                        .containsExactly("1-2");
            }
            try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
                assertThat(c.importDevice("1-1")).isNull();
            }
            assertThat(log.lines()).anyMatch(l -> l.contains("import of '1-1' refused (detached from the bus)"));
            // the other import goes on
            other.control(2, micDevid, GET_DEVICE_DESCRIPTOR, null);
            r = awaitReply(other);
            assertThat(r.status()).isZero();
            assertThat(r.actualLength()).isEqualTo(18);
        }
    }

    // ---- isochronous ----------------------------------------------------------------------------

    @Test
    void isoOutThenIsoInOnTheLoopbackIsByteExact() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            UsbIpTestClient.Device d = c.importDevice("1-1");
            int devid = d.devid();
            c.control(1, devid, setup(0x01, 11, 1, 0, 0), new byte[0]); // SET_INTERFACE 0 alt 1
            UsbIpTestClient.Reply set = awaitReply(c);
            assertThat(set.status()).isZero();
            assertThat(loopback.alternateSetting(0)).isEqualTo(1);

            int[] lengths = {100, 0, 512, 37, 200};
            byte[] out = new byte[Arrays.stream(lengths).sum()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) (i * 7 + 3);
            }
            c.iso(2, devid, 1, false, lengths, out);
            UsbIpTestClient.Reply o = awaitReply(c);
            assertThat(o.seqnum()).isEqualTo(2);
            assertThat(o.status()).isZero();
            assertThat(o.packets()).isEqualTo(5);
            assertThat(o.errorCount()).isZero();
            assertThat(o.actualLength()).isEqualTo(out.length);
            for (int k = 0; k < 5; k++) {
                assertThat(o.iso()[k][1]).isEqualTo(lengths[k]);
                assertThat(o.iso()[k][2]).isEqualTo(lengths[k]);
                assertThat(o.iso()[k][3]).isZero();
            }

            // IN slots of 512 each: the data comes back packed, the descriptors keep the offsets
            c.iso(3, devid, 1, true, new int[] {512, 512, 512, 512, 512}, null);
            UsbIpTestClient.Reply r = awaitReply(c);
            assertThat(r.seqnum()).isEqualTo(3);
            assertThat(r.status()).isZero();
            assertThat(r.errorCount()).isZero();
            assertThat(r.actualLength()).isEqualTo(out.length);
            assertThat(r.data()).isEqualTo(out);
            for (int k = 0; k < 5; k++) {
                assertThat(r.iso()[k]).containsExactly(k * 512, 512, lengths[k], 0);
            }
            assertThat(r.startFrame()).isGreaterThan(o.startFrame());
        }
    }

    @Test
    void isoInFromTheMicrophoneMatchesExpectedSamples() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            UsbIpTestClient.Device d = c.importDevice("1-2");
            c.control(1, d.devid(), setup(0x01, 11, 1, 1, 0), new byte[0]); // SET_INTERFACE 1 alt 1
            assertThat(awaitReply(c).status()).isZero();
            int[] lengths = new int[8];
            Arrays.fill(lengths, Uac1Microphone.BYTES_PER_FRAME);
            for (int urb = 0; urb < 3; urb++) {
                c.iso(10 + urb, d.devid(), 1, true, lengths, null);
            }
            long expectedStart = -1;
            for (int urb = 0; urb < 3; urb++) {
                UsbIpTestClient.Reply r = awaitReply(c);
                assertThat(r.seqnum()).isEqualTo(10 + urb);
                assertThat(r.status()).isZero();
                assertThat(r.errorCount()).isZero();
                assertThat(r.actualLength()).isEqualTo(8 * Uac1Microphone.BYTES_PER_FRAME);
                if (expectedStart >= 0) {
                    assertThat(r.startFrame())
                            .as("URBs queued back to back continue the stream")
                            .isEqualTo(expectedStart);
                }
                for (int k = 0; k < 8; k++) {
                    long frame = (long) r.startFrame() + k;
                    byte[] packet = Arrays.copyOfRange(
                            r.data(), k * Uac1Microphone.BYTES_PER_FRAME, (k + 1) * Uac1Microphone.BYTES_PER_FRAME);
                    assertThat(packet).isEqualTo(Uac1Microphone.expectedPacket(frame));
                    short s0 = (short) ((packet[0] & 0xFF) | packet[1] << 8);
                    assertThat(s0).isEqualTo(Uac1Microphone.expectedSample(frame, 0));
                    assertThat(r.iso()[k]).containsExactly(k * 96, 96, 96, 0);
                }
                expectedStart = (long) r.startFrame() + 8;
            }
        }
    }

    // ---- unlink ---------------------------------------------------------------------------------

    @Test
    void unlinkOfAPendingBulkInReportsEconnresetAndNoRetSubmit() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            int devid = c.importDevice("1-1").devid();
            c.submit(20, devid, 1, 2, 0, 64, 0, 0, null, null, null); // bulk IN 0x82, nothing queued: NAKs
            c.control(21, devid, GET_STATUS, null);
            UsbIpTestClient.Reply status = awaitReply(c);
            assertThat(status.seqnum()).as("the bulk IN stays pending").isEqualTo(21);
            sim.advanceFrames(10);

            c.unlink(22, devid, 20);
            UsbIpTestClient.Reply u = awaitReply(c);
            assertThat(u.command()).isEqualTo(4);
            assertThat(u.seqnum()).isEqualTo(22);
            assertThat(u.status()).isEqualTo(UsbIpStatus.ECONNRESET).isEqualTo(-104);

            // as the kernel's stub driver does, the unlinked URB gets no RET_SUBMIT (vhci would
            // treat one for a seqnum it already gave back as a protocol error)
            c.control(23, devid, GET_STATUS, null);
            UsbIpTestClient.Reply next = awaitReply(c);
            assertThat(next.command()).isEqualTo(3);
            assertThat(next.seqnum()).isEqualTo(23);

            // unlinking something already completed: status 0
            c.unlink(24, devid, 23);
            UsbIpTestClient.Reply late = awaitReply(c);
            assertThat(late.command()).isEqualTo(4);
            assertThat(late.seqnum()).isEqualTo(24);
            assertThat(late.status()).isZero();
        }
    }

    /**
     * vhci-hcd sends the unlinks queued during one round of its sender after that round's submissions, so a URB
     * queued and unlinked meanwhile has its CMD_UNLINK arrive first. Answering that unlink at once (status 0, "already
     * done") made vhci give the URB back, and the RET_SUBMIT that followed for it broke the connection ("cannot find a
     * urb of seqnum"). Now the unlink is answered when the URB arrives, with -ECONNRESET, and the URB never runs.
     */
    @Test
    void unlinkThatArrivesBeforeItsSubmit_isAnsweredWhenTheUrbArrives_andTheUrbNeverRuns() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            int devid = c.importDevice("1-1").devid();
            c.control(1, devid, GET_STATUS, null);
            assertThat(awaitReply(c).seqnum()).isEqualTo(1);

            c.unlink(3, devid, 2); // before URB 2 itself
            c.control(4, devid, GET_STATUS, null);
            UsbIpTestClient.Reply meanwhile = awaitReply(c);
            assertThat(meanwhile.command())
                    .as("nothing answers the early unlink yet")
                    .isEqualTo(3);
            assertThat(meanwhile.seqnum()).isEqualTo(4);

            c.submit(2, devid, 0, 2, 0, 3, 0, 0, null, new byte[] {7, 8, 9}, null); // bulk OUT to 0x02
            UsbIpTestClient.Reply u = awaitReply(c);
            assertThat(u.command()).isEqualTo(4);
            assertThat(u.seqnum()).isEqualTo(3);
            assertThat(u.status()).isEqualTo(UsbIpStatus.ECONNRESET);

            // URB 2 did not run: no RET_SUBMIT for it, and the loopback device holds nothing to read back
            c.submit(5, devid, 1, 2, 0, 64, 0, 0, null, null, null); // bulk IN 0x82
            sim.advanceFrames(10);
            c.control(6, devid, GET_STATUS, null);
            UsbIpTestClient.Reply next = awaitReply(c);
            assertThat(next.command()).isEqualTo(3);
            assertThat(next.seqnum())
                    .as("the bulk IN waits: nothing was written")
                    .isEqualTo(6);
            c.unlink(7, devid, 5);
            assertThat(awaitReply(c).status()).isEqualTo(UsbIpStatus.ECONNRESET);
        }
    }

    @Test
    void bulkOutThenInLoopsBack() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            int devid = c.importDevice("1-1").devid();
            byte[] data = new byte[100];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (255 - i);
            }
            c.submit(1, devid, 0, 2, 0, data.length, 0, 0, null, data, null);
            UsbIpTestClient.Reply o = awaitReply(c);
            assertThat(o.status()).isZero();
            assertThat(o.actualLength()).isEqualTo(100);
            c.submit(2, devid, 1, 2, 0, 128, -1, 0, null, null, null); // number_of_packets 0xffffffff
            UsbIpTestClient.Reply r = awaitReply(c);
            assertThat(r.status()).isZero();
            assertThat(r.data()).isEqualTo(data);
        }
    }

    // ---- errno table ----------------------------------------------------------------------------

    @Test
    void everyPacketStatusHasALinuxStatus() {
        for (PacketStatus s : PacketStatus.values()) {
            assertThat(UsbIpStatus.of(s) <= 0).isTrue();
        }
        assertThat(UsbIpStatus.of(PacketStatus.OK)).isZero();
        assertThat(UsbIpStatus.of(PacketStatus.CANCELED)).isEqualTo(-104);
        assertThat(UsbIpStatus.of(PacketStatus.STALL)).isEqualTo(-32);
        assertThat(UsbIpStatus.of(PacketStatus.DEVICE_GONE)).isEqualTo(-108);
        assertThat(UsbIpStatus.of(PacketStatus.NOT_ACCESSED)).isEqualTo(-18);
        assertThat(UsbIpStatus.of(PacketStatus.DATA_OVERRUN)).isEqualTo(-75);
        assertThat(UsbIpStatus.of(PacketStatus.DATA_UNDERRUN)).isEqualTo(-121);
        assertThat(UsbIpStatus.of(PacketStatus.CRC)).isEqualTo(-84);
    }

    @Test
    void aStalledControlRequestReportsEpipe() throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            int devid = c.importDevice("1-1").devid();
            c.control(1, devid, setup(0xC0, 0x7F, 0, 0, 4), null); // unknown vendor request
            UsbIpTestClient.Reply r = awaitReply(c);
            assertThat(r.status()).isEqualTo(UsbIpStatus.EPIPE);
            assertThat(r.actualLength()).isZero();
        }
    }

    // ---- hostile input --------------------------------------------------------------------------

    /** A hostile request sent after importing 1-1 (or during the handshake when devid is ignored). */
    @FunctionalInterface
    interface Attack {
        void send(UsbIpTestClient c, int devid) throws IOException;
    }

    /** What the server must do: answer with this status, or (null) close the connection. */
    static Stream<Arguments> malformed() {
        int[][] beyond = {{0, 100}, {100, 100}}; // second packet ends at 200 > 150
        int[][] overlap = {{0, 100}, {0, 100}}; // sum 200 > 150
        int[][] negative = {{-4, 10}};
        return Stream.of(
                Arguments.of("unknown command", null, (Attack) (c, devid) -> {
                    c.out.writeInt(9);
                    c.out.write(new byte[44]);
                    c.out.flush();
                }),
                Arguments.of("devid not imported", null, (Attack)
                        (c, devid) -> c.submit(1, devid + 1, 1, 0, 0, 18, 0, 0, GET_DEVICE_DESCRIPTOR, null, null)),
                Arguments.of("negative transfer_buffer_length", null, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 2, 0, -16, 0, 0, null, null, null)),
                Arguments.of("transfer_buffer_length over the limit", null, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 2, 0, (1 << 20) + 1, 0, 0, null, null, null)),
                Arguments.of("negative number_of_packets", null, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 1, 0, 96, -5, 1, null, null, null)),
                Arguments.of("number_of_packets over the limit", null, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 1, 0, 96, 1025, 1, null, null, null)),
                Arguments.of("bad direction", null, (Attack)
                        (c, devid) -> c.submit(1, devid, 7, 2, 0, 0, 0, 0, null, null, null)),
                Arguments.of("endpoint number 16", null, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 16, 0, 0, 0, 0, null, null, null)),
                Arguments.of("truncated header", null, (Attack) (c, devid) -> {
                    c.out.writeInt(1);
                    c.out.writeInt(1);
                    c.out.flush();
                    c.out.close();
                }),
                Arguments.of("duplicate pending seqnum", null, (Attack) (c, devid) -> {
                    c.submit(5, devid, 1, 2, 0, 64, 0, 0, null, null, null);
                    c.submit(5, devid, 1, 2, 0, 64, 0, 0, null, null, null);
                }),
                Arguments.of("iso packet beyond the buffer", UsbIpStatus.EINVAL, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 1, 2, 150, 2, 1, null, null, beyond)),
                Arguments.of("iso packets that do not add up", UsbIpStatus.EINVAL, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 1, 2, 150, 2, 1, null, null, overlap)),
                Arguments.of("iso packet at a negative offset", UsbIpStatus.EINVAL, (Attack)
                        (c, devid) -> c.submit(1, devid, 0, 1, 2, 16, 1, 1, null, new byte[16], negative)),
                Arguments.of("iso endpoint without packets", UsbIpStatus.EINVAL, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 1, 2, 96, 0, 1, null, null, null)),
                Arguments.of("bulk request with iso packets", UsbIpStatus.EINVAL, (Attack) (c, devid) ->
                        c.submit(1, devid, 1, 2, 0, 64, 1, 0, null, null, new int[][] {{0, 64}})),
                Arguments.of("no such endpoint", UsbIpStatus.ENOENT, (Attack)
                        (c, devid) -> c.submit(1, devid, 1, 5, 0, 64, 0, 0, null, null, null)),
                Arguments.of("iso packet larger than the endpoint allows", UsbIpStatus.EIO, (Attack) (c, devid) ->
                        c.submit(1, devid, 1, 1, 2, 600, 1, 1, null, null, new int[][] {{0, 600}})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsGetAnErrorOrAClosedConnection(String what, Integer status, Attack attack) throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            int devid = c.importDevice("1-1").devid();
            c.control(100, devid, setup(0x01, 11, 1, 0, 0), new byte[0]); // alt 1: iso endpoints exist
            assertThat(awaitReply(c).status()).isZero();
            attack.send(c, devid);
            UsbIpTestClient.Reply r = awaitReply(c);
            if (status == null) {
                assertThat(r.closed()).as(what + ": connection closed").isTrue();
            } else {
                assertThat(r.closed()).isFalse();
                assertThat(r.seqnum()).isEqualTo(1);
                assertThat(r.status()).as(what).isEqualTo(status);
                // and the connection still works
                c.control(101, devid, GET_DEVICE_DESCRIPTOR, null);
                UsbIpTestClient.Reply ok = awaitReply(c);
                assertThat(ok.seqnum()).isEqualTo(101);
                assertThat(ok.status()).isZero();
            }
        } catch (java.net.SocketException e) {
            assertThat(status).as(what + ": reset instead of an error reply").isNull();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.importDevice("1-1")).as("served again after: " + what).isNotNull();
        }
    }

    static Stream<Arguments> malformedHandshakes() {
        return Stream.of(
                Arguments.of("unknown operation", (Attack) (c, devid) -> c.sendOp(0x0111, 0x8099)),
                Arguments.of("wrong version", (Attack) (c, devid) -> c.sendOp(0x0222, 0x8005)),
                Arguments.of("import of an unknown bus id", (Attack) (c, devid) -> {
                    assertThat(c.importDevice("9-9")).isNull();
                }),
                Arguments.of("garbage", (Attack) (c, devid) -> c.out.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHandshakes")
    void malformedHandshakesCloseTheConnection(String what, Attack attack) throws Exception {
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            attack.send(c, 0);
            c.out.flush();
            assertThat(c.closedByServer()).as(what).isTrue();
        }
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.devlist()).hasSize(2);
        }
    }

    // ---- limits ---------------------------------------------------------------------------------

    @Test
    void aNewClientEvictsTheOldestHandshakeAndIsRefusedOnlyWhenEverySlotHoldsAnImport() throws Exception {
        server.close();
        server = newServer(2).start();
        try (UsbIpTestClient a = UsbIpTestClient.connect(server.port());
                UsbIpTestClient b = UsbIpTestClient.connect(server.port())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 2);
            try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
                assertThat(c.devlist()).as("the newcomer is served").hasSize(2);
                assertThat(a.closedByServer())
                        .as("the oldest handshake was evicted")
                        .isTrue();
                assertThat(b.devlist()).hasSize(2);
                // two imports fill both slots; they are not evicted, the next client is refused
                assertThat(b.importDevice("1-1")).isNotNull();
                UsbIpTestClient.Device mic = c.importDevice("1-2");
                assertThat(mic).isNotNull();
                try (UsbIpTestClient d = UsbIpTestClient.connect(server.port())) {
                    assertThat(d.closedByServer()).isTrue();
                }
                c.control(1, mic.devid(), GET_STATUS, null);
                assertThat(awaitReply(c).status()).isZero();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.devlist()).hasSize(2);
        }
    }

    @Test
    void aSilentConnectionIsClosedAfterTheHandshakeTimeout() throws Exception {
        server.close();
        ManualTicker ticker = new ManualTicker();
        server = UsbIpServer.builder(sim)
                .device("1-1", loopback)
                .port(0)
                .handshakeTimeout(Duration.ofMillis(300))
                .ticker(ticker)
                .build()
                .start();
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 1);
            ticker.advance(Duration.ofMillis(300).plusNanos(1));
            server.checkConnections();
            assertThat(c.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
    }

    @Test
    void theServerBindsLoopbackByDefault() {
        assertThat(server.port()).isPositive();
        assertThat(server.busIds()).containsExactly("1-1", "1-2");
    }
}
