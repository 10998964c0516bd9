package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbDevice;
import io.github.usbd4j.ce.UsbEndpoint;
import io.github.usbd4j.ce.UsbEndpointDescriptor;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbInterface;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.ce.Win32;
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
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.Uac1Speaker;
import io.github.usbd4j.sim.UvcCamera;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
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
 * and a per-frame summary. The only backend is {@code sim}, a simulated bus on a virtual clock (so a run
 * of many seconds of bus time takes a fraction of that).
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
            UsbdTool.Stream.class
        })
public final class UsbdTool implements Runnable {
    /** Backends the tool can run on. */
    public enum Backend {
        /** The simulated host controller, virtual clock. */
        sim
    }

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
                spec.commandLine(), "missing command: demo, list, loopback-test, play, " + "record, camera or stream");
    }

    // ---- shared ---------------------------------------------------------------------------------------

    /** Runs the bus until the driver finished; fails if it never attached or did not finish in time. */
    static long runToEnd(SimBus bus, IsochStreamingDriver d, String what, long maxFrames) {
        if (!d.isAttached() && !d.isFinished()) {
            throw new IllegalStateException("the " + what + " driver did not accept the device");
        }
        long start = bus.frame();
        if (!bus.runUntil(d::isFinished, maxFrames)) {
            d.stop();
        }
        return bus.frame() - start;
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

        abstract UsbSpeed speed();

        abstract int alternateSetting();

        abstract long frames();

        abstract double errorRate();

        abstract long[] missedFrames();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            if (frames() < 1) {
                throw new ParameterException(spec.commandLine(), "--seconds/--frames must be positive");
            }
            try (SimBus bus = new SimBus(speed(), seed)) {
                LoopbackTestDriver d = new LoopbackTestDriver(alternateSetting(), frames());
                d.speed(speed());
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
                                + " 4 transfers x 8 frames in flight per pipe, %s%n",
                        alternateSetting(),
                        o.maxFrameLength(),
                        UsbTypes.flagNames(IsochStreamingDriver.BASE_FLAGS));
                if (errorRate() > 0 || missedFrames().length > 0) {
                    out.printf(
                            Locale.ROOT,
                            "faults injected: USB_CRC_ERROR on %.2f %% of IN frames, missed frames %s%n",
                            errorRate() * 100,
                            java.util.Arrays.toString(missedFrames()));
                }
                long busFrames = runToEnd(bus, d, "loopback", frames() + 10_000);
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
                printSummary(out, d);
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
                    + " high-speed bus): interfaces, alternate settings, iso endpoints with bytes per interval.")
    static final class ListDevices implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (SimBus bus = new SimBus(UsbSpeed.HIGH, 0)) {
                List<DeviceModel> models =
                        List.of(LoopbackDevice.highSpeed(), new Uac1Speaker(), new Uac1Microphone(), new UvcCamera());
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
                    out.printf(
                            Locale.ROOT,
                            "%04x:%04x %s %s (%s speed, sim port %s)%n",
                            dd.idVendor(),
                            dd.idProduct(),
                            String.valueOf(sd.model().string(1)),
                            String.valueOf(sd.model().string(2)),
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
                out.flush();
                return 0;
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

        @Parameters(paramLabel = "FILE.wav", description = "The file to play.")
        Path file;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            WavFile wav = WavFile.read(file);
            Uac1SpeakerDriver d = new Uac1SpeakerDriver(wav);
            try (SimBus bus = new SimBus(UsbSpeed.FULL, 0)) {
                bus.register("Uac1Speaker", Uac1SpeakerDriver.settings(), d);
                Uac1Speaker speaker = new Uac1Speaker();
                bus.attach(speaker);
                long frames = runToEnd(bus, d, "speaker", d.frames() + 10_000);
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
                printSummary(out, d);
                return 0;
            }
        }
    }

    /** {@code usbd record}. */
    @Command(
            name = "record",
            mixinStandardHelpOptions = true,
            description = "Records the simulated UAC1 microphone 1209:0003 (48 kHz, 16-bit mono) to a WAV file.")
    static final class Record implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE.wav", description = "The file to write.")
        Path file;

        @Option(names = "--seconds", defaultValue = "5", description = "Seconds to record (default: ${DEFAULT-VALUE}).")
        double secondsToRecord;

        @Override
        public Integer call() throws IOException {
            if (!(secondsToRecord > 0) || secondsToRecord > 3600) {
                throw new ParameterException(
                        spec.commandLine(), "--seconds must be > 0 and <= 3600, was " + secondsToRecord);
            }
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            Uac1MicrophoneDriver d = Uac1MicrophoneDriver.forSeconds(secondsToRecord);
            try (SimBus bus = new SimBus(UsbSpeed.FULL, 0)) {
                bus.register("Uac1Microphone", Uac1MicrophoneDriver.settings(), d);
                bus.attach(new Uac1Microphone());
                long frames = runToEnd(bus, d, "microphone", Math.round(secondsToRecord * 1000) + 10_000);
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
                printSummary(out, d);
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

        @Override
        public Integer call() {
            if (frames < 1) {
                throw new ParameterException(spec.commandLine(), "--frames must be positive, was " + frames);
            }
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            UvcCameraDriver d = new UvcCameraDriver(alt, frames, outDir, raw);
            try (SimBus bus = new SimBus(UsbSpeed.HIGH, 0)) {
                bus.register("UvcCamera", UvcCameraDriver.settings(), d);
                bus.attach(new UvcCamera());
                if (!d.isAttached()) {
                    throw new ParameterException(
                            spec.commandLine(), "the camera has no alternate setting " + alt + " (1..3)");
                }
                long busFrames = runToEnd(bus, d, "camera", frames * 100 + 10_000);
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
                printSummary(out, d);
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

        @Option(names = "--frames-per-transfer", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
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

        @Override
        public Integer call() throws IOException {
            CommandLine cl = spec.commandLine();
            String[] vp = device.split(":");
            if (vp.length != 2) {
                throw new ParameterException(cl, "--device must be VID:PID in hex, was '" + device + "'");
            }
            int vid;
            int pid;
            try {
                vid = Integer.parseInt(vp[0], 16);
                pid = Integer.parseInt(vp[1], 16);
            } catch (NumberFormatException e) {
                throw new ParameterException(cl, "--device must be VID:PID in hex, was '" + device + "'");
            }
            DeviceModel model = vid != 0x1209
                    ? null
                    : switch (pid) {
                        case 1 -> LoopbackDevice.fullSpeed();
                        case 2 -> new Uac1Speaker();
                        case 3 -> new Uac1Microphone();
                        case 4 -> new UvcCamera();
                        default -> null;
                    };
            if (model == null) {
                throw new ParameterException(
                        cl,
                        "no simulated device " + device + " (built in: 1209:0001, 1209:0002, 1209:0003, 1209:0004)");
            }
            if (packets < 1 || framesPerTransfer < 1 || inFlight < 1 || packetLength < 0) {
                throw new ParameterException(
                        cl,
                        "--packets, --frames-per-transfer and --in-flight must be positive," + " --packet-length >= 0");
            }
            boolean in = (endpoint & 0x80) != 0;
            if (compress && !in) {
                throw new ParameterException(cl, "--compress applies to IN endpoints only");
            }
            PrintWriter out = cl.getOut();
            long t0 = System.nanoTime();
            long startFrame = start != null && start.startFrame != null ? start.startFrame : -1;
            UsbSpeed speed = model.speed();
            try (InputStream src = !in && file != null ? Files.newInputStream(file) : null;
                    OutputStream sink = in && file != null ? Files.newOutputStream(file) : null;
                    SimBus bus = new SimBus(speed, 0)) {
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
                d.speed(speed);
                bus.register("Stream", io.github.usbd4j.ce.UsbDriverSettings.forVendor(vid, pid), d);
                bus.attach(model);
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
                        inFlight,
                        framesPerTransfer,
                        startFrame < 0 ? "ASAP" : "first transfer at frame " + startFrame,
                        compress ? ", USB_COMPRESS_ISOCH" : "",
                        bus.frame());
                long busFrames = runToEnd(bus, d, "stream", packets * 8 + 10_000);
                out.printf(
                        Locale.ROOT,
                        "streamed %s of bus time (%s wall)%s%n",
                        seconds(busFrames),
                        wall(t0),
                        file == null ? "" : (in ? ", IN data written to " : ", OUT data read from ") + file);
                printSummary(out, d);
                return d.stats().failedIssues() == 0 ? 0 : 4;
            }
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
