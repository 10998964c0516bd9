package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.audio.Uac1MicrophoneDriver;
import io.github.usbd4j.samples.audio.Uac1SpeakerDriver;
import io.github.usbd4j.samples.audio.WavFile;
import io.github.usbd4j.samples.iso.GenericStreamDriver;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.samples.iso.StreamStats;
import io.github.usbd4j.samples.loopback.LoopbackTestDriver;
import io.github.usbd4j.samples.uvc.UvcCameraDriver;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.sim.SimulatedDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.Uac1Speaker;
import io.github.usbd4j.sim.UvcCamera;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.usbip.UsbIpMain;
import io.github.usbd4j.usbip.UsbIpServer;
import io.github.usbd4j.win32.Win32;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code usbd} command-line tool: runs the sample drivers on a backend and prints what they streamed
 * and a per-frame summary. The default backend is {@code sim}, a simulated bus on a virtual clock (so a
 * run of many seconds of bus time takes a fraction of that); {@code --backend libusb} runs {@code stream}
 * and {@code play} on a real device through usb4java ({@link LibusbBus}), in real time. Streaming commands show a {@link Progress}
 * display and can draw a {@link FramePlot}; {@code serve-usbip} serves simulated devices to a real
 * kernel over USB/IP on a real-time bus.
 */
@Command(
        name = "usbd",
        mixinStandardHelpOptions = true,
        version = "usbd 0.1.0-SNAPSHOT (usbd4j)",
        description = "Runs usbd4j's CE-style sample USB drivers and streams isochronous data.",
        subcommands = {
            UsbdTool.Demo.class,
            UsbdTool.ListDevices.class,
            UsbdTool.LoopbackTest.class,
            UsbdTool.Play.class,
            UsbdTool.Record.class,
            UsbdTool.Camera.class,
            UsbdTool.Stream.class,
            ReplayCommand.class,
            UsbdTool.ServeUsbIp.class,
            DevFileCommand.class
        })
public final class UsbdTool implements Runnable {
    /** Backends the tool can run on. */
    public enum Backend {
        /** The simulated host controller, virtual clock. */
        sim,
        /** Real devices through usb4java (commands {@code stream} and {@code play}). */
        libusb
    }

    /** Real devices get this long to appear and be taken by the driver. */
    static final long ATTACH_WAIT_FRAMES = 10_000;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--backend",
            defaultValue = "sim",
            scope = ScopeType.INHERIT,
            description = "Backend: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Backend backend;

    /** Exits with the command's exit code. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with the tool's error handlers: one line on stderr, never a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new UsbdTool());
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr()
                    .println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see '"
                            + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return c.getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (t instanceof java.nio.file.NoSuchFileException) {
                msg = "no such file: " + msg;
            }
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + msg);
            c.getErr().flush();
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(),
                "missing command: demo, list, loopback-test, play, record, camera, stream, replay, serve-usbip or"
                        + " devfile");
    }

    // ---- shared ---------------------------------------------------------------------------------------

    /** Bus frames run between two looks at the progress display. */
    private static final long PROGRESS_CHUNK_FRAMES = 50;

    /**
     * Runs the bus until the driver finished (stopping it after {@code maxFrames}), showing progress on
     * {@code out}; fails if the driver never attached.
     *
     * @param targetFrames the bus frames the run should take, 0 if unknown (progress display only)
     * @return the bus frames run
     */
    static long runToEnd(
            ToolBus bus, IsochStreamingDriver d, String what, long maxFrames, long targetFrames, PrintWriter out) {
        if (!d.isAttached() && !d.isFinished()) {
            throw new IllegalStateException("the " + what + " driver did not accept the device");
        }
        long start = bus.frame();
        Progress progress = Progress.forCommand(out, targetFrames);
        // in chunks: the virtual clock runs as fast as the machine, the display needs a look now and then
        while (!d.isFinished() && bus.frame() - start < maxFrames) {
            bus.runUntil(d::isFinished, Math.min(PROGRESS_CHUNK_FRAMES, maxFrames - (bus.frame() - start)));
            progress.update(bus.frame() - start, d.stats());
        }
        progress.done();
        if (!d.isFinished()) {
            d.stop();
        }
        return bus.frame() - start;
    }

    /** Options of every streaming command. */
    static final class StreamingOptions {
        @Option(
                names = "--plot",
                paramLabel = "FILE.png",
                description = "Also draw the per-frame timeline (actual length per frame, error frames marked by"
                        + " USB_ERROR) as a PNG.")
        Path plot;

        @Option(
                names = "--capture",
                paramLabel = "FILE.pcapng",
                description = "Also capture every transfer into a pcapng file in the Linux usbmon format, for"
                        + " Wireshark (written as it goes; valid after Ctrl-C).")
        Path captureFile;

        @Option(
                names = "--capture-snaplen",
                paramLabel = "BYTES",
                description = "With --capture: data bytes kept per record, 0 for headers and packet descriptors only"
                        + " (default: all, up to 512 KiB).")
        Integer captureSnapLength;

        private FramePlot framePlot;
        private io.github.usbd4j.host.CaptureTap captureTap;

        /** Opens the capture {@code --capture} asks for, or {@code null}; the runtime given it closes it. */
        io.github.usbd4j.host.CaptureTap capture(CommandLine cl) {
            if (captureFile == null) {
                return null;
            }
            Path dir = captureFile.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new ParameterException(cl, "--capture: no such directory: " + dir);
            }
            int snap = captureSnapLength == null ? io.github.usbd4j.host.CaptureTap.MAX_SNAP_LENGTH : captureSnapLength;
            if (snap < 0 || snap > io.github.usbd4j.host.CaptureTap.MAX_SNAP_LENGTH) {
                throw new ParameterException(
                        cl,
                        "--capture-snaplen must be 0.." + io.github.usbd4j.host.CaptureTap.MAX_SNAP_LENGTH + ", was "
                                + snap);
            }
            try {
                captureTap = io.github.usbd4j.host.CaptureTap.toFile(
                        captureFile, io.github.usbd4j.host.CaptureTap.DEFAULT_MAX_BYTES, snap);
            } catch (IOException e) {
                throw new ParameterException(cl, "--capture: cannot write " + captureFile + ": " + e.getMessage());
            }
            return captureTap;
        }

        /** Checks the options and, with {@code --plot}, makes the driver record every frame. */
        void prepare(CommandLine cl, IsochStreamingDriver d, String title) {
            if (plot == null) {
                return;
            }
            Path dir = plot.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new ParameterException(cl, "--plot: no such directory: " + dir);
            }
            framePlot = new FramePlot(title);
            d.addFrameListener(framePlot);
        }

        /** Prints the per-frame summary and writes the plot, if one was asked for. */
        void finish(PrintWriter out, IsochStreamingDriver d) throws IOException {
            printSummary(out, d);
            if (captureTap != null) {
                out.printf(
                        Locale.ROOT,
                        "capture: %d usbmon records so far in %s (usbmon pcapng, for Wireshark); the runtime adds"
                                + " the last ones as it closes%s%n",
                        captureTap.records(),
                        captureFile,
                        captureTap.droppedRecords() > 0
                                ? "; " + captureTap.droppedRecords() + " left out at the size cap"
                                : captureTap.failed() ? "; writing FAILED, see the log" : "");
            }
            if (framePlot != null) {
                framePlot.write(plot);
                out.printf(Locale.ROOT, "per-frame plot (%d frames) written to %s%n", framePlot.frames(), plot);
                out.flush();
            }
        }
    }

    /** The per-frame summary every run ends with. */
    static void printSummary(PrintWriter out, IsochStreamingDriver d) {
        out.println("per-frame summary:");
        for (IsochStream s : d.streams()) {
            StreamStats st = s.stats();
            out.printf(Locale.ROOT, "  %s 0x%02X: %s%n", s.isIn() ? "IN " : "OUT", s.endpointAddress(), st.summary());
            for (Map.Entry<Integer, String> e : s.issueErrors().entrySet()) {
                out.printf(Locale.ROOT, "    IssueIsochTransfer refused: %s (%d)%n", e.getValue(), e.getKey());
            }
        }
        if (d.streams().size() > 1) {
            out.println("  total   : " + d.stats().summary());
        }
        out.flush();
    }

    /** {@code "046d:0825"} as {vendor, product}; a parameter error otherwise. */
    static int[] vidPid(CommandLine cl, String device) {
        String[] vp = device == null ? new String[0] : device.split(":");
        try {
            if (vp.length == 2) {
                int vid = Integer.parseInt(vp[0], 16);
                int pid = Integer.parseInt(vp[1], 16);
                if ((vid & ~0xFFFF) == 0 && (pid & ~0xFFFF) == 0) {
                    return new int[] {vid, pid};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(cl, "--device must be VID:PID in hex, was '" + device + "'");
    }

    /** Waits for a real device to arrive and be taken by {@code d}; fails with what to check if not. */
    static void awaitRealDevice(ToolBus bus, IsochStreamingDriver d, String device) {
        if (!bus.runUntil(() -> d.isAttached() || d.isFinished(), ATTACH_WAIT_FRAMES)) {
            throw new IllegalStateException("no device " + device + " was taken within "
                    + seconds(ATTACH_WAIT_FRAMES) + ": is it plugged in, may this user open it (udev rule), and"
                    + " does it have the interface, alternate setting and endpoint asked for? (see 'usbd list')");
        }
    }

    static String seconds(long frames) {
        return String.format(Locale.ROOT, "%.3f s", frames / 1000.0);
    }

    static String wall(long startNanos) {
        return String.format(Locale.ROOT, "%.2f s", (System.nanoTime() - startNanos) / 1e9);
    }

    // ---- loopback-test and demo -----------------------------------------------------------------------

    /** The loopback test: shared by {@code demo} and {@code loopback-test}. */
    abstract static class LoopbackBase implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(
                names = "--seed",
                defaultValue = "42",
                description = "Fault-injection seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @CommandLine.Mixin
        StreamingOptions streaming;

        abstract UsbSpeed speed();

        abstract int alternateSetting();

        abstract long frames();

        abstract double errorRate();

        abstract long[] missedFrames();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            if (frames() < 1) {
                throw new ParameterException(spec.commandLine(), "--seconds/--frames must be positive");
            }
            try (SimBus bus = new SimBus(speed(), seed, streaming.capture(spec.commandLine()))) {
                LoopbackTestDriver d = new LoopbackTestDriver(alternateSetting(), frames());
                d.speed(speed());
                streaming.prepare(
                        spec.commandLine(),
                        d,
                        String.format(
                                Locale.ROOT,
                                "usbd %s: loopback 1209:0001, %s speed, interface 0 alt %d, seed %d",
                                spec.name(),
                                speed() == UsbSpeed.HIGH ? "high" : "full",
                                alternateSetting(),
                                seed));
                bus.register("LoopbackTest", LoopbackTestDriver.settings(), d);
                FaultPlan.Builder faults = FaultPlan.builder();
                if (errorRate() > 0) {
                    faults.packetErrorRate(0x81, errorRate(), PacketStatus.CRC);
                }
                for (long f : missedFrames()) {
                    faults.missedFrame(f);
                }
                out.printf(
                        Locale.ROOT,
                        "usbd %s: simulated %s-speed bus (virtual clock), loopback device 1209:0001%n",
                        spec.name(),
                        speed() == UsbSpeed.HIGH ? "high" : "full");
                bus.attach(
                        speed() == UsbSpeed.HIGH ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed(),
                        faults.build());
                if (!d.isAttached()) {
                    throw new IllegalStateException("the loopback driver did not accept interface 0 alternate setting "
                            + alternateSetting() + ": " + Win32.errorName(Win32.getLastError()));
                }
                IsochStream o = d.outStream();
                out.printf(
                        Locale.ROOT,
                        "driver LoopbackTest: interface 0 alt %d, iso OUT 0x01 + iso IN 0x81, up to %d bytes per frame,"
                                + " %d transfers x %d frames in flight per pipe, %s%n",
                        alternateSetting(),
                        o.maxFrameLength(),
                        o.queueShape()[1],
                        o.queueShape()[0],
                        UsbTypes.flagNames(IsochStreamingDriver.BASE_FLAGS));
                if (errorRate() > 0 || missedFrames().length > 0) {
                    out.printf(
                            Locale.ROOT,
                            "faults injected: USB_CRC_ERROR on %.2f %% of IN frames, missed frames %s%n",
                            errorRate() * 100,
                            java.util.Arrays.toString(missedFrames()));
                }
                long target = speed() == UsbSpeed.HIGH ? (frames() + 7) / 8 : frames();
                long busFrames = runToEnd(bus, d, "loopback", frames() + 10_000, target, out);
                StreamStats out1 = o.stats();
                StreamStats in1 = d.inStream().stats();
                out.printf(Locale.ROOT, "streamed %s of bus time in %s of wall time:%n", seconds(busFrames), wall(t0));
                out.printf(
                        Locale.ROOT,
                        "  OUT 0x01: %d frames, %d bytes written (pattern, 1..%d bytes a frame)%n",
                        out1.frames(),
                        out1.bytes(),
                        o.maxFrameLength());
                out.printf(
                        Locale.ROOT,
                        "  IN  0x81: %d frames, %d bytes read; %d packets (%d bytes) verified byte-exact,"
                                + " %d mismatched%n",
                        in1.frames(),
                        in1.bytes(),
                        d.verifiedPackets(),
                        d.verifiedBytes(),
                        d.mismatchCount());
                List<LoopbackTestDriver.FrameError> errors = d.frameErrors();
                if (!errors.isEmpty()) {
                    out.println("frames with errors"
                            + (errors.size() > 10 ? " (first 10 of " + errors.size() + ")" : "") + ":");
                    errors.stream().limit(10).forEach(e -> out.println("  " + e));
                }
                for (LoopbackTestDriver.Mismatch m :
                        d.mismatches().subList(0, Math.min(5, d.mismatches().size()))) {
                    out.printf(
                            Locale.ROOT,
                            "  mismatch: packet %d read in frame %d: %s%n",
                            m.packet(),
                            m.busFrame(),
                            m.description());
                }
                streaming.finish(out, d);
                return d.mismatchCount() == 0 ? 0 : 3;
            }
        }
    }

    /** {@code usbd demo}. */
    @Command(
            name = "demo",
            mixinStandardHelpOptions = true,
            description = "Attaches the loopback device to a simulated full-speed bus (virtual clock), runs the"
                    + " LoopbackTestDriver for 10 s of bus time with a few injected faults, and prints what it"
                    + " streamed and a per-frame summary.")
    static final class Demo extends LoopbackBase {
        @Option(
                names = "--seconds",
                defaultValue = "10",
                description = "Bus time to stream (default: ${DEFAULT-VALUE}).")
        double secondsOfBusTime;

        @Option(names = "--no-faults", description = "Inject no faults.")
        boolean noFaults;

        @Override
        UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        int alternateSetting() {
            return 1;
        }

        @Override
        long frames() {
            return Math.round(secondsOfBusTime * 1000);
        }

        @Override
        double errorRate() {
            return noFaults ? 0 : 0.001;
        }

        @Override
        long[] missedFrames() {
            return noFaults || frames() < 5_000 ? new long[0] : new long[] {5_000};
        }
    }

    /** {@code usbd loopback-test}. */
    @Command(
            name = "loopback-test",
            mixinStandardHelpOptions = true,
            description = "usbtest-style iso loopback: writes a pattern on iso OUT, reads iso IN, verifies every byte"
                    + " and reports per-frame errors. Exit code 3 if any packet came back different.")
    static final class LoopbackTest extends LoopbackBase {
        @Option(names = "--speed", defaultValue = "full", description = "full or high (default: ${DEFAULT-VALUE}).")
        String speedName;

        @Option(
                names = "--alt",
                defaultValue = "1",
                description = "Alternate setting of interface 0 (default: ${DEFAULT-VALUE}).")
        int alt;

        @Option(
                names = "--frames",
                defaultValue = "10000",
                description = "Frames per direction (default: ${DEFAULT-VALUE}).")
        long frameCount;

        @Option(names = "--error-rate", defaultValue = "0", description = "Probability of a CRC error per IN frame.")
        double rate;

        @Option(names = "--missed-frame", description = "Bus frame the host controller misses (repeatable).")
        long[] missed = new long[0];

        @Override
        UsbSpeed speed() {
            return switch (speedName) {
                case "full" -> UsbSpeed.FULL;
                case "high" -> UsbSpeed.HIGH;
                default ->
                    throw new ParameterException(
                            spec.commandLine(), "--speed must be full or high, was '" + speedName + "'");
            };
        }

        @Override
        int alternateSetting() {
            return alt;
        }

        @Override
        long frames() {
            return frameCount;
        }

        @Override
        double errorRate() {
            if (rate < 0 || rate > 1) {
                throw new ParameterException(spec.commandLine(), "--error-rate must be 0..1, was " + rate);
            }
            return rate;
        }

        @Override
        long[] missedFrames() {
            return missed;
        }
    }

    // ---- list -------------------------------------------------------------------------------------------

    /** {@code usbd list}. */
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Lists the devices on the bus (the sim backend attaches its four built-in devices to a"
                    + " high-speed bus, or with --replay the device of a capture): interfaces, alternate settings,"
                    + " iso endpoints with bytes per interval.")
    static final class ListDevices implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        ReplayOptions replay = new ReplayOptions();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (SimBus bus = new SimBus(UsbSpeed.HIGH, 0)) {
                List<DeviceModel> models = replay.capture != null
                        ? List.of(replay.open(spec.commandLine()))
                        : List.of(LoopbackDevice.highSpeed(), new Uac1Speaker(), new Uac1Microphone(), new UvcCamera());
                for (DeviceModel m : models) {
                    bus.attach(m);
                }
                List<UsbDevice> infos = new java.util.ArrayList<>();
                for (UsbHandle h : bus.usbd().devices()) {
                    infos.add(bus.usbd().funcs().getDeviceInfo(h));
                }
                infos.sort(java.util.Comparator.comparingInt((UsbDevice u) ->
                        u.descriptor().idVendor() << 16 | u.descriptor().idProduct()));
                for (UsbDevice info : infos) {
                    var dd = info.descriptor();
                    SimulatedDevice sd = bus.sim().devices().stream()
                            .filter(x -> x.model().deviceDescriptor().idVendor() == dd.idVendor()
                                    && x.model().deviceDescriptor().idProduct() == dd.idProduct())
                            .findFirst()
                            .orElseThrow();
                    print(out, info, sd);
                }
                out.flush();
                return 0;
            }
        }

        /** One device as {@code usbd list} shows it. */
        static void print(PrintWriter out, UsbDevice info, SimulatedDevice sd) {
            var dd = info.descriptor();
            out.printf(
                    Locale.ROOT,
                    "%04x:%04x %s %s (%s speed, sim port %s)%n",
                    dd.idVendor(),
                    dd.idProduct(),
                    String.valueOf(sd.model().string(dd.iManufacturer())),
                    String.valueOf(sd.model().string(dd.iProduct())),
                    sd.speed().name().toLowerCase(Locale.ROOT),
                    sd.location());
            for (UsbInterface itf : info.activeConfig().interfaces()) {
                var id = itf.descriptor();
                out.printf(
                        Locale.ROOT,
                        "  interface %d alt %d: class 0x%02X/0x%02X, %d endpoint(s)%n",
                        id.bInterfaceNumber(),
                        id.bAlternateSetting(),
                        id.bInterfaceClass(),
                        id.bInterfaceSubClass(),
                        id.bNumEndpoints());
                for (UsbEndpoint ep : itf.endpoints()) {
                    out.println("    " + describe(ep, sd.speed()));
                }
            }
        }

        static String describe(UsbEndpoint ep, UsbSpeed speed) {
            UsbEndpointDescriptor d = ep.descriptor();
            String dir = d.isIn() ? "IN " : "OUT";
            String type = switch (d.transferType()) {
                case 1 -> "isochronous";
                case 2 -> "bulk";
                case 3 -> "interrupt";
                default -> "control";
            };
            String s = String.format(
                    Locale.ROOT,
                    "endpoint 0x%02X %s %s, wMaxPacketSize 0x%04X",
                    d.bEndpointAddress(),
                    dir,
                    type,
                    d.wMaxPacketSize());
            if (d.isIsochronous()) {
                int period = Endpoints.servicePeriod(d, speed);
                String unit = speed == UsbSpeed.HIGH ? "microframe" : "frame";
                s += String.format(
                        Locale.ROOT,
                        ": %d bytes per interval (every %d %s%s)",
                        Endpoints.bytesPerServiceInterval(ep, speed),
                        period,
                        unit,
                        period == 1 ? "" : "s");
            }
            return s;
        }
    }

    // ---- play / record / camera ----------------------------------------------------------------------

    /** {@code usbd play}. */
    @Command(
            name = "play",
            mixinStandardHelpOptions = true,
            description = "Plays a 16-bit stereo PCM WAV file (up to 48 kHz) to the simulated UAC1 speaker 1209:0002.")
    static final class Play implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        UsbdTool root;

        @Parameters(paramLabel = "FILE.wav", description = "The file to play.")
        Path file;

        @Option(
                names = "--device",
                description = "With --backend libusb: the UAC1 speaker's VID:PID in hex (the sim plays to its"
                        + " built-in 1209:0002).")
        String device;

        @CommandLine.Mixin
        StreamingOptions streaming;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            WavFile wav = WavFile.read(file);
            Uac1SpeakerDriver d = new Uac1SpeakerDriver(wav);
            if (root.backend == Backend.libusb) {
                return playToRealDevice(out, t0, wav, d);
            }
            streaming.prepare(spec.commandLine(), d, "usbd play " + file.getFileName() + " to UAC1 speaker 1209:0002");
            try (SimBus bus = new SimBus(UsbSpeed.FULL, 0, streaming.capture(spec.commandLine()))) {
                bus.register("Uac1Speaker", Uac1SpeakerDriver.settings(), d);
                Uac1Speaker speaker = new Uac1Speaker();
                bus.attach(speaker);
                long frames = runToEnd(bus, d, "speaker", d.frames() + 10_000, d.frames(), out);
                byte[] got = speaker.recordedPcm();
                out.printf(
                        Locale.ROOT,
                        "played %s: %d samples, %d Hz, %d ch, %d bit (%s) to 1209:0002 in %s of bus time (%s wall)%n",
                        file,
                        wav.sampleFrames(),
                        wav.sampleRate(),
                        wav.channels(),
                        wav.bitsPerSample(),
                        seconds(d.frames()),
                        seconds(frames),
                        wall(t0));
                out.printf(
                        Locale.ROOT,
                        "speaker: sampling frequency set to %d Hz, received %d bytes in %d packets, %s the file%n",
                        speaker.sampleRate(),
                        got.length,
                        speaker.receivedPackets().size(),
                        java.util.Arrays.equals(got, wav.pcm()) ? "byte-exact with" : "DIFFERENT from");
                streaming.finish(out, d);
                return 0;
            }
        }

        private int playToRealDevice(PrintWriter out, long t0, WavFile wav, Uac1SpeakerDriver d) throws IOException {
            int[] id = vidPid(spec.commandLine(), device);
            streaming.prepare(spec.commandLine(), d, "usbd play " + file.getFileName() + " to " + device);
            try (LibusbBus bus = new LibusbBus(id[0], id[1], d::speed, streaming.capture(spec.commandLine()))) {
                bus.register("Uac1Speaker", Uac1SpeakerDriver.settings(), d);
                awaitRealDevice(bus, d, device);
                long frames = runToEnd(bus, d, "speaker", d.frames() + 10_000, d.frames(), out);
                out.printf(
                        Locale.ROOT,
                        "played %s: %d samples, %d Hz, %d ch, %d bit (%s) to %s in %s (%s wall)%n",
                        file,
                        wav.sampleFrames(),
                        wav.sampleRate(),
                        wav.channels(),
                        wav.bitsPerSample(),
                        seconds(d.frames()),
                        device,
                        seconds(frames),
                        wall(t0));
                streaming.finish(out, d);
                return d.stats().failedIssues() == 0 ? 0 : 4;
            }
        }
    }

    /** {@code usbd record}. */
    @Command(
            name = "record",
            mixinStandardHelpOptions = true,
            description = "Records the simulated UAC1 microphone 1209:0003 (48 kHz, 16-bit mono) to a WAV file.")
    @SuppressWarnings("JavaLangClash") // the "record" command; java.lang.Record is not used in this file
    static final class Record implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE.wav", description = "The file to write.")
        Path file;

        @Option(names = "--seconds", defaultValue = "5", description = "Seconds to record (default: ${DEFAULT-VALUE}).")
        double secondsToRecord;

        @CommandLine.Mixin
        ReplayOptions replay = new ReplayOptions();

        @CommandLine.Mixin
        StreamingOptions streaming;

        @Override
        public Integer call() throws IOException {
            if (!(secondsToRecord > 0) || secondsToRecord > 3600) {
                throw new ParameterException(
                        spec.commandLine(), "--seconds must be > 0 and <= 3600, was " + secondsToRecord);
            }
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            Uac1MicrophoneDriver d = Uac1MicrophoneDriver.forSeconds(secondsToRecord);
            streaming.prepare(
                    spec.commandLine(), d, "usbd record " + file.getFileName() + " from UAC1 microphone 1209:0003");
            DeviceModel mic = replay.capture == null ? new Uac1Microphone() : replay.open(spec.commandLine());
            try (SimBus bus = new SimBus(mic.speed(), 0, streaming.capture(spec.commandLine()))) {
                bus.register("Uac1Microphone", Uac1MicrophoneDriver.settings(), d);
                bus.attach(mic);
                if (!d.isAttached()) {
                    throw new ParameterException(
                            spec.commandLine(), "--replay: " + mic + " is not a UAC1 microphone the driver takes");
                }
                long target = Math.round(secondsToRecord * 1000);
                long frames = runToEnd(bus, d, "microphone", target + 10_000, target, out);
                WavFile wav = d.toWav();
                wav.write(file);
                out.printf(
                        Locale.ROOT,
                        "recorded %s: %d samples, %d Hz, 1 ch, 16 bit from 1209:0003 in %s of bus time (%s wall)%n",
                        file,
                        wav.sampleFrames(),
                        wav.sampleRate(),
                        seconds(frames),
                        wall(t0));
                streaming.finish(out, d);
                if (replay.capture != null) {
                    replay.report(out, mic);
                }
                return 0;
            }
        }
    }

    /** {@code usbd camera}. */
    @Command(
            name = "camera",
            mixinStandardHelpOptions = true,
            description = "Captures video frames from the simulated UVC camera 1209:0004 (YUY2 160x120, high speed)"
                    + " and saves them as PGM (luma) and optionally raw YUY2.")
    static final class Camera implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--frames", defaultValue = "10", description = "Video frames (default: ${DEFAULT-VALUE}).")
        long frames;

        @Option(names = "--out", required = true, description = "Output directory.")
        Path outDir;

        @Option(
                names = "--alt",
                defaultValue = "1",
                description = "VideoStreaming alternate setting 1..3 (default: ${DEFAULT-VALUE}).")
        int alt;

        @Option(names = "--raw", description = "Also save raw YUY2 frames.")
        boolean raw;

        @CommandLine.Mixin
        StreamingOptions streaming;

        @Override
        public Integer call() throws IOException {
            if (frames < 1) {
                throw new ParameterException(spec.commandLine(), "--frames must be positive, was " + frames);
            }
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            UvcCameraDriver d = new UvcCameraDriver(alt, frames, outDir, raw);
            streaming.prepare(spec.commandLine(), d, "usbd camera: UVC camera 1209:0004, high speed, alt " + alt);
            try (SimBus bus = new SimBus(UsbSpeed.HIGH, 0, streaming.capture(spec.commandLine()))) {
                bus.register("UvcCamera", UvcCameraDriver.settings(), d);
                bus.attach(new UvcCamera());
                if (!d.isAttached()) {
                    throw new ParameterException(
                            spec.commandLine(), "the camera has no alternate setting " + alt + " (1..3)");
                }
                long busFrames = runToEnd(bus, d, "camera", frames * 100 + 10_000, 0, out);
                out.printf(
                        Locale.ROOT,
                        "captured %d complete video frames (%dx%d YUY2, %d bytes each; %d incomplete) from 1209:0004"
                                + " alt %d in %s of bus time (%s wall), saved to %s%n",
                        d.completeFrames(),
                        d.width(),
                        d.height(),
                        d.frameSize(),
                        d.incompleteFrames(),
                        alt,
                        seconds(busFrames),
                        wall(t0),
                        outDir);
                streaming.finish(out, d);
                return 0;
            }
        }
    }

    // ---- stream ----------------------------------------------------------------------------------------

    /** {@code usbd stream}. */
    @Command(
            name = "stream",
            mixinStandardHelpOptions = true,
            description = "Streams any isochronous endpoint of a built-in simulated device.")
    static final class Stream implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        UsbdTool root;

        @Option(
                names = "--device",
                defaultValue = "1209:0001",
                description = "VID:PID: 1209:0001 loopback (full speed),"
                        + " 1209:0002 speaker, 1209:0003 microphone, 1209:0004 camera (default: ${DEFAULT-VALUE}).")
        String device;

        @Option(
                names = "--interface",
                defaultValue = "0",
                description = "bInterfaceNumber (default: ${DEFAULT-VALUE}).")
        int interfaceNumber;

        @Option(names = "--alt", defaultValue = "1", description = "bAlternateSetting (default: ${DEFAULT-VALUE}).")
        int alt;

        @Option(
                names = "--endpoint",
                defaultValue = "0x81",
                converter = HexInt.class,
                description = "bEndpointAddress, e.g. 0x81 (default: ${DEFAULT-VALUE}).")
        int endpoint;

        @Option(
                names = "--packet-length",
                defaultValue = "0",
                description = "Bytes per frame; 0 = the endpoint's maximum (default).")
        int packetLength;

        @Option(
                names = "--packets",
                defaultValue = "1000",
                description = "Frames to stream (default: ${DEFAULT-VALUE}).")
        long packets;

        @Option(
                names = "--frames-per-transfer",
                defaultValue = "0",
                description = "Entries per length array; 0 (default) = 8 ms of bus time: 8 at full speed, 64 on a"
                        + " high-speed endpoint serviced every microframe. Fewer than 6 ms in flight leave gaps"
                        + " (ASAP starts at max(stream end, now + 6)).")
        int framesPerTransfer;

        @Option(
                names = "--in-flight",
                defaultValue = "4",
                description = "Transfers in flight (default: ${DEFAULT-VALUE}).")
        int inFlight;

        @CommandLine.ArgGroup(exclusive = true)
        Start start;

        static final class Start {
            @Option(names = "--asap", description = "USB_START_ISOCH_ASAP for every transfer (default).")
            boolean asap;

            @Option(names = "--start-frame", description = "Explicit dwStartingFrame of the first transfer.")
            Long startFrame;
        }

        @Option(names = "--compress", description = "USB_COMPRESS_ISOCH (IN only).")
        boolean compress;

        @Option(names = "--file", description = "OUT: data to send (default: a counting pattern); IN: where to write.")
        Path file;

        @CommandLine.Mixin
        ReplayOptions replay = new ReplayOptions();

        private DeviceModel replayed;

        @CommandLine.Mixin
        StreamingOptions streaming;

        @Override
        public Integer call() throws IOException {
            CommandLine cl = spec.commandLine();
            int[] id = vidPid(cl, device);
            int vid = id[0];
            int pid = id[1];
            if (replay.capture != null) {
                if (root.backend == Backend.libusb) {
                    throw new ParameterException(cl, "--replay runs on the simulator: it takes no --backend libusb");
                }
                replayed = replay.open(cl);
                vid = replayed.deviceDescriptor().idVendor();
                pid = replayed.deviceDescriptor().idProduct();
                device = String.format(Locale.ROOT, "%04x:%04x", vid, pid);
            }
            DeviceModel model = replayed != null
                    ? replayed
                    : vid != 0x1209
                            ? null
                            : switch (pid) {
                                case 1 -> LoopbackDevice.fullSpeed();
                                case 2 -> new Uac1Speaker();
                                case 3 -> new Uac1Microphone();
                                case 4 -> new UvcCamera();
                                default -> null;
                            };
            boolean real = root.backend == Backend.libusb;
            if (model == null && !real) {
                throw new ParameterException(
                        cl,
                        "no simulated device " + device + " (built in: 1209:0001, 1209:0002, 1209:0003, 1209:0004;"
                                + " real devices: --backend libusb)");
            }
            if (packets < 1 || framesPerTransfer < 0 || inFlight < 1 || packetLength < 0) {
                throw new ParameterException(
                        cl,
                        "--packets and --in-flight must be positive, --frames-per-transfer and --packet-length >= 0");
            }
            boolean in = (endpoint & 0x80) != 0;
            if (compress && !in) {
                throw new ParameterException(cl, "--compress applies to IN endpoints only");
            }
            PrintWriter out = cl.getOut();
            long t0 = System.nanoTime();
            long startFrame = start != null && start.startFrame != null ? start.startFrame : -1;
            try (InputStream src = !in && file != null ? Files.newInputStream(file) : null;
                    OutputStream sink = in && file != null ? Files.newOutputStream(file) : null) {
                GenericStreamDriver d = new GenericStreamDriver(
                        new GenericStreamDriver.Spec(
                                interfaceNumber,
                                alt,
                                endpoint,
                                packetLength,
                                packets,
                                framesPerTransfer,
                                inFlight,
                                startFrame,
                                compress),
                        src,
                        sink);
                try (ToolBus bus = real
                        ? new LibusbBus(vid, pid, d::speed, streaming.capture(cl))
                        : new SimBus(model.speed(), 0, streaming.capture(cl))) {
                    return stream(cl, out, t0, startFrame, in, bus, d, model, UsbDriverSettings.forVendor(vid, pid));
                }
            }
        }

        private int stream(
                CommandLine cl,
                PrintWriter out,
                long t0,
                long startFrame,
                boolean in,
                ToolBus bus,
                GenericStreamDriver d,
                DeviceModel model,
                UsbDriverSettings settings)
                throws IOException {
            if (model != null) {
                d.speed(model.speed());
            }
            streaming.prepare(
                    cl,
                    d,
                    String.format(
                            Locale.ROOT,
                            "usbd stream: %s interface %d alt %d endpoint 0x%02X, %s",
                            device,
                            interfaceNumber,
                            alt,
                            endpoint,
                            startFrame < 0 ? "ASAP" : "start frame " + startFrame));
            bus.register("Stream", settings, d);
            if (bus instanceof SimBus sim) {
                sim.attach(model);
            } else {
                awaitRealDevice(bus, d, device);
            }
            if (!d.isAttached()) {
                throw new ParameterException(
                        cl,
                        String.format(
                                Locale.ROOT,
                                "%s has no isochronous endpoint 0x%02X in interface %d alternate setting %d (see 'usbd list')",
                                device,
                                endpoint,
                                interfaceNumber,
                                alt));
            }
            IsochStream s = d.streams().get(0);
            if (packetLength > s.maxFrameLength()) {
                d.stop();
                throw new ParameterException(
                        cl,
                        "--packet-length " + packetLength + " exceeds the endpoint's " + s.maxFrameLength()
                                + " bytes per interval");
            }
            out.printf(
                    Locale.ROOT,
                    "streaming %s interface %d alt %d endpoint 0x%02X (%s, up to %d bytes per interval): %d frames,"
                            + " %d x %d in flight, %s%s, current bus frame %d%n",
                    device,
                    interfaceNumber,
                    alt,
                    endpoint,
                    in ? "IN" : "OUT",
                    s.maxFrameLength(),
                    packets,
                    s.queueShape()[1],
                    s.queueShape()[0],
                    startFrame < 0 ? "ASAP" : "first transfer at frame " + startFrame,
                    compress ? ", USB_COMPRESS_ISOCH" : "",
                    bus.frame());
            UsbSpeed speed = d.speed();
            long target = speed == UsbSpeed.HIGH
                    ? (packets * (1L << (Math.max(1, Math.min(16, s.descriptor().bInterval())) - 1)) + 7) / 8
                    : packets;
            long busFrames = runToEnd(bus, d, "stream", packets * 8 + 10_000, target, out);
            out.printf(
                    Locale.ROOT,
                    "streamed %s of bus time (%s wall)%s%n",
                    seconds(busFrames),
                    wall(t0),
                    file == null ? "" : (in ? ", IN data written to " : ", OUT data read from ") + file);
            streaming.finish(out, d);
            if (replayed != null) {
                replay.report(out, replayed);
            }
            return d.stats().failedIssues() == 0 ? 0 : 4;
        }
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
        List<Path> replays = new java.util.ArrayList<>();

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
            if (port < 0 || port > 65535 || seconds < 0 || (idleSeconds != null && idleSeconds < 0)) {
                throw new ParameterException(cl, "--port must be 0..65535, --seconds and --idle-seconds >= 0");
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
            List<DeviceModel> models = new java.util.ArrayList<>();
            for (String n : names) {
                models.add(UsbIpMain.model(n));
            }
            for (Path capture : replays) {
                ReplayOptions r = new ReplayOptions();
                r.capture = capture;
                r.loop = loop;
                models.add(r.open(cl));
            }
            // in --stdio mode stdout is the protocol stream: every message goes to stderr
            PrintWriter out = stdio ? cl.getErr() : cl.getOut();
            SimulatedHostController host = UsbIpMain.realTimeBus(UsbIpMain.needsHighSpeed(models));
            UsbIpServer server = null;
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
                    server.start();
                    out.printf(
                            Locale.ROOT,
                            "usbd serve-usbip: USB/IP server on %s:%d (real-time simulated bus) exporting:%n",
                            address.getHostAddress(),
                            server.port());
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
                out.println("usbd serve-usbip: stopped after " + wall(t0));
                out.flush();
                return 0;
            } finally {
                if (server != null) {
                    server.close();
                }
                host.close();
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
