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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import java.util.function.LongSupplier;
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
 * <p>Peers are untrusted. Only allowed addresses are served (loopback unless configured); every
 * connection is bounded in time, memory and slots, as the table on {@link Builder} lists; a peer that
 * does not read, idles or hogs slots is dropped or evicted. A device detached from the bus is no longer
 * listed or importable, and its import is closed (as usbip-host does on unplug). A malformed request gets an error status
 * ({@code -EINVAL}, {@code -ENOENT}) when the stream is still in step, and otherwise closes the
 * connection; nothing escapes a server thread. Refused, evicted and dropped peers are logged (WARN for
 * refusals and protocol violations, INFO for timeouts and evictions), at most a burst of 20 lines and
 * then one a second, the rest counted in a summary line.
 */
public final class UsbIpServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(UsbIpServer.class);
    private static final Pattern BUS_ID = Pattern.compile("([1-9][0-9]{0,4})-[0-9][0-9.]{0,24}");
    /** How long {@link #close()} waits for the server's threads to end. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How often the watchdog checks the time rules (so a limit is enforced at most this late). */
    private static final long WATCHDOG_MILLIS = 100;

    /** The default USB/IP port. */
    public static final int DEFAULT_PORT = 3240;

    /** The default idle timeout after an import, in seconds (see {@link Builder#idleTimeout}). */
    public static final int DEFAULT_IDLE_SECONDS = 60;

    /** The limits of a server, fixed when it is built. */
    record Limits(
            int maxConnections,
            int maxHandshakesPerAddress,
            int maxUrbsInFlight,
            long maxBytesInFlight,
            int maxTransferBufferLength,
            int maxIsoPackets,
            long handshakeTimeoutNanos,
            long idleTimeoutNanos,
            long writeTimeoutNanos) {}

    /** A connection's place in the server: who, since when, and whether it has imported (not evictable). */
    private static final class Slot {
        final UsbIpConnection connection;
        /** The peer's address; {@code null} for a connection over streams. */
        final InetAddress address;

        final long since;
        boolean imported;

        Slot(UsbIpConnection connection, InetAddress address, long since) {
            this.connection = connection;
            this.address = address;
            this.since = since;
        }
    }

    private final SimulatedHostController host;
    private final Map<String, ExportedDevice> devices;
    private final Limits limits;
    private final AccessList allowed;
    private final InetAddress bindAddress;
    private final int requestedPort;
    /** The time every rule about peers is measured on: {@link System#nanoTime()}, or a test's clock. */
    private final LongSupplier ticker;
    /** Whether the watchdog runs by itself (every {@value #WATCHDOG_MILLIS} ms) or only when a test runs it. */
    private final boolean selfTimed;

    private final PeerLog peers;
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final ScheduledExecutorService watchdog;
    /** Threads this server started (accept, connections, writers), joined by {@link #close()}. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    // guarded by itself; oldest first
    private final List<Slot> slots = new ArrayList<>();
    // guarded by slots
    private boolean closed;
    // guarded by slots
    private boolean watchdogStarted;

    private volatile ServerSocket serverSocket;

    /**
     * A timeout in nanoseconds; one beyond {@code long} nanoseconds (292 years) is as good as never, not an
     * overflow (the checks compare elapsed times with it, which cannot overflow).
     */
    private static long nanos(Duration d) {
        return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
    }

    private UsbIpServer(Builder b) {
        this.host = b.host;
        this.ticker = b.ticker != null ? b.ticker : System::nanoTime;
        this.selfTimed = b.ticker == null;
        this.peers = new PeerLog(LOG, ticker);
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
                b.maxHandshakesPerAddress,
                b.maxUrbsInFlight,
                b.maxBytesInFlight,
                b.maxTransferBufferLength,
                b.maxIsoPackets,
                nanos(b.handshakeTimeout),
                nanos(b.idleTimeout),
                nanos(b.writeTimeout));
        this.allowed = b.allowed;
        this.bindAddress = b.bindAddress;
        this.requestedPort = b.port;
        // its thread starts with the first task (startWatchdog): a server that never serves holds none
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "usbip-watchdog");
            t.setDaemon(true);
            threads.add(t); // joined by close() like the others
            return t;
        });
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
     * Binding beyond loopback logs a warning: the simulated devices are then reachable from the network
     * (by the allowed peers).
     *
     * @return this
     * @throws IOException if the port cannot be bound; the server then holds no socket and no thread
     *     (nothing to close), and may be started again
     */
    public synchronized UsbIpServer start() throws IOException {
        synchronized (slots) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
        }
        if (serverSocket != null) {
            throw new IllegalStateException("already started");
        }
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bindAddress, requestedPort), 16);
            serverSocket = s;
            synchronized (slots) {
                if (closed) { // close() ran meanwhile, maybe before it could see s
                    throw new IllegalStateException("closed");
                }
            }
            startWatchdog();
            startThread("usbip-accept", () -> acceptLoop(s));
        } catch (IOException | RuntimeException | Error e) {
            // the caller of builder()...build().start() has nothing to close: keep nothing open
            serverSocket = null;
            closeQuietly(s);
            throw e;
        }
        LOG.info(
                "USB/IP server on {} exporting {}, peers allowed: {}",
                s.getLocalSocketAddress(),
                devices.keySet(),
                allowed);
        String warning = bindWarning(bindAddress, allowed);
        if (warning != null) {
            LOG.warn("{}", warning);
        }
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
        synchronized (slots) {
            return slots.size();
        }
    }

    /**
     * Serves one connection over a pair of streams until it ends (the peer closes, a protocol error, a
     * timeout, or {@link #close()}) and the replies queued by then have gone out (within the write
     * timeout); returns then, with both streams closed, even when a read is still blocked on a stream that
     * closing does not wake (a pipe, stdin): that read's thread ends when the read returns. An interrupt
     * of the calling thread ends the connection too.
     * The peer is not checked against the allowed addresses (there is no address: the caller chose it),
     * and it counts toward the connection limit: over it, the streams are closed at once.
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
        String name = "stdio-" + connectionIds.incrementAndGet();
        UsbIpConnection c = new UsbIpConnection(this, name, in, out, closer);
        startWatchdog();
        if (!admit(c, null)) {
            closeQuietly(closer);
            return;
        }
        // on a thread of its own: closing a pipe or stdin does not wake a read blocked on it, so after a
        // timeout or close() the reader may stay blocked, but the connection has ended and serve() returns
        Thread reader = startThread("usbip-" + name, c::run);
        try {
            c.awaitEnd();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.abort("interrupted", false);
        }
        // the connection has ended and holds nothing: a read still blocked on the stream (stdin) ends when
        // it returns, and close() does not wait for it (it would wait its whole 5 s, and warn)
        threads.remove(reader);
    }

    /**
     * Stops listening, ends every connection and stops the watchdog; the devices stay attached. Returns
     * once the threads the server started have ended (at most a few seconds).
     */
    @Override
    public void close() {
        List<Slot> left;
        synchronized (slots) {
            closed = true;
            left = new ArrayList<>(slots);
        }
        ServerSocket s = serverSocket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing the server socket: {}", e.toString());
            }
        }
        for (Slot slot : left) {
            slot.connection.abort("server closing", false);
        }
        watchdog.shutdownNow();
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        for (Thread t : List.copyOf(threads)) {
            if (t == Thread.currentThread()) {
                continue;
            }
            long remaining = deadline - System.nanoTime();
            try {
                if (remaining > 0) {
                    TimeUnit.NANOSECONDS.timedJoin(t, remaining);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (t.isAlive()) {
                LOG.warn("{} did not end within {} s of close()", t.getName(), CLOSE_WAIT_NANOS / 1_000_000_000L);
            }
        }
    }

    // ---- internals --------------------------------------------------------------------------------

    /** The warning to log when listening on {@code bind}, or {@code null} for a loopback address. */
    static String bindWarning(InetAddress bind, AccessList allowed) {
        if (bind.isLoopbackAddress()) {
            return null;
        }
        if (allowed.isLoopbackOnly()) {
            return "USB/IP server listening on " + bind.getHostAddress() + ", beyond loopback, but only loopback"
                    + " peers are allowed (" + allowed + "): allow the peers that should import the devices";
        }
        return "USB/IP server listening on " + bind.getHostAddress() + ", beyond loopback: peers in " + allowed
                + " can import the simulated devices, without authentication or encryption";
    }

    Limits limits() {
        return limits;
    }

    BusClock clock() {
        return host;
    }

    /** Now, on the time the rules about peers are measured on (monotonic nanoseconds). */
    long nanoTime() {
        return ticker.getAsLong();
    }

    PeerLog peerLog() {
        return peers;
    }

    List<ExportedDevice> exportedDevices() {
        return new ArrayList<>(devices.values());
    }

    ExportedDevice find(String busId) {
        return devices.get(busId);
    }

    /** Bytes the connections hold for URBs and replies now (their in-flight budgets); for tests. */
    long bufferedBytes() {
        long n = 0;
        synchronized (slots) {
            for (Slot slot : slots) {
                n += slot.connection.bufferedBytes();
            }
        }
        return n;
    }

    /** Connections whose reply is being written now (blocked, if the peer does not read); for tests. */
    int writesUnderWay() {
        int n = 0;
        synchronized (slots) {
            for (Slot slot : slots) {
                n += slot.connection.isWriting() ? 1 : 0;
            }
        }
        return n;
    }

    /** Starts a daemon thread that the server joins when it closes. */
    Thread startThread(String name, Runnable body) {
        Thread t = new Thread(
                () -> {
                    try {
                        body.run();
                    } catch (RuntimeException | Error e) {
                        peers.error("{} failed", Thread.currentThread().getName(), e);
                    } finally {
                        threads.remove(Thread.currentThread());
                    }
                },
                name);
        t.setDaemon(true);
        threads.add(t);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            threads.remove(t);
            throw e;
        }
        return t;
    }

    /**
     * Moves a connection from the handshake to the URB phase, where it is no longer evicted for a new
     * client. {@code false} if it was evicted or the server is closing.
     */
    boolean enterUrbPhase(UsbIpConnection c) {
        synchronized (slots) {
            for (Slot slot : slots) {
                if (slot.connection == c) {
                    slot.imported = !closed;
                    return !closed;
                }
            }
            return false;
        }
    }

    void connectionEnded(UsbIpConnection c) {
        synchronized (slots) {
            slots.removeIf(slot -> slot.connection == c);
        }
    }

    /**
     * Gives a new connection a slot. A peer address with {@code maxHandshakesPerAddress} unfinished
     * handshakes loses its oldest one; a full server evicts the oldest handshake of the address with the
     * most of them. Only when every slot holds an import is the newcomer refused ({@code false}).
     */
    private boolean admit(UsbIpConnection c, InetAddress address) {
        Slot victim;
        boolean refused = false;
        long now = nanoTime();
        synchronized (slots) {
            if (closed) {
                return false;
            }
            victim = address == null ? null : oldestHandshakeAtLimit(address);
            if (victim == null && slots.size() >= limits.maxConnections()) {
                victim = busiestHandshake();
                refused = victim == null;
            }
            if (!refused) {
                if (victim != null) {
                    slots.remove(victim);
                }
                slots.add(new Slot(c, address, now));
            }
        }
        if (refused) {
            peers.warn("refused {}: all {} connections have imported a device", c.name(), limits.maxConnections());
            return false;
        }
        if (victim != null) {
            peers.info(
                    "{}: evicted after {} ms without an import, to admit {}",
                    victim.connection.name(),
                    TimeUnit.NANOSECONDS.toMillis(now - victim.since),
                    c.name());
            victim.connection.abort("evicted", false);
        }
        return true;
    }

    /** The address's oldest unfinished handshake if it holds {@code maxHandshakesPerAddress} of them. */
    // guarded by slots
    private Slot oldestHandshakeAtLimit(InetAddress address) {
        Slot oldest = null;
        int n = 0;
        for (Slot slot : slots) { // oldest first
            if (!slot.imported && address.equals(slot.address)) {
                n++;
                oldest = oldest == null ? slot : oldest;
            }
        }
        return n >= limits.maxHandshakesPerAddress() ? oldest : null;
    }

    /** The oldest unfinished handshake of the peer address that has the most of them; null if none. */
    // guarded by slots
    private Slot busiestHandshake() {
        Map<Object, Integer> counts = new HashMap<>();
        for (Slot slot : slots) {
            if (!slot.imported) {
                counts.merge(slot.address == null ? STREAMS : slot.address, 1, Integer::sum);
            }
        }
        Slot best = null;
        int bestCount = 0;
        for (Slot slot : slots) { // oldest first: on a tie the older one wins
            if (!slot.imported) {
                int n = counts.get(slot.address == null ? STREAMS : slot.address);
                if (n > bestCount) {
                    best = slot;
                    bestCount = n;
                }
            }
        }
        return best;
    }

    /** The key connections over streams share in {@link #busiestHandshake()}. */
    private static final Object STREAMS = new Object();

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket socket;
            try {
                socket = s.accept();
            } catch (IOException e) {
                if (s.isClosed()) {
                    break;
                }
                // e.g. out of file descriptors: do not spin
                peers.warn("accept failed: {}", e.toString());
                pause();
                continue;
            }
            try {
                accept(socket);
            } catch (RuntimeException | Error e) {
                peers.error("cannot serve a connection from {}", socket.getRemoteSocketAddress(), e);
                closeQuietly(socket);
                pause();
            }
        }
        LOG.debug("accept loop ended");
    }

    private void accept(Socket socket) {
        InetAddress peer = socket.getInetAddress();
        String name = "tcp-" + connectionIds.incrementAndGet() + " (" + hostAndPort(socket) + ")";
        if (!allowed.allows(peer)) {
            peers.warn("refused {}: {} is not an allowed peer (allowed: {})", name, peer.getHostAddress(), allowed);
            closeQuietly(socket);
            return;
        }
        UsbIpConnection c;
        try {
            socket.setTcpNoDelay(true);
            c = new UsbIpConnection(this, name, socket.getInputStream(), socket.getOutputStream(), socket);
        } catch (IOException e) {
            peers.info("{}: cannot serve: {}", name, e.toString());
            closeQuietly(socket);
            return;
        }
        if (!admit(c, peer)) {
            closeQuietly(socket);
            return;
        }
        try {
            startThread("usbip-" + name.substring(0, name.indexOf(' ')), c::run);
        } catch (RuntimeException | Error e) {
            connectionEnded(c);
            throw e;
        }
    }

    private static String hostAndPort(Socket socket) {
        return UsbIpMain.hostAndPort(socket.getInetAddress(), socket.getPort());
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the watchdog when the server first serves (a no-op once closed: close() stops it). */
    private void startWatchdog() {
        synchronized (slots) { // scheduled before close() shuts the executor down, or not at all
            if (watchdogStarted || closed) {
                return;
            }
            watchdogStarted = true;
            if (!selfTimed) {
                return; // a test's clock: the test runs checkConnections() when it has moved it
            }
            // checkConnections catches and logs its own failures, so the future has nothing to report
            var unused = watchdog.scheduleWithFixedDelay(
                    this::checkConnections, WATCHDOG_MILLIS, WATCHDOG_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The watchdog: ends connections past a time limit (handshake deadline, idle import, a peer that does
     * not read) and logs the summary of held-back lines. Runs every {@value #WATCHDOG_MILLIS} ms, or when
     * a test that gave the server its clock runs it.
     */
    void checkConnections() {
        try {
            long now = nanoTime();
            List<Slot> snapshot;
            synchronized (slots) {
                snapshot = new ArrayList<>(slots);
            }
            for (Slot slot : snapshot) {
                String why = slot.connection.overdue(now);
                if (why != null) {
                    slot.connection.abort(why, true);
                }
            }
            peers.summarise();
        } catch (RuntimeException e) {
            peers.error("watchdog failed", e);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("close failed: {}", e.toString());
        }
    }

    /**
     * Builds a {@link UsbIpServer}. Every limit a peer meets, with its default and where to change it:
     *
     * <table class="striped">
     *   <caption>USB/IP server limits</caption>
     *   <thead><tr><th>Limit</th><th>Default</th><th>Builder</th><th>Command line</th></tr></thead>
     *   <tbody>
     *   <tr><td>Peers allowed to connect (checked at accept; refused peers are logged)</td>
     *       <td>loopback: {@code 127.0.0.0/8,::1/128}</td><td>{@link #allow}</td><td>{@code --allow}</td></tr>
     *   <tr><td>Connections at once (handshakes and imports)</td><td>8</td><td>{@link #maxConnections}</td>
     *       <td>-</td></tr>
     *   <tr><td>Unfinished handshakes from one peer address (a new one evicts its oldest)</td><td>4</td>
     *       <td>{@link #maxHandshakesPerAddress}</td><td>-</td></tr>
     *   <tr><td>Handshake: from connect to import, the whole of it</td><td>10 s</td>
     *       <td>{@link #handshakeTimeout}</td><td>-</td></tr>
     *   <tr><td>Requests in one handshake</td><td>16</td><td>fixed</td><td>-</td></tr>
     *   <tr><td>Idle import: nothing received and nothing sent</td><td>{@value UsbIpServer#DEFAULT_IDLE_SECONDS} s</td>
     *       <td>{@link #idleTimeout}</td><td>{@code --idle-seconds}</td></tr>
     *   <tr><td>A reply the peer does not read</td><td>10 s</td><td>{@link #writeTimeout}</td><td>-</td></tr>
     *   <tr><td>URBs and unlinks in flight per connection</td><td>256</td><td>{@link #maxUrbsInFlight}</td>
     *       <td>-</td></tr>
     *   <tr><td>Buffer bytes in flight per connection</td><td>4 MiB</td><td>{@link #maxBytesInFlight}</td>
     *       <td>-</td></tr>
     *   <tr><td>{@code transfer_buffer_length} of one URB</td><td>1 MiB</td>
     *       <td>{@link #maxTransferBufferLength}</td><td>-</td></tr>
     *   <tr><td>{@code number_of_packets} of one URB</td><td>1024</td><td>{@link #maxIsoPackets}</td>
     *       <td>-</td></tr>
     *   </tbody>
     * </table>
     *
     * <p>When every slot is taken, a new client evicts the oldest unfinished handshake of the peer
     * address with the most of them, so it is admitted at once; it is refused only when every slot holds
     * an import. During the handshake a reply is written before the next request is read: a peer that
     * does not read holds no buffered replies, only its own blocked connection until the handshake
     * deadline. After an import, a connection holds at most its in-flight budget: the URB buffers count
     * their {@code transfer_buffer_length} and 64 bytes per isochronous packet, one URB may overshoot the
     * byte budget, and a buffer lives at most twice (the URB's and its reply's), so one import costs at most
     * about 2 &times; ({@code maxBytesInFlight} + {@code maxTransferBufferLength}) of heap, 10 MiB with the
     * defaults, plus about 1 KiB per URB in flight; a handshake costs a few KiB. The server runs one thread
     * per connection, one more per import, an accept thread and a watchdog.
     */
    public static final class Builder {
        private final SimulatedHostController host;
        private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private AccessList allowed = AccessList.LOOPBACK;
        private int port = DEFAULT_PORT;
        private int maxConnections = 8;
        private int maxHandshakesPerAddress = 4;
        private int maxUrbsInFlight = 256;
        private long maxBytesInFlight = 4L << 20;
        private int maxTransferBufferLength = 1 << 20;
        private int maxIsoPackets = 1024;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(DEFAULT_IDLE_SECONDS);
        private Duration writeTimeout = Duration.ofSeconds(10);
        private LongSupplier ticker;

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
         * simulated devices to the network (to the peers {@link #allow allowed}); {@link #start()} logs a
         * warning.
         *
         * @param address the address
         * @return this
         */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The peers that may connect over TCP, as IPv4 or IPv6 address blocks in CIDR notation; loopback
         * ({@code 127.0.0.0/8,::1/128}) unless set. A bare address is a block of one; host names are
         * not accepted. Replaces the previous list. A peer outside the list is closed at accept and
         * logged with its address; {@link #serve(InputStream, OutputStream) streams} are not checked.
         *
         * @param blocks e.g. {@code "10.0.0.0/8"}, {@code "192.168.1.0/24,fd00::/8"} (several per argument,
         *     separated by commas)
         * @return this
         * @throws IllegalArgumentException for an empty list, a host name, a bad prefix, or bits set beyond
         *     the prefix ({@code 10.1.2.3/8})
         */
        public Builder allow(String... blocks) {
            this.allowed = AccessList.parse(blocks);
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
         * Connections served at once (TCP and streams together, handshakes and imports); 8 unless set.
         * When all are taken, a new client evicts an unfinished handshake, and is refused only when
         * every connection has imported a device.
         *
         * @param n 1 or more
         * @return this
         */
        public Builder maxConnections(int n) {
            this.maxConnections = check(n, 1, 1024, "maxConnections");
            return this;
        }

        /**
         * Unfinished handshakes one peer address may hold; 4 unless set. A new connection from an address
         * at the limit evicts that address's oldest handshake, so that one peer cannot hold every slot.
         *
         * @param n 1 or more
         * @return this
         */
        public Builder maxHandshakesPerAddress(int n) {
            this.maxHandshakesPerAddress = check(n, 1, 1024, "maxHandshakesPerAddress");
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
         * Buffer bytes a connection may have in flight (URB buffers and their replies, 64 bytes per
         * isochronous packet); 4 MiB unless set (one URB is always allowed). Beyond it the server stops
         * reading that connection until replies have gone out.
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
         * How long a connection may take from connect to a successful import, all requests together (a
         * deadline, not restarted by a request); 10 s unless set. A connection past it is closed.
         *
         * @param d the time, positive
         * @return this
         */
        public Builder handshakeTimeout(Duration d) {
            this.handshakeTimeout = positive(d, "handshakeTimeout");
            return this;
        }

        /**
         * How long an importing connection may go without traffic (no request received and no reply sent)
         * before it is closed and its device freed; {@value UsbIpServer#DEFAULT_IDLE_SECONDS} s unless
         * set. {@link Duration#ZERO} disables it: then a client that imports and goes silent holds the
         * device until it disconnects, and one that leaves while the server waits at its in-flight limit
         * for URBs that never complete holds it until the server closes. A kernel that keeps an idle
         * device attached sends nothing: raise it (or disable it) for such use.
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

        /**
         * How long writing a reply may block because the peer does not read before the connection is
         * closed; 10 s unless set.
         *
         * @param d the time, positive
         * @return this
         */
        public Builder writeTimeout(Duration d) {
            this.writeTimeout = positive(d, "writeTimeout");
            return this;
        }

        /**
         * The clock the time limits are measured on, for tests: monotonic nanoseconds. With it, the
         * watchdog does not run by itself; the test runs {@link UsbIpServer#checkConnections()} after
         * moving the clock, so that a test of a limit asserts the limit, not a race with the wall clock.
         */
        Builder ticker(LongSupplier nanos) {
            this.ticker = Objects.requireNonNull(nanos, "nanos");
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
