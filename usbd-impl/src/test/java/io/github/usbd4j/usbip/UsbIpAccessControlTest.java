package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code allow(...)} / {@code --allow}, end to end on loopback: a "not allowed" peer is another loopback
 * address (127.0.0.2, 127.0.0.3) outside a narrower list, or 127.0.0.1 outside a list without loopback;
 * that non-loopback peers are outside the default list is {@link AccessListTest}'s part.
 */
class UsbIpAccessControlTest {
    private static final InetAddress LOCALHOST = address("127.0.0.1");
    private static final InetAddress SECOND = address("127.0.0.2");
    private static final InetAddress THIRD = address("127.0.0.3");

    private SimulatedHostController sim;
    private UsbIpServer server;
    private LogCapture log;

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void setUp() {
        sim = NoRuntime.startedBus();
        log = new LogCapture();
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        log.close();
        sim.close();
    }

    private UsbIpServer start(UsbIpServer.Builder b) throws IOException {
        server = b.build().start();
        return server;
    }

    private UsbIpServer.Builder builder() {
        return UsbIpServer.builder(sim)
                .attach("1-1", LoopbackDevice.fullSpeed())
                .port(0);
    }

    private List<String> refusals() {
        return log.lines().stream().filter(l -> l.contains("refused")).toList();
    }

    @Test
    void aPeerOutsideTheAllowListIsClosedAtAcceptAndLoggedWithItsAddress() throws Exception {
        start(builder().allow("127.0.0.1/32"));
        try (UsbIpTestClient c = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND)) {
            assertThat(c.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !refusals().isEmpty());
        assertThat(refusals())
                .singleElement()
                .asString()
                .startsWith("WARN refused tcp-")
                .contains("(127.0.0.2:")
                .contains("127.0.0.2 is not an allowed peer (allowed: 127.0.0.1/32)");
        assertThat(server.activeConnections()).isZero();
        LegitimateClient.importAndStream(sim, server.port()); // 127.0.0.1 is served
    }

    @Test
    void anAllowListWithoutLoopbackRefusesALoopbackClient() throws Exception {
        start(builder().allow("10.0.0.0/8"));
        try (UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            assertThat(c.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !refusals().isEmpty());
        assertThat(refusals().get(0)).contains("127.0.0.1 is not an allowed peer (allowed: 10.0.0.0/8)");
    }

    @Test
    void theDefaultServesEveryLoopbackAddress() throws Exception {
        start(builder());
        for (InetAddress from : new InetAddress[] {LOCALHOST, SECOND, THIRD}) {
            try (UsbIpTestClient c = UsbIpTestClient.connect(LOCALHOST, server.port(), from)) {
                assertThat(c.devlist()).as("from " + from).hasSize(1);
            }
        }
        assertThat(refusals()).isEmpty();
    }

    @Test
    void ipv6LoopbackIsAllowedByDefaultAndRefusedByAnIpv4List() throws Exception {
        InetAddress v6 = address("::1");
        Assumptions.assumeTrue(canBind(v6), "no IPv6 loopback here");
        start(builder().bindAddress(v6));
        try (UsbIpTestClient c = UsbIpTestClient.connect(v6, server.port(), v6)) {
            assertThat(c.devlist()).hasSize(1);
        }
        server.close();
        start(builder().bindAddress(v6).allow("127.0.0.0/8"));
        try (UsbIpTestClient c = UsbIpTestClient.connect(v6, server.port(), v6)) {
            assertThat(c.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !refusals().isEmpty());
        assertThat(refusals().get(0)).contains("([0:0:0:0:0:0:0:1]:").contains("allowed: 127.0.0.0/8");
    }

    @Test
    void refusalsUnderAFloodAreRateLimitedAndSummarised() throws Exception {
        start(builder().allow("127.0.0.1/32"));
        int attempts = 200;
        long t0 = System.nanoTime();
        for (int i = 0; i < attempts; i++) {
            try (UsbIpTestClient c = UsbIpTestClient.connect(LOCALHOST, server.port(), SECOND)) {
                assertThat(c.closedByServer()).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> log.lines().stream().anyMatch(l -> l.contains("more messages about peers")));
        List<String> lines = log.lines();
        long refusedLines = lines.stream().filter(l -> l.contains("refused")).count();
        System.out.printf("%d refusals logged as %d lines and a summary%n", attempts, refusedLines);
        long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(refusedLines)
                .as("a burst, then one a second")
                .isBetween((long) PeerLog.BURST, PeerLog.BURST + seconds + 2);
        assertThat(lines.stream().filter(l -> l.contains("more messages about peers")))
                .first()
                .asString()
                .startsWith("WARN ");
        LegitimateClient.importAndStream(sim, server.port());
    }

    private static boolean canBind(InetAddress a) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(a, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
