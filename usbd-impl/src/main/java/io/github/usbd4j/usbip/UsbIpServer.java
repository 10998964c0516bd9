package io.github.usbd4j.usbip;

import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A USB/IP device server (the exporting side, like Linux's {@code usbipd} with {@code usbip-host})
 * that serves {@link SimulatedDevice}s to a USB/IP client such as the Linux kernel's {@code vhci-hcd}
 * ({@code usbip attach -r HOST -b BUSID}).
 *
 * <p>It answers OP_REQ_DEVLIST and OP_REQ_IMPORT; after an import the connection carries
 * USBIP_CMD_SUBMIT / USBIP_RET_SUBMIT (control, bulk, interrupt and isochronous URBs) and
 * USBIP_CMD_UNLINK / USBIP_RET_UNLINK for that device. Outcomes are reported as Linux status codes
 * ({@link UsbIpStatus}). Isochronous URBs are scheduled like a Linux HCD does: a URB on an idle
 * endpoint starts at the bus's next frame, a URB queued behind others continues the stream, and with
 * {@code URB_ISO_ASAP} a stream that fell behind skips to the next frame. When serving a kernel, run
 * the simulator in {@link SimulatedHostController.ClockMode#REAL_TIME} mode; tests may use the virtual
 * clock and advance it while the client waits.
 *
 * <p>Transports: TCP ({@link #start()}, 127.0.0.1 and port 3240 unless configured) and one connection
 * over a pair of streams ({@link #serve(InputStream, OutputStream)}, e.g. stdin/stdout under QEMU's
 * {@code guestfwd=...-cmd:}).
 *
 * <p>Every connection is bounded (see {@link Builder}): connections at once, URBs and bytes in flight,
 * {@code transfer_buffer_length}, {@code number_of_packets}, handshake and idle time. A malformed
 * request gets an error status ({@code -EINVAL}, {@code -ENOENT}) when the stream is still in step,
 * and otherwise closes the connection; nothing escapes a server thread.
 */
public final class UsbIpServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(UsbIpServer.class);
    private static final Pattern BUS_ID = Pattern.compile("([1-9][0-9]{0,4})-[0-9][0-9.]{0,24}");

    /** The default USB/IP port. */
    public static final int DEFAULT_PORT = 3240;

    /** The limits of a server, fixed when it is built. */
    record Limits(
            int maxConnections,
            int maxUrbsInFlight,
            long maxBytesInFlight,
            int maxTransferBufferLength,
            int maxIsoPackets,
            long handshakeTimeoutNanos,
            long idleTimeoutNanos) {}

    private final SimulatedHostController host;
    private final Map<String, ExportedDevice> devices;
    private final Limits limits;
    private final InetAddress bindAddress;
    private final int requestedPort;
    private final Set<UsbIpConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final ScheduledExecutorService watchdog;

    private volatile ServerSocket serverSocket;
    private volatile boolean closed;

    private UsbIpServer(Builder b) {
        this.host = b.host;
        Map<String, ExportedDevice> map = new LinkedHashMap<>();
        int devnum = 2;
        for (Map.Entry<String, SimulatedDevice> e : b.devices.entrySet()) {
            var m = BUS_ID.matcher(e.getKey());
            if (!m.matches()) {
                throw new IllegalArgumentException("bus id '" + e.getKey() + "' is not like 1-1 or 2-1.3");
            }
            map.put(e.getKey(), new ExportedDevice(e.getKey(), e.getValue(), Integer.parseInt(m.group(1)), devnum++));
        }
        this.devices = map;
        this.limits = new Limits(
                b.maxConnections,
                b.maxUrbsInFlight,
                b.maxBytesInFlight,
                b.maxTransferBufferLength,
                b.maxIsoPackets,
                b.handshakeTimeout.toNanos(),
                b.idleTimeout.toNanos());
        this.bindAddress = b.bindAddress;
        this.requestedPort = b.port;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "usbip-watchdog");
            t.setDaemon(true);
            return t;
        });
        // checkIdle catches and logs its own failures, so the future has nothing to report
        var unused = watchdog.scheduleWithFixedDelay(this::checkIdle, 100, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * A builder for a server on this simulated bus.
     *
     * @param host the bus the served devices are attached to (its clock schedules iso URBs)
     * @return the builder
     */
    public static Builder builder(SimulatedHostController host) {
        return new Builder(host);
    }

    /**
     * Listens on TCP (the configured address and port) and serves each connection on its own thread.
     *
     * @return this
     * @throws IOException if the port cannot be bound
     */
    public synchronized UsbIpServer start() throws IOException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (serverSocket != null) {
            throw new IllegalStateException("already started");
        }
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(bindAddress, requestedPort), 16);
        serverSocket = s;
        Thread t = new Thread(() -> acceptLoop(s), "usbip-accept");
        t.setDaemon(true);
        t.start();
        LOG.info("USB/IP server on {} exporting {}", s.getLocalSocketAddress(), devices.keySet());
        return this;
    }

    /** The TCP port listened on, or -1 before {@link #start()}. */
    public int port() {
        ServerSocket s = serverSocket;
        return s == null ? -1 : s.getLocalPort();
    }

    /** The bus ids served, in order. */
    public List<String> busIds() {
        return List.copyOf(devices.keySet());
    }

    /** Connections being served now. */
    public int activeConnections() {
        return connectionCount.get();
    }

    /**
     * Serves one connection over a pair of streams on the calling thread until it ends (the peer
     * closes, a protocol error, a timeout, or {@link #close()}). Both streams are closed afterwards.
     * It counts toward the connection limit: over the limit the streams are closed at once.
     *
     * @param in requests
     * @param out replies
     */
    public void serve(InputStream in, OutputStream out) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Closeable closer = () -> {
            try {
                in.close();
            } finally {
                out.close();
            }
        };
        run("stdio-" + connectionIds.incrementAndGet(), in, out, closer);
    }

    /** Stops listening, ends every connection and stops the watchdog; the devices stay attached. */
    @Override
    public void close() {
        closed = true;
        ServerSocket s = serverSocket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing the server socket: {}", e.toString());
            }
        }
        for (UsbIpConnection c : connections) {
            c.abort("server closing");
        }
        watchdog.shutdownNow();
    }

    // ---- internals --------------------------------------------------------------------------------

    Limits limits() {
        return limits;
    }

    BusClock clock() {
        return host;
    }

    List<ExportedDevice> exportedDevices() {
        return new ArrayList<>(devices.values());
    }

    ExportedDevice find(String busId) {
        return devices.get(busId);
    }

    void connectionEnded(UsbIpConnection c) {
        if (connections.remove(c)) {
            connectionCount.decrementAndGet();
        }
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket socket;
            try {
                socket = s.accept();
            } catch (SocketException e) {
                break; // closed
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.toString());
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
                String name = "tcp-" + connectionIds.incrementAndGet();
                Thread t = new Thread(
                        () -> {
                            try {
                                run(name, socket.getInputStream(), socket.getOutputStream(), socket);
                            } catch (IOException e) {
                                LOG.info("{}: {}", name, e.toString());
                                closeQuietly(socket);
                            }
                        },
                        "usbip-" + name);
                t.setDaemon(true);
                t.start();
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot serve a connection: {}", e.toString());
                closeQuietly(socket);
            }
        }
        LOG.debug("accept loop ended");
    }

    private void run(String name, InputStream in, OutputStream out, Closeable closer) {
        if (closed || connectionCount.incrementAndGet() > limits.maxConnections()) {
            if (!closed) {
                connectionCount.decrementAndGet();
            }
            LOG.warn("{}: refused, {} connections already served", name, limits.maxConnections());
            closeQuietly(closer);
            return;
        }
        UsbIpConnection c = new UsbIpConnection(this, name, in, out, closer);
        connections.add(c);
        LOG.debug("{}: connected", name);
        c.run();
    }

    private void checkIdle() {
        try {
            long now = System.nanoTime();
            for (UsbIpConnection c : connections) {
                if (c.idleExpired(now)) {
                    c.abort("idle timeout");
                }
            }
        } catch (RuntimeException e) {
            LOG.error("watchdog failed", e);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("close failed: {}", e.toString());
        }
    }

    /** Builds a {@link UsbIpServer}. */
    public static final class Builder {
        private final SimulatedHostController host;
        private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port = DEFAULT_PORT;
        private int maxConnections = 4;
        private int maxUrbsInFlight = 256;
        private long maxBytesInFlight = 16L << 20;
        private int maxTransferBufferLength = 1 << 20;
        private int maxIsoPackets = 1024;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofMinutes(10);

        private Builder(SimulatedHostController host) {
            this.host = Objects.requireNonNull(host, "host");
        }

        /**
         * Exports a device already attached to the server's bus.
         *
         * @param busId the USB/IP bus id, e.g. {@code "1-1"}
         * @param device the device
         * @return this
         */
        public Builder device(String busId, SimulatedDevice device) {
            Objects.requireNonNull(busId, "busId");
            Objects.requireNonNull(device, "device");
            if (devices.putIfAbsent(busId, device) != null) {
                throw new IllegalArgumentException("bus id " + busId + " is taken");
            }
            return this;
        }

        /**
         * Attaches a model to the server's bus and exports it.
         *
         * @param busId the USB/IP bus id, e.g. {@code "1-1"}
         * @param model the device model
         * @return this
         */
        public Builder attach(String busId, DeviceModel model) {
            return device(busId, host.attach(model));
        }

        /**
         * The address to listen on; the loopback address unless set. Anything else exposes the
         * simulated devices to the network.
         *
         * @param address the address
         * @return this
         */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The TCP port; {@value UsbIpServer#DEFAULT_PORT} unless set, 0 for an ephemeral one.
         *
         * @param port 0..65535
         * @return this
         */
        public Builder port(int port) {
            this.port = check(port, 0, 65535, "port");
            return this;
        }

        /**
         * Connections served at once (TCP and streams together); 4 unless set.
         *
         * @param n 1 or more
         * @return this
         */
        public Builder maxConnections(int n) {
            this.maxConnections = check(n, 1, 1024, "maxConnections");
            return this;
        }

        /**
         * URBs (and unlink requests) a connection may have in flight; 256 unless set. Beyond it the
         * server stops reading that connection until replies have gone out.
         *
         * @param n 1 or more
         * @return this
         */
        public Builder maxUrbsInFlight(int n) {
            this.maxUrbsInFlight = check(n, 1, 65536, "maxUrbsInFlight");
            return this;
        }

        /**
         * Buffer bytes a connection may have in flight; 16 MiB unless set (one URB is always allowed).
         *
         * @param n 1 or more
         * @return this
         */
        public Builder maxBytesInFlight(long n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxBytesInFlight " + n);
            }
            this.maxBytesInFlight = n;
            return this;
        }

        /**
         * The largest {@code transfer_buffer_length} accepted; 1 MiB unless set. A larger one closes the
         * connection.
         *
         * @param n 0 or more
         * @return this
         */
        public Builder maxTransferBufferLength(int n) {
            this.maxTransferBufferLength = check(n, 0, 64 << 20, "maxTransferBufferLength");
            return this;
        }

        /**
         * The largest {@code number_of_packets} accepted; 1024 unless set. A larger one closes the
         * connection.
         *
         * @param n 1 or more
         * @return this
         */
        public Builder maxIsoPackets(int n) {
            this.maxIsoPackets = check(n, 1, 1 << 16, "maxIsoPackets");
            return this;
        }

        /**
         * How long a connection may take to import a device (or between handshake requests), and how
         * long it may stay blocked at its in-flight limit before it is closed; 10 s unless set.
         *
         * @param d the time, positive
         * @return this
         */
        public Builder handshakeTimeout(Duration d) {
            this.handshakeTimeout = positive(d, "handshakeTimeout");
            return this;
        }

        /**
         * How long an importing connection may send nothing (no complete request) before it is closed;
         * 10 min unless set. {@link Duration#ZERO} disables it.
         *
         * @param d the time, 0 or more
         * @return this
         */
        public Builder idleTimeout(Duration d) {
            Objects.requireNonNull(d, "idleTimeout");
            if (d.isNegative()) {
                throw new IllegalArgumentException("idleTimeout " + d);
            }
            this.idleTimeout = d;
            return this;
        }

        /** The server (not listening yet: call {@link UsbIpServer#start()} or {@link UsbIpServer#serve}). */
        public UsbIpServer build() {
            return new UsbIpServer(this);
        }

        private static int check(int v, int min, int max, String what) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(what + " " + v + " outside " + min + ".." + max);
            }
            return v;
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " " + d);
            }
            return d;
        }
    }
}
