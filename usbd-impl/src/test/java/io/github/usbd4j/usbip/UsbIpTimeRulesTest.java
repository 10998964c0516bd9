package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The server's time rules on a clock the test moves ({@link ManualTicker}): the handshake deadline, the
 * idle timeout, the write timeout and the log's rate limit are asserted to the nanosecond, with no
 * watchdog thread running behind the test's back; an unplugged device ends its import by notification,
 * not by polling (see the limits table on usbip.html). Everything runs on loopback or in-process pipes;
 * the bounded waits below wait for the server to act on a decision already taken, never for time to pass.
 */
class UsbIpTimeRulesTest {
    private static final Duration NANO = Duration.ofNanos(1);
    private static final long WAIT_SECONDS = 10;

    private final ManualTicker ticker = new ManualTicker();
    private final NoRuntime.Opened toClose = new NoRuntime.Opened();
    private SimulatedHostController sim;
    private SimulatedDevice loopback;
    private SimulatedDevice microphone;

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
                .port(0)
                .ticker(ticker);
    }

    private UsbIpServer started(UsbIpServer.Builder b) throws IOException {
        UsbIpServer s = b.build().start();
        toClose.add(s);
        return s;
    }

    private UsbIpTestClient client(UsbIpServer server) throws IOException {
        UsbIpTestClient c = UsbIpTestClient.connect(server.port());
        toClose.add(c);
        return c;
    }

    private static List<String> closings(LogCapture log) {
        return log.lines().stream().filter(l -> l.contains(": closed: ")).toList();
    }

    @Test
    void theHandshakeDeadlineHoldsToTheNanosecondAndRequestsDoNotRestartIt() throws Exception {
        UsbIpServer server = started(server().handshakeTimeout(Duration.ofSeconds(1)));
        try (LogCapture log = new LogCapture()) {
            UsbIpTestClient c = client(server);
            assertThat(c.devlist()).hasSize(2);
            ticker.advance(Duration.ofMillis(600));
            server.checkConnections();
            assertThat(c.devlist()).as("served within the deadline").hasSize(2);
            ticker.advance(Duration.ofMillis(400)); // exactly the deadline: not past it
            server.checkConnections();
            assertThat(closings(log)).isEmpty();
            assertThat(c.devlist()).hasSize(2);

            ticker.advance(NANO);
            server.checkConnections();
            assertThat(c.closedByServer()).isTrue();
            assertThat(closings(log))
                    .singleElement()
                    .asString()
                    .startsWith("INFO tcp-")
                    .endsWith("closed: no import within 1000 ms of connecting");
            await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> server.activeConnections() == 0);
        }
        LegitimateClient.importAndStream(sim, server.port());
    }

    /**
     * An import with no whole request and no reply for the idle timeout is closed; a peer that trickles a
     * request one byte at a time does not keep it alive.
     */
    @Test
    void anIdleImportIsClosedAtTheIdleTimeoutAndATrickledRequestDoesNotKeepItAlive() throws Exception {
        UsbIpServer server = started(server().idleTimeout(Duration.ofSeconds(1)));
        try (LogCapture log = new LogCapture()) {
            UsbIpTestClient c = client(server);
            int devid = c.importDevice("1-1").devid();
            ticker.advance(Duration.ofSeconds(1));
            server.checkConnections();
            assertThat(closings(log))
                    .as("exactly the idle timeout is not past it")
                    .isEmpty();
            c.control(1, devid, UsbIpTestClient.GET_STATUS, null); // traffic: the idle time starts again
            assertThat(LegitimateClient.awaitReply(sim, c).status()).isZero();

            byte[] header = new byte[48];
            header[3] = 1; // CMD_SUBMIT, never finished
            for (int i = 0; i < 20; i++) { // a byte "a second"
                c.out.write(header[i]);
                c.out.flush();
                ticker.advance(Duration.ofMillis(50));
                server.checkConnections();
            }
            assertThat(closings(log)).as("1000 ms since the last request").isEmpty();
            c.out.write(header[20]);
            c.out.flush();
            ticker.advance(NANO);
            server.checkConnections();
            assertThat(c.poll(WAIT_SECONDS * 1000)).isEqualTo(UsbIpTestClient.CLOSED);
            assertThat(closings(log)).singleElement().asString().endsWith("closed: idle for 1000 ms");
            await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> server.activeConnections() == 0);
        }
        LegitimateClient.importAndStream(sim, server.port());
    }

    /** A reply the peer does not read is given the write timeout, to the nanosecond, and not a moment more. */
    @Test
    void aReplyThePeerDoesNotReadIsGivenExactlyTheWriteTimeout() throws Exception {
        UsbIpServer server = server().writeTimeout(Duration.ofSeconds(10)).build();
        toClose.add(server);
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream toServer = new PipedOutputStream(serverIn);
        PipedInputStream fromServer = new PipedInputStream(1024);
        PipedOutputStream serverOut = new PipedOutputStream(fromServer);
        toClose.add(fromServer); // frees a writer still blocked on the pipe
        toClose.add(toServer); // and the reader blocked on the other
        Thread serving = new Thread(() -> server.serve(serverIn, serverOut), "stdio-server");
        serving.setDaemon(true);
        serving.start();
        try (LogCapture log = new LogCapture()) {
            UsbIpTestClient c = new UsbIpTestClient(fromServer, toServer, toServer);
            int devid = c.importDevice("1-1", false).devid();
            for (int seqnum = 1; seqnum <= 200; seqnum++) { // -ENOENT each: 9600 bytes of replies
                c.submit(seqnum, devid, 1, 9, 0, 64, 0, 0, null, null, null);
            }
            // the writer is blocked once the 1 KiB pipe is full: nobody reads it
            await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                    .until(() -> fromServer.available() == 1024 && server.writesUnderWay() == 1);
            ticker.advance(Duration.ofSeconds(10));
            server.checkConnections();
            assertThat(closings(log)).isEmpty();
            assertThat(serving.isAlive()).isTrue();

            ticker.advance(NANO);
            server.checkConnections();
            serving.join(WAIT_SECONDS * 1000);
            assertThat(serving.isAlive()).as("serve() returned").isFalse();
            assertThat(closings(log))
                    .singleElement()
                    .asString()
                    .endsWith("closed: the peer does not read (a reply waited 10000 ms)");
            assertThat(server.activeConnections()).isZero();
        }
    }

    /**
     * The import of a device unplugged mid-URB ends at once, by the bus's notice of the departure (no
     * watchdog runs here to poll for it); the other import is untouched and every budget is returned.
     */
    @Test
    void aDeviceUnpluggedMidUrbEndsItsImportByNotificationAndTheOtherPeerKeepsWorking() throws Exception {
        UsbIpServer server = started(server());
        try (LogCapture log = new LogCapture()) {
            UsbIpTestClient victim = client(server);
            int devid = victim.importDevice("1-1").devid();
            victim.submit(1, devid, 1, 2, 0, 512, 0, 0, null, null, null); // a bulk IN that stays pending
            UsbIpTestClient other = client(server);
            int mic = other.importDevice("1-2").devid();
            await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> server.bufferedBytes() == 512);

            sim.detach(loopback);
            UsbIpTestClient.Reply r;
            do {
                r = victim.poll(WAIT_SECONDS * 1000);
                assertThat(r).as("a reply or the end within 10 s").isNotNull();
            } while (!r.closed()); // the URB's -ESHUTDOWN may make it out first
            assertThat(closings(log))
                    .singleElement()
                    .asString()
                    .startsWith("INFO tcp-")
                    .endsWith("closed: device 1-1 (sim:1-1) was detached from the bus");
            await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> server.activeConnections() == 1);
            assertThat(server.bufferedBytes()).isZero();

            Thread bus = advancing();
            try {
                UsbIpTestClient.Reply packets = other.readMicrophonePackets(mic);
                assertThat(packets).isNotNull();
                assertThat(packets.status()).isZero();
                assertThat(packets.errorCount()).isZero();
            } finally {
                bus.interrupt();
                bus.join(WAIT_SECONDS * 1000);
            }
            try (UsbIpTestClient late = UsbIpTestClient.connect(server.port())) {
                assertThat(late.devlist())
                        .extracting(UsbIpTestClient.Device::busId)
                        .containsExactly("1-2");
                assertThat(late.importDevice("1-1")).as("gone: not importable").isNull();
            }
        }
    }

    /** A device that leaves the bus between two imports is refused, and its departure is not announced twice. */
    @Test
    void aDeviceUnpluggedBeforeTheImportIsRefused() throws Exception {
        UsbIpServer server = started(server());
        sim.detach(loopback);
        try (LogCapture log = new LogCapture();
                UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.importDevice("1-1")).isNull();
            assertThat(c.closedByServer()).isTrue();
            await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                    .until(() -> log.lines().stream().anyMatch(l -> l.contains("refused (detached from the bus)")));
        }
    }

    /** Runs the virtual bus in the background (interrupt to stop; at most 10 s of wall time). */
    private Thread advancing() {
        Thread t = new Thread(
                () -> {
                    long end = System.nanoTime() + WAIT_SECONDS * 1_000_000_000L;
                    while (!Thread.currentThread().isInterrupted() && System.nanoTime() < end) {
                        sim.advanceFrames(1);
                        try {
                            Thread.sleep(0, 100_000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "bus");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void thePeerLogAllowsABurstThenOneLineASecondAndCountsTheRest() {
        Logger logger = (Logger) LoggerFactory.getLogger("usbip-peer-log-test");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.setAdditive(false);
        try {
            PeerLog peers = new PeerLog(logger, ticker);
            for (int i = 0; i < PeerLog.BURST + 5; i++) {
                peers.warn("line {}", i);
            }
            assertThat(appender.list).hasSize(PeerLog.BURST);
            ticker.advance(Duration.ofSeconds(1).minus(NANO));
            peers.summarise();
            peers.info("held back");
            assertThat(appender.list).as("no token before a whole second").hasSize(PeerLog.BURST);
            ticker.advance(NANO);
            peers.summarise();
            assertThat(appender.list).hasSize(PeerLog.BURST + 1);
            assertThat(appender.list.get(PeerLog.BURST).getFormattedMessage())
                    .startsWith("6 more messages about peers were not logged");
            assertThat(appender.list.get(PeerLog.BURST).getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
        } finally {
            logger.detachAppender(appender);
        }
    }
}
