package io.github.usbd4j.usbip;

import static io.github.usbd4j.usbip.UsbIpTestClient.GET_STATUS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class UsbIpLimitsAndRealTimeTest {
    @Test
    void urbsInFlightAreBoundedAndTheBudgetIsReturned() throws Exception {
        SimulatedHostController sim = NoRuntime.startedBus();
        SimulatedDevice lb = sim.attach(LoopbackDevice.fullSpeed());
        ManualTicker ticker = new ManualTicker();
        try (UsbIpServer server = UsbIpServer.builder(sim)
                .device("1-1", lb)
                .port(0)
                .maxUrbsInFlight(3)
                .idleTimeout(Duration.ofMillis(500))
                .ticker(ticker)
                .build()
                .start()) {
            UsbIpTestClient c = UsbIpTestClient.connect(server.port());
            int devid = c.importDevice("1-1").devid();
            c.submit(1, devid, 1, 2, 0, 64, 0, 0, null, null, null); // pending bulk IN
            c.submit(2, devid, 1, 2, 0, 64, 0, 0, null, null, null); // pending bulk IN
            for (int i = 0; i < 10; i++) {
                c.control(10 + i, devid, GET_STATUS, null);
                UsbIpTestClient.Reply r = advanceUntilReply(sim, c, 1000);
                assertThat(r).isNotNull();
                assertThat(r.seqnum()).isEqualTo(10 + i);
            }
            c.submit(3, devid, 1, 2, 0, 64, 0, 0, null, null, null); // third: the budget is full now
            c.control(30, devid, GET_STATUS, null);
            assertThat(advanceUntilReply(sim, c, 50))
                    .as("the server stops reading at the limit")
                    .isNull();
            // a client that stays at the limit without traffic (here: it left) is dropped after the idle timeout
            c.close();
            ticker.advance(Duration.ofMillis(500));
            server.checkConnections();
            assertThat(server.activeConnections())
                    .as("not before the idle timeout")
                    .isEqualTo(1);
            ticker.advance(Duration.ofNanos(1));
            server.checkConnections();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
            try (UsbIpTestClient again = UsbIpTestClient.connect(server.port())) {
                assertThat(again.importDevice("1-1")).isNotNull();
            }
        } finally {
            sim.close();
        }
    }

    private static UsbIpTestClient.Reply advanceUntilReply(SimulatedHostController sim, UsbIpTestClient c, int frames)
            throws InterruptedException {
        for (int i = 0; i < frames; i++) {
            UsbIpTestClient.Reply r = c.poll(1);
            if (r != null) {
                return r;
            }
            sim.advanceFrames(1);
        }
        return c.poll(1);
    }

    @Test
    void microphoneOverARealTimeBus() throws Exception {
        SimulatedHostController sim = SimulatedHostController.builder()
                .clockMode(SimulatedHostController.ClockMode.REAL_TIME)
                .build();
        sim.start(NoRuntime.LISTENER);
        try (UsbIpServer server = UsbIpServer.builder(sim)
                        .attach("2-1", new Uac1Microphone())
                        .port(0)
                        .build()
                        .start();
                UsbIpTestClient c = UsbIpTestClient.connect(server.port())) {
            UsbIpTestClient.Device d = c.importDevice("2-1");
            assertThat(d.busnum()).isEqualTo(2);
            c.control(1, d.devid(), new byte[] {0x01, 11, 1, 0, 1, 0, 0, 0}, new byte[0]);
            assertThat(c.poll(10_000).status()).isZero();
            int[] lengths = new int[16];
            Arrays.fill(lengths, 96);
            for (int urb = 0; urb < 4; urb++) {
                c.iso(100 + urb, d.devid(), 1, true, lengths, null);
            }
            int packets = 0;
            for (int urb = 0; urb < 4; urb++) {
                UsbIpTestClient.Reply r = c.poll(10_000);
                assertThat(r).isNotNull();
                assertThat(r.seqnum()).isEqualTo(100 + urb);
                for (int k = 0; k < 16; k++) {
                    if (r.iso()[k][3] == 0) {
                        packets++;
                    }
                }
                // packed IN data: walk the packets by their actual lengths
                int at = 0;
                for (int k = 0; k < 16; k++) {
                    int n = r.iso()[k][2];
                    if (n == 96) {
                        assertThat(Arrays.copyOfRange(r.data(), at, at + n))
                                .isEqualTo(Uac1Microphone.expectedPacket(r.startFrame() + k));
                    }
                    at += n;
                }
                assertThat(at).isEqualTo(r.actualLength());
            }
            assertThat(packets).as("packets delivered in real time").isPositive();
        } finally {
            sim.close();
        }
    }

    @Test
    void mainRejectsBadArgumentsAndRunsBounded() throws Exception {
        assertThatThrownBy(() -> UsbIpMain.run(new String[] {"--device", "toaster", "--port", "0"}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbIpMain.run(new String[] {"--stdio", "--port", "0"}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbIpMain.run(new String[] {"--port"})).isInstanceOf(IllegalArgumentException.class);
        assertThat(UsbIpMain.run(
                        new String[] {"--device", "microphone", "--device", "camera", "--port", "0", "--seconds", "1"}))
                .isZero();
    }

    /** A taken port: the message names the address and port it could not listen on (exit code 1 in main). */
    @Test
    void mainNamesTheAddressItCannotListenOn() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String port = String.valueOf(taken.getLocalPort());
            assertThatThrownBy(() -> UsbIpMain.run(new String[] {"--port", port, "--seconds", "1"}))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + port + ": ");
        }
    }

    @Test
    void anIpv6AddressAndPortAreWrittenWithBrackets() throws Exception {
        assertThat(UsbIpMain.hostAndPort(
                        java.net.InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                        3240))
                .isEqualTo("[0:0:0:0:0:0:0:1]:3240");
        assertThat(UsbIpMain.hostAndPort(java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 3240))
                .isEqualTo("127.0.0.2:3240");
    }

    /** A timeout beyond what a {@code long} holds in nanoseconds is as good as never: it once overflowed in build(). */
    @Test
    void timeoutsBeyondLongNanosecondsAreNever() throws Exception {
        SimulatedHostController sim = SimulatedHostController.builder().build();
        try (UsbIpServer server = UsbIpServer.builder(sim)
                .idleTimeout(Duration.ofSeconds(99_999_999_999_999_999L))
                .handshakeTimeout(Duration.ofSeconds(Long.MAX_VALUE))
                .writeTimeout(Duration.ofDays(200_000))
                .port(0)
                .build()) {
            assertThat(server).isNotNull();
        } finally {
            sim.close();
        }
    }

    @Test
    void builderRejectsBadSettings() {
        SimulatedHostController sim = SimulatedHostController.builder().build();
        SimulatedDevice lb = sim.attach(LoopbackDevice.fullSpeed());
        assertThatThrownBy(() -> UsbIpServer.builder(sim).device("bus1", lb).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbIpServer.builder(sim).device("1-1", lb).device("1-1", lb))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbIpServer.builder(sim).port(70000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbIpServer.builder(sim).maxConnections(0))
                .isInstanceOf(IllegalArgumentException.class);
        sim.close();
    }
}
