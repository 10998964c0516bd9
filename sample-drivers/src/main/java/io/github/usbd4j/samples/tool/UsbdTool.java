package io.github.usbd4j.samples.tool;

import io.github.usbd4j.libusb.LibusbUnavailableException;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usbip.UsbIpMain;
import io.github.usbd4j.usbip.UsbIpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code usbd} command-line tool: runs the sample drivers on a backend and prints what they streamed,
 * a per-frame summary and a result line whose exit code tells the truth ({@link ExitCode}). The default
 * backend is {@code sim}, a simulated bus on a virtual clock (so a run of many seconds of bus time takes
 * a fraction of that); {@code --backend libusb} runs {@code list}, {@code play}, {@code record},
 * {@code camera}, {@code stream} and {@code loopback-test} on real devices through usb4java
 * ({@link LibusbBus}), in real time; {@code demo}, {@code replay} and {@code serve-usbip} are simulator commands and
 * refuse it. Streaming commands show a {@link Progress} display, can draw a {@link FramePlot}, write
 * their files whole or not at all, and stop cleanly on SIGINT and SIGTERM ({@link StreamRun}).
 */
@Command(
        name = "usbd",
        mixinStandardHelpOptions = true,
        version = "usbd 0.1.0-SNAPSHOT (usbd4j)",
        description = "Runs usbd4j's CE-style sample USB drivers and streams isochronous data.",
        subcommands = {
            LoopbackCommands.Demo.class,
            ListCommand.class,
            LoopbackCommands.LoopbackTest.class,
            PlayCommand.class,
            RecordCommand.class,
            CameraCommand.class,
            StreamCommand.class,
            ReplayCommand.class,
            UsbdTool.ServeUsbIp.class,
            DevFileCommand.class
        })
public final class UsbdTool implements Runnable {
    /** Backends the tool can run on. */
    public enum Backend {
        /** The simulated host controller, virtual clock. */
        sim,
        /** Real devices through usb4java. */
        libusb
    }

    /** The commands that run on the simulator only. */
    static final Set<String> SIM_ONLY = Set.of("demo", "replay", "serve-usbip");

    @Spec
    CommandSpec spec;

    @Option(
            names = "--backend",
            defaultValue = "sim",
            scope = ScopeType.INHERIT,
            description = "Backend: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); demo, replay and serve-usbip"
                    + " run on sim only, as does --replay.")
    Backend backend;

    @Option(
            names = "--debug",
            scope = ScopeType.INHERIT,
            description = "Show the stack trace of a failure and usbd4j's debug log.")
    boolean debug;

    /** Exits with the command's exit code. */
    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--debug")) {
            System.setProperty(ToolLogging.DEBUG_PROPERTY, "true"); // before anything logs: read once
        }
        Interruption.commandStarted();
        int code;
        try {
            code = execute(commandLine(), CheckedOutput.stdout(), args);
        } finally {
            Interruption.commandDone(); // after the last line: a signal's exit waits for it
        }
        System.exit(code);
    }

    /**
     * Runs {@code args} with {@code stdout} as the command's output. Output that could not be written in full
     * (a full disk, a pipe whose reader left) is said on stderr, and makes a run that would have exited 0 an
     * I/O error: its summary did not reach the reader.
     */
    static int execute(CommandLine cl, CheckedOutput stdout, String... args) {
        cl.setOut(stdout.writer());
        int code = cl.execute(args);
        cl.getOut().flush();
        IOException failure = stdout.failure();
        if (failure == null) {
            return code;
        }
        CommandLine command = cl;
        for (CommandLine.ParseResult p = cl.getParseResult(); p != null; p = p.subcommand()) {
            command = p.commandSpec().commandLine();
        }
        cl.getErr()
                .println(command.getCommandSpec().qualifiedName() + ": cannot write to standard output ("
                        + Tally.describe(failure) + "): what it printed was cut short");
        cl.getErr().flush();
        return code == ExitCode.OK.code() ? ExitCode.IO_ERROR.code() : code;
    }

    /**
     * The command line with the tool's handlers: a failure is one line on stderr and an {@link ExitCode},
     * never a stack trace unless {@code --debug}; every command's help ends with the exit codes.
     */
    public static CommandLine commandLine() {
        UsbdTool root = new UsbdTool();
        CommandLine cl = new CommandLine(root);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            String message = ex.getMessage();
            if (c == cl
                    && ex instanceof CommandLine.UnmatchedArgumentException u
                    && !u.getUnmatched().isEmpty()
                    && !u.getUnmatched().get(0).startsWith("-")) {
                // picocli's "Unmatched argument at index 0" for a misspelt command
                message = "unknown command '" + u.getUnmatched().get(0) + "'; the commands are "
                        + String.join(", ", c.getSubcommands().keySet());
            }
            c.getErr()
                    .println(c.getCommandSpec().qualifiedName() + ": " + message + " (see '"
                            + c.getCommandSpec().qualifiedName() + " --help')");
            jsonFailure(c, args, message, ExitCode.USAGE);
            if (root.debug) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return ExitCode.USAGE.code();
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            ToolException failure = asToolException(ex);
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + failure.getMessage());
            jsonFailure(c, parsed.originalArgs().toArray(String[]::new), failure.getMessage(), failure.exitCode());
            if (root.debug) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return failure.exitCode().code();
        });
        cl.setExecutionStrategy(parsed -> {
            List<CommandLine> chain = parsed.asCommandLineList();
            String name = chain.get(chain.size() - 1).getCommandName();
            if (root.backend == Backend.libusb && SIM_ONLY.contains(name)) {
                throw new ParameterException(
                        chain.get(chain.size() - 1),
                        "'" + name + "' runs on the simulator only, not on --backend libusb"
                                + (name.equals("demo")
                                        ? " (for a real loopback device: usbd --backend libusb loopback-test --device"
                                                + " VID:PID)"
                                        : ""));
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        exitCodes(cl);
        return cl;
    }

    /**
     * With {@code --json}, a failure is JSON on stdout too ({@code error}, {@code exitCode}), so that a script
     * reading stdout always gets a JSON document; stderr has the same one-line message as without it.
     */
    private static void jsonFailure(CommandLine c, String[] args, String message, ExitCode code) {
        if (c.getCommandSpec().findOption("--json") == null
                || !Arrays.asList(args).contains("--json")) {
            return;
        }
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("error", message);
        m.put("exitCode", code.code());
        c.getOut().print(Json.write(m));
        c.getOut().flush();
    }

    private static void exitCodes(CommandLine cl) {
        cl.getCommandSpec()
                .usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCode.helpList());
        cl.getSubcommands().values().forEach(UsbdTool::exitCodes);
    }

    /** Any failure of a command as a {@link ToolException}: its class decides the exit code. */
    static ToolException asToolException(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        if (t instanceof ToolException te) {
            return te;
        }
        if (t instanceof LibusbUnavailableException) {
            return new ToolException(ExitCode.NO_DEVICE, "USB is not available here: " + t.getMessage(), t);
        }
        if (t instanceof IOException io) {
            return new ToolException(ExitCode.IO_ERROR, Tally.describe(io), t);
        }
        StringWriter where = new StringWriter();
        StackTraceElement[] st = t.getStackTrace();
        where.append(st.length > 0 ? " at " + st[0] : "");
        return new ToolException(
                ExitCode.FAILURE, "internal error: " + t + where + " (a bug; run with --debug for the stack trace)", t);
    }

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(),
                "missing command: demo, list, loopback-test, play, record, camera, stream, replay, serve-usbip or"
                        + " devfile");
    }

    /** {@code "1.234 s"} of bus time. */
    static String seconds(long frames) {
        return String.format(Locale.ROOT, "%.3f s", frames / 1000.0);
    }

    /** {@code "1.23 s"} of wall time since {@code startNanos}. */
    static String wall(long startNanos) {
        return String.format(Locale.ROOT, "%.2f s", (System.nanoTime() - startNanos) / 1e9);
    }

    // ---- serve-usbip -----------------------------------------------------------------------------------

    /** {@code usbd serve-usbip}: {@link UsbIpServer} with the devices of {@link UsbIpMain}. */
    @Command(
            name = "serve-usbip",
            mixinStandardHelpOptions = true,
            description = "Serves built-in simulated devices, or devices replayed from usbmon captures (--replay), over"
                    + " USB/IP on a real-time bus, so that a Linux kernel can attach them with 'usbip attach' (vhci-hcd)."
                    + " Bus ids are 1-1, 1-2, ... in --device order, then --replay order.")
    static final class ServeUsbIp implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(
                names = "--device",
                paramLabel = "NAME",
                description = "Device to export, repeatable: loopback, loopback-hs, microphone, speaker, camera"
                        + " (default: loopback).")
        List<String> devices = new java.util.ArrayList<>();

        @Option(
                names = "--port",
                defaultValue = "" + UsbIpServer.DEFAULT_PORT,
                description = "TCP port, 0 for a free one (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--bind",
                description = "Address to listen on (default: the loopback address; any other address exposes the"
                        + " simulated devices to the network, to the peers --allow lists; a warning is logged).")
        String bind;

        @Option(
                names = "--allow",
                paramLabel = "CIDR[,CIDR]",
                description = "Peers that may connect, as IPv4/IPv6 address blocks (e.g. 10.0.0.0/8,fd00::/8;"
                        + " default: loopback only, 127.0.0.0/8 and ::1). Others are refused and logged.")
        List<String> allow = new java.util.ArrayList<>();

        @Option(
                names = "--idle-seconds",
                paramLabel = "N",
                description = "Close an import with no traffic for N seconds and free its device (default: "
                        + UsbIpServer.DEFAULT_IDLE_SECONDS
                        + "; with --stdio: never); 0 never does. A kernel keeping an unused device attached"
                        + " sends nothing: raise it for such use.")
        Long idleSeconds;

        @Option(
                names = "--seconds",
                defaultValue = "0",
                description = "Stop after this many seconds; 0 serves until interrupted (default).")
        long seconds;

        @Option(
                names = "--replay",
                paramLabel = "CAPTURE",
                description = "Also export the device of a usbmon capture (pcap or pcapng), rebuilt as a simulated"
                        + " device, after the --device ones (repeatable; without --device, only these).")
        List<java.nio.file.Path> replays = new java.util.ArrayList<>();

        @Option(names = "--loop", description = "With --replay: replay the captured IN data in a loop (default: once).")
        boolean loop;

        @Option(
                names = "--stdio",
                description = "Serve one connection on stdin/stdout instead of TCP (QEMU guestfwd=...-cmd:);"
                        + " messages go to stderr.")
        boolean stdio;

        @Override
        public Integer call() throws IOException {
            CommandLine cl = spec.commandLine();
            List<String> names = devices.isEmpty() && replays.isEmpty() ? List.of("loopback") : List.copyOf(devices);
            for (String n : names) {
                if (!UsbIpMain.DEVICE_NAMES.contains(n)) {
                    throw new ParameterException(
                            cl,
                            "--device must be one of " + String.join(", ", UsbIpMain.DEVICE_NAMES) + ", was '" + n
                                    + "'");
                }
            }
            if (port < 0 || port > 65535) {
                throw new ParameterException(cl, "--port must be 0..65535, was " + port);
            }
            if (seconds < 0) {
                throw new ParameterException(cl, "--seconds must be >= 0, was " + seconds);
            }
            if (idleSeconds != null && idleSeconds < 0) {
                throw new ParameterException(cl, "--idle-seconds must be >= 0, was " + idleSeconds);
            }
            if (stdio && (cl.getParseResult().hasMatchedOption("--port") || bind != null || !allow.isEmpty())) {
                throw new ParameterException(cl, "--stdio serves stdin/stdout: it takes no --port, --bind or --allow");
            }
            InetAddress address;
            try {
                address = bind == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(bind);
            } catch (java.net.UnknownHostException e) {
                throw new ParameterException(cl, "--bind: unknown address '" + bind + "'");
            }
            if (loop && replays.isEmpty()) {
                throw new ParameterException(cl, "--loop goes with --replay CAPTURE");
            }
            List<DeviceModel> models = new java.util.ArrayList<>();
            for (String n : names) {
                models.add(UsbIpMain.model(n));
            }
            for (java.nio.file.Path capture : replays) {
                ReplayOptions r = new ReplayOptions();
                r.capture = capture;
                r.loop = loop;
                r.validate(cl, false);
                models.add(r.open(cl));
            }
            // in --stdio mode stdout is the protocol stream: every message goes to stderr
            PrintWriter out = stdio ? cl.getErr() : cl.getOut();
            SimulatedHostController host = UsbIpMain.realTimeBus(UsbIpMain.needsHighSpeed(models));
            UsbIpServer server = null;
            // Ctrl-C or SIGTERM: stop serving, close the server, say so, then let the JVM exit (130, 143)
            Interruption.Run interruption = Interruption.begin();
            try {
                UsbIpServer.Builder b = UsbIpServer.builder(host);
                if (!allow.isEmpty()) {
                    try {
                        b.allow(allow.toArray(String[]::new));
                    } catch (IllegalArgumentException e) {
                        throw new ParameterException(cl, "--allow: " + e.getMessage());
                    }
                }
                b.idleTimeout(UsbIpMain.idleTimeout(idleSeconds, stdio));
                List<String> described = new java.util.ArrayList<>();
                for (int i = 0; i < models.size(); i++) {
                    String busId = "1-" + (i + 1);
                    SimulatedDevice sd = host.attach(models.get(i));
                    b.device(busId, sd);
                    var dd = sd.model().deviceDescriptor();
                    described.add(String.format(
                            Locale.ROOT,
                            "%s = %04x:%04x %s (%s, %s speed)",
                            busId,
                            dd.idVendor(),
                            dd.idProduct(),
                            sd.model().string(dd.iProduct()),
                            i < names.size() ? names.get(i) : "replay of " + replays.get(i - names.size()),
                            sd.speed().name().toLowerCase(Locale.ROOT)));
                }
                if (!stdio) {
                    b.port(port).bindAddress(address);
                }
                server = b.build();
                java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
                var unused = interruption.stopRequested().thenRun(done::countDown);
                if (stdio) {
                    UsbIpServer s = server;
                    Thread t = new Thread(
                            () -> {
                                s.serve(
                                        new java.io.FileInputStream(java.io.FileDescriptor.in),
                                        new java.io.FileOutputStream(java.io.FileDescriptor.out));
                                done.countDown();
                            },
                            "usbip-stdio");
                    t.setDaemon(true);
                    t.start();
                    out.println("usbd serve-usbip: serving " + String.join(", ", described) + " on stdin/stdout");
                } else {
                    try {
                        server.start();
                    } catch (java.net.BindException e) {
                        // its message ("Address already in use") names neither the address nor the port
                        throw new ToolException(
                                ExitCode.IO_ERROR,
                                "cannot listen on " + UsbIpMain.hostAndPort(address, port) + ": " + e.getMessage(),
                                e);
                    }
                    out.printf(
                            Locale.ROOT,
                            "usbd serve-usbip: USB/IP server on %s (real-time simulated bus) exporting:%n",
                            UsbIpMain.hostAndPort(address, server.port()));
                    for (String d : described) {
                        out.println("  " + d);
                    }
                    long idle = UsbIpMain.idleTimeout(idleSeconds, false).toSeconds();
                    out.println("peers allowed: " + (allow.isEmpty() ? "loopback only" : String.join(",", allow))
                            + (idle > 0 ? "; an import idle for " + idle + " s is closed" : ""));
                    out.println("attach from Linux (as root; vhci-hcd loaded with 'modprobe vhci-hcd'):");
                    for (String busId : server.busIds()) {
                        out.println("  " + attachCommand(address, server.port(), busId));
                    }
                    out.println(seconds > 0 ? "serving for " + seconds + " s" : "serving until interrupted (Ctrl-C)");
                }
                out.flush();
                long t0 = System.nanoTime();
                try {
                    if (seconds > 0) {
                        done.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
                    } else {
                        done.await();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // stop serving, keep the interrupt for the caller
                }
                server.close(); // before the last line: its imports have ended when it is printed
                boolean signalled = interruption.isStopRequested();
                out.println("usbd serve-usbip: " + (signalled ? "interrupted" : "stopped") + " after " + wall(t0));
                out.flush();
                return signalled ? ExitCode.INTERRUPTED.code() : 0;
            } finally {
                if (server != null) {
                    server.close();
                }
                host.close();
                interruption.close();
            }
        }

        /** The {@code usbip attach} line a Linux user types to reach this server. */
        static String attachCommand(InetAddress bound, int port, String busId) {
            String host;
            if (bound.isAnyLocalAddress()) {
                try {
                    host = InetAddress.getLocalHost().getHostName();
                } catch (java.net.UnknownHostException e) {
                    host = "THIS-HOST";
                }
            } else {
                host = bound.getHostAddress();
            }
            return "usbip " + (port == UsbIpServer.DEFAULT_PORT ? "" : "--tcp-port " + port + " ") + "attach -r " + host
                    + " -b " + busId;
        }
    }

    /** Parses {@code 0x81}, {@code 129}. */
    static final class HexInt implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            int n = v.startsWith("0x") ? Integer.parseInt(v.substring(2), 16) : Integer.parseInt(v);
            if (n < 0 || n > 0xFF) {
                throw new CommandLine.TypeConversionException("an endpoint address is 0x00..0xFF, was '" + value + "'");
            }
            return n;
        }
    }
}
