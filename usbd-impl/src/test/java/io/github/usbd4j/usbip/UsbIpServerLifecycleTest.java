package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a server holds over its life (the usbip.html page: "close() returns once they have ended"): the
 * threads and sockets it starts, when it starts them, and that nothing of them is left when it cannot
 * start or has closed. Everything runs on loopback.
 */
class UsbIpServerLifecycleTest {
    private SimulatedHostController sim;
    private SimulatedDevice loopback;

    @BeforeEach
    void setUp() {
        sim = NoRuntime.startedBus();
        loopback = sim.attach(LoopbackDevice.fullSpeed());
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    /** Live threads of USB/IP servers (they are all named usbip-...). */
    private static long serverThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("usbip-"))
                .count();
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /**
     * The one-line idiom {@code builder(host)...build().start()} leaves the caller nothing to close when
     * the port is taken: the server must not keep the unbound socket or a watchdog thread. It kept both,
     * one of each per failed start (a thread that woke every 100 ms for the life of the JVM).
     */
    @Test
    void aStartThatCannotListenLeavesNoThreadAndNoSocket() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "counts open files in /proc/self/fd (Linux)");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long threads = serverThreads();
            long files = openFiles();
            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> UsbIpServer.builder(sim)
                                .device("1-1", loopback)
                                .port(taken.getLocalPort())
                                .build()
                                .start())
                        .isInstanceOf(BindException.class);
            }
            assertThat(serverThreads())
                    .as("threads of servers that never listened")
                    .isEqualTo(threads);
            assertThat(openFiles()).as("open files after 20 failed starts").isLessThan(files + 10);
        }
    }

    @Test
    void aServerThatWasBuiltButNeverStartedHoldsNoThread() {
        long threads = serverThreads();
        UsbIpServer.builder(sim).device("1-1", loopback).port(0).build();
        assertThat(serverThreads()).isEqualTo(threads);
    }

    /**
     * A peer that sends its last request, closes its side and only then reads: the replies queued by then
     * all go out, however long the peer takes within the write timeout (the limits table on usbip.html).
     * The server waited 2 s for them and then closed the connection under its writer, a hidden second
     * limit: the peer got the first kilobyte and then the end of the stream. Over streams, whose pipe
     * blocks deterministically once 1 KiB is unread.
     */
    @Test
    void repliesQueuedWhenThePeerClosesItsSideAllGoOutWithinTheWriteTimeout() throws Exception {
        ManualTicker ticker = new ManualTicker();
        Piped p = serveOverPipes(
                UsbIpServer.builder(sim).device("1-1", loopback).ticker(ticker).build());
        try {
            // bulk INs to an endpoint the device does not have: the reading thread answers each (-ENOENT)
            // before it reads on, so all 200 replies are queued when it meets the end of the requests
            importQueueAndCloseRequests(p);
            int urbs = 200;
            PipedInputStream clientIn = p.fromServer();
            Thread serving = p.serving();
            // the peer reads late: on the wall clock past the old 2 s cut-off, on the server's clock at
            // the very end of the 10 s write timeout
            Thread.sleep(2_500);
            ticker.advance(java.time.Duration.ofSeconds(10));
            p.server().checkConnections();

            List<Integer> seqnums = new ArrayList<>();
            DataInputStream in = new DataInputStream(clientIn);
            byte[] header = new byte[48];
            try {
                for (int i = 0; i < urbs; i++) {
                    in.readFully(header);
                    var h = java.nio.ByteBuffer.wrap(header);
                    assertThat(h.getInt(0)).as("RET_SUBMIT").isEqualTo(3);
                    assertThat(h.getInt(20)).as("status").isEqualTo(UsbIpStatus.ENOENT);
                    seqnums.add(h.getInt(4));
                }
            } catch (EOFException e) {
                // checked below
            }
            assertThat(seqnums).as("every URB answered, in order").hasSize(urbs);
            assertThat(seqnums.get(urbs - 1)).isEqualTo(urbs);
            serving.join(10_000);
            assertThat(serving.isAlive())
                    .as("serve() returns once the replies are out")
                    .isFalse();
            assertThat(in.read()).as("then the stream ends").isEqualTo(-1);
        } finally {
            p.server().close();
        }
    }

    /** A server over streams with the peer's ends: requests go to {@code toServer}, replies come from {@code fromServer}. */
    private record Piped(UsbIpServer server, Thread serving, PipedOutputStream toServer, PipedInputStream fromServer) {}

    private Piped serveOverPipes(UsbIpServer server) throws IOException {
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream toServer = new PipedOutputStream(serverIn);
        PipedInputStream fromServer = new PipedInputStream(1024);
        PipedOutputStream serverOut = new PipedOutputStream(fromServer);
        Thread serving = new Thread(() -> server.serve(serverIn, serverOut), "stdio-server");
        serving.start();
        return new Piped(server, serving, toServer, fromServer);
    }

    /** Imports 1-1 and leaves 200 replies (9600 bytes) queued behind a 1 KiB pipe nobody reads, then ends the requests. */
    private static void importQueueAndCloseRequests(Piped p) throws IOException {
        UsbIpTestClient c = new UsbIpTestClient(p.fromServer(), p.toServer(), p.toServer());
        int devid = c.importDevice("1-1", false).devid();
        for (int seqnum = 1; seqnum <= 200; seqnum++) {
            c.submit(seqnum, devid, 1, 9, 0, 64, 0, 0, null, null, null);
        }
        p.toServer().close();
    }

    /** The wait for the last replies is bounded: by the write timeout, and by close(). */
    @Test
    void aPeerThatClosesItsSideAndNeverReadsIsClosedAfterTheWriteTimeout() throws Exception {
        ManualTicker ticker = new ManualTicker();
        Piped p = serveOverPipes(UsbIpServer.builder(sim)
                .device("1-1", loopback)
                .writeTimeout(java.time.Duration.ofMillis(300))
                .ticker(ticker)
                .build());
        try (LogCapture log = new LogCapture()) {
            importQueueAndCloseRequests(p);
            // the writer is blocked once the 1 KiB pipe is full: nobody reads it
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(10))
                    .until(() ->
                            p.fromServer().available() == 1024 && p.server().writesUnderWay() == 1);
            ticker.advance(java.time.Duration.ofMillis(300));
            p.server().checkConnections();
            assertThat(p.serving().isAlive()).as("not before the write timeout").isTrue();
            ticker.advance(java.time.Duration.ofNanos(1));
            p.server().checkConnections();
            p.serving().join(10_000);
            assertThat(p.serving().isAlive()).isFalse();
            assertThat(log.lines()).anyMatch(l -> l.contains("the peer does not read"));
            assertThat(p.server().activeConnections()).isZero();
        } finally {
            p.server().close();
        }
    }

    @Test
    void closingTheServerEndsAConnectionWaitingForItsLastRepliesToGoOut() throws Exception {
        Piped p =
                serveOverPipes(UsbIpServer.builder(sim).device("1-1", loopback).build()); // 10 s write timeout
        importQueueAndCloseRequests(p);
        long t0 = System.nanoTime();
        p.server().close();
        p.serving().join(10_000);
        assertThat(p.serving().isAlive()).isFalse();
        assertThat(p.server().activeConnections()).isZero();
        assertThat(System.nanoTime() - t0).as("well before the write timeout").isLessThan(5_000_000_000L);
    }
}
