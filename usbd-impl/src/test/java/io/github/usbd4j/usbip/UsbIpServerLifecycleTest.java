package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
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
        sim = SimulatedHostController.builder().build();
        sim.start(new HostListener() {
            @Override
            public void deviceAttached(BackendDevice device) {}

            @Override
            public void deviceDetached(BackendDevice device) {}
        });
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
}
