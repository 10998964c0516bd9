package io.github.usbd4j.realkernel;

import io.github.usbd4j.usbip.UsbIpMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Unplugs that only the host can do, asked for by the guest: a guest scenario writes {@code request-<n>} (one
 * command) into the run's share and waits for {@code reply-<n>}, which the host side, polling the share while QEMU
 * runs, writes once it has done it. Commands:
 *
 * <ul>
 *   <li>{@code usbip-drop}: kills the host's USB/IP server processes (the guestfwd commands, which record their
 *       pids), so the guest kernel's connection to the exported device drops, as when a USB/IP server goes away;
 *   <li>{@code device_del <id>}: QEMU's monitor removes the device, as when a cable is pulled.
 * </ul>
 *
 * <p>The reply is {@code ok <detail>} or {@code error <detail>}. Unplugging from inside the guest ({@code usbip
 * detach}) is {@link GuestUsbIp}'s.
 */
final class HostRequests {
    private static final String REQUEST = "request-";
    private static final String REPLY = "reply-";
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final Path share;
    private final Path serverPids;
    private final Path qmpSocket;
    private final Path log;
    private final Set<String> done = new HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;

    private HostRequests(Path share, Path serverPids, Path qmpSocket, Path log) {
        this.share = share;
        this.serverPids = serverPids;
        this.qmpSocket = qmpSocket;
        this.log = log;
        this.thread = new Thread(this::serve, "qemu-guest-requests");
        thread.setDaemon(true);
    }

    // ---- host side ----------------------------------------------------------------------------------------------

    /** Serves the guest's requests until {@link #stop}. */
    static HostRequests start(Path share, Path serverPids, Path qmpSocket, Path log) {
        HostRequests h = new HostRequests(share, serverPids, qmpSocket, log);
        h.thread.start();
        return h;
    }

    void stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }

    private void serve() {
        while (running) {
            try (Stream<Path> s = Files.list(share)) {
                for (Path p : s.toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(REQUEST) && !name.endsWith(".tmp") && done.add(name)) {
                        String command =
                                Files.readString(p, StandardCharsets.UTF_8).strip();
                        long t0 = System.nanoTime();
                        String reply = execute(command);
                        note(command + " -> " + reply + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                        Path tmp = share.resolve(REPLY + name.substring(REQUEST.length()) + ".tmp");
                        Files.writeString(tmp, reply + "\n", StandardCharsets.UTF_8);
                        Files.move(
                                tmp,
                                share.resolve(REPLY + name.substring(REQUEST.length())),
                                StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                note("serving requests failed: " + e);
            }
        }
    }

    private String execute(String command) {
        try {
            if (command.equals("usbip-drop")) {
                List<ProcessHandle> servers = (Files.exists(serverPids)
                                ? Files.readAllLines(serverPids)
                                : List.<String>of())
                        .stream()
                                .map(l -> ProcessHandle.of(Long.parseLong(l.strip())))
                                .flatMap(java.util.Optional::stream)
                                .filter(p -> commandLine(p)
                                        .contains(UsbIpMain.class.getName())) // a live server, not a reused pid
                                .toList();
                servers.forEach(ProcessHandle::destroyForcibly);
                return servers.isEmpty() ? "error no USB/IP server runs" : "ok killed " + servers.size();
            }
            if (command.startsWith("device_del ")) {
                return qmp("{\"execute\":\"device_del\",\"arguments\":{\"id\":\""
                        + command.substring("device_del ".length()) + "\"}}");
            }
            return "error unknown request " + command;
        } catch (IOException | RuntimeException e) {
            return "error " + e;
        }
    }

    /**
     * A process's command line from {@code /proc} ({@code ProcessHandle.Info} may give none for one as long as a
     * server's, whose class path names every jar).
     */
    private static String commandLine(ProcessHandle p) {
        try {
            return new String(
                    Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return ""; // it ended
        }
    }

    /** One QMP command after the capabilities handshake; the reply line ({@code return} or {@code error}). */
    private String qmp(String command) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(qmpSocket))) {
            BufferedReader in = new BufferedReader(Channels.newReader(ch, StandardCharsets.UTF_8));
            Writer out = Channels.newWriter(ch, StandardCharsets.UTF_8);
            in.readLine(); // the greeting
            out.write("{\"execute\":\"qmp_capabilities\"}\n");
            out.flush();
            String r = reply(in);
            if (!r.contains("\"return\"")) {
                return "error " + r;
            }
            out.write(command + "\n");
            out.flush();
            r = reply(in);
            return (r.contains("\"return\"") ? "ok " : "error ") + r;
        }
    }

    /** The next line that answers a command; events in between are skipped. */
    private static String reply(BufferedReader in) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains("\"return\"") || line.contains("\"error\"")) {
                return line;
            }
        }
        return "the monitor closed the connection";
    }

    private void note(String line) {
        try {
            Files.writeString(
                    log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("host requests: " + line);
        }
    }

    // ---- guest side ---------------------------------------------------------------------------------------------

    /**
     * Asks the host for {@code command} and waits for its reply.
     *
     * @return the host's detail after {@code ok}
     * @throws AssertionError if the host answered {@code error} or not within {@code timeoutMillis}
     */
    static String request(String command, long timeoutMillis) throws IOException, InterruptedException {
        Path share = Path.of(System.getProperty(GuestMain.RESULTS_PROPERTY)).getParent();
        int n = NEXT.incrementAndGet();
        Path tmp = share.resolve(REQUEST + n + ".tmp");
        Files.writeString(tmp, command + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, share.resolve(REQUEST + n), StandardCopyOption.ATOMIC_MOVE);
        Path reply = share.resolve(REPLY + n);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!Files.exists(reply)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the host did not answer " + command + " within " + timeoutMillis + " ms");
            }
            Thread.sleep(10);
        }
        String r = Files.readString(reply, StandardCharsets.UTF_8).strip();
        if (!r.startsWith("ok")) {
            throw new AssertionError("the host could not " + command + ": " + r);
        }
        return r.substring(2).strip();
    }
}
