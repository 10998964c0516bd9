package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.libusb.LibusbUnavailableException;
import io.github.usbd4j.samples.io.AtomicFile;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.samples.iso.StreamStats;
import io.github.usbd4j.sim.FaultPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * One run of a streaming command, the same for all of them: the bus for the {@link Target} (the
 * simulator, or libusb waiting on its events for the device), the progress display, a clean stop on
 * SIGINT or SIGTERM ({@link Interruption}), and the end: the per-frame summary, the plot, and the result
 * line with the exit code ({@link Tally}).
 */
final class StreamRun implements AutoCloseable {
    /** Bus frames between two looks at the progress display and the signals. */
    static final long CHUNK_FRAMES = 50;
    /** Seconds without a completed transfer after which a real device's stream counts as stalled. */
    static final int STALL_SECONDS = 15;
    /** The default of {@code --wait}: generous, as a cold start or a loaded machine can take long to attach. */
    static final String DEFAULT_WAIT_SECONDS = "120";

    /** Options of every streaming command. */
    static final class Options {
        @Option(
                names = "--plot",
                paramLabel = "FILE.png",
                description = "Also draw the per-frame timeline (actual length per frame, error frames marked by"
                        + " USB_ERROR) as a PNG.")
        Path plot;

        @Option(
                names = "--max-errors",
                paramLabel = "N",
                defaultValue = "0",
                description = "Packets that may be lost (failed, missed, never ran) before the exit code says so"
                        + " (default: ${DEFAULT-VALUE}).")
        long maxErrors;

        @Option(
                names = "--wait",
                paramLabel = "SECONDS",
                defaultValue = DEFAULT_WAIT_SECONDS,
                description = "libusb: how long to wait for the device to be plugged in and taken"
                        + " (default: ${DEFAULT-VALUE}).")
        double waitSeconds;

        @Option(
                names = "--capture",
                paramLabel = "FILE.pcapng",
                description = "Also capture every transfer into a pcapng file in the Linux usbmon format, for"
                        + " Wireshark (written as it goes; whole after Ctrl-C or SIGTERM; after SIGKILL it may end in a"
                        + " cut-short packet, which Wireshark and usbd replay read up to).")
        Path capture;

        @Option(
                names = "--capture-snaplen",
                paramLabel = "BYTES",
                description = "With --capture: data bytes kept per record, 0 for headers and packet descriptors only"
                        + " (default: all, up to 512 KiB).")
        Integer captureSnapLength;

        /**
         * Checks the options before anything is touched.
         *
         * @param commandFiles the files the command itself reads or writes ({@code null} paths left out), which
         *     {@code --plot} and {@code --capture} must not name
         */
        void validate(CommandLine cl, NamedFile... commandFiles) {
            if (maxErrors < 0) {
                throw new ParameterException(cl, "--max-errors must be >= 0, was " + maxErrors);
            }
            checkWait(cl, waitSeconds);
            if (plot != null) {
                Files2.checkOutputFile(cl, "--plot", plot);
            }
            if (captureSnapLength != null && capture == null) {
                throw new ParameterException(cl, "--capture-snaplen goes with --capture FILE.pcapng");
            }
            if (captureSnapLength != null
                    && (captureSnapLength < 0 || captureSnapLength > CaptureTap.MAX_SNAP_LENGTH)) {
                throw new ParameterException(
                        cl,
                        "--capture-snaplen must be 0.." + CaptureTap.MAX_SNAP_LENGTH + ", was " + captureSnapLength);
            }
            if (capture != null) {
                Files2.checkOutputFile(cl, "--capture", capture);
            }
            List<NamedFile> all = new ArrayList<>(List.of(commandFiles));
            all.add(new NamedFile("--plot", plot));
            all.add(new NamedFile("--capture", capture));
            Files2.checkDistinct(cl, all);
        }
    }

    /**
     * A file a command reads or writes, by the option or parameter that names it.
     *
     * @param name {@code "--plot"}, {@code "FILE.wav"}
     * @param file the file, {@code null} when not given
     */
    record NamedFile(String name, Path file) {}

    /**
     * The most frames, packets or video frames a run can be asked for: a billion, more than eleven days of
     * bus time at full speed, and few enough that no count or bound the run computes from it overflows.
     */
    static final long MAX_COUNT = 1_000_000_000L;

    /** The longest run {@code --seconds} can ask for: a day. */
    static final double MAX_SECONDS = 86_400;

    /** Checks a count option ({@code --frames}, {@code --packets}): 1 to {@link #MAX_COUNT}. */
    static void checkCount(CommandLine cl, String option, long n) {
        if (n < 1 || n > MAX_COUNT) {
            throw new ParameterException(cl, option + " must be 1.." + MAX_COUNT + ", was " + n);
        }
    }

    /**
     * Checks a {@code --seconds} value of bus time: at least one frame (1 ms), at most {@link #MAX_SECONDS}.
     *
     * @return the frames it asks for
     */
    static long checkSeconds(CommandLine cl, double seconds) {
        if (!(seconds >= 0.001 && seconds <= MAX_SECONDS)) {
            throw new ParameterException(
                    cl, "--seconds must be 0.001.." + (long) MAX_SECONDS + " (1 ms to a day), was " + seconds);
        }
        return Math.round(seconds * 1000);
    }

    /** Checks a {@code --wait} value. */
    static void checkWait(CommandLine cl, double waitSeconds) {
        if (!(waitSeconds > 0) || waitSeconds > 86_400) {
            throw new ParameterException(cl, "--wait must be > 0 and <= 86400 seconds, was " + waitSeconds);
        }
    }

    private final PrintWriter out;
    private final Options options;
    private final Interruption.Run interruption = Interruption.begin();
    private ToolBus bus;
    private boolean busClosed;
    private CaptureTap captureTap;
    /** The capture's temporary file until the stream starts, then {@code null} (it is in place). */
    private Path captureTemp;

    private FramePlot framePlot;
    private String cutShort;
    private long startNanos = System.nanoTime();

    StreamRun(CommandLine cl, Options options) {
        this.out = cl.getOut();
        this.options = options;
    }

    PrintWriter out() {
        return out;
    }

    ToolBus bus() {
        return bus;
    }

    /** Whether a signal stopped the run. */
    boolean interrupted() {
        return interruption.isStopRequested();
    }

    /**
     * Puts the driver on the target's bus and waits until it has taken the device.
     *
     * @param target the device
     * @param d the driver
     * @param driverId its ID
     * @param settings what it is registered for
     * @param faults faults to inject (simulator only), or {@code null}
     * @param seed the simulator's seed
     * @param plotTitle the plot's title
     * @return {@code false} if a signal stopped the wait (nothing streamed)
     */
    boolean open(
            Target target,
            IsochStreamingDriver d,
            String driverId,
            UsbDriverSettings settings,
            FaultPlan faults,
            long seed,
            String plotTitle) {
        if (options.plot != null) {
            framePlot = new FramePlot(plotTitle);
            d.addFrameListener(framePlot);
        }
        startNanos = System.nanoTime();
        if (target.model() != null) {
            d.speed(target.model().speed());
            captureTap = openCapture();
            SimBus sim = new SimBus(target.model().speed(), seed, captureTap);
            bus = sim;
            sim.register(driverId, settings, d);
            if (faults == null) {
                sim.attach(target.model());
            } else {
                sim.attach(target.model(), faults);
            }
        } else {
            LibusbBus real;
            try {
                captureTap = openCapture();
                real = new LibusbBus(target.vendorId(), target.productId(), target.busPorts(), d, captureTap);
            } catch (LibusbUnavailableException e) {
                closeCaptureQuietly();
                throw new ToolException(ExitCode.NO_DEVICE, "USB is not available here: " + e.getMessage(), e);
            }
            bus = real;
            real.register(driverId, settings, d);
            long waitFrames = Math.round(options.waitSeconds * 1000);
            if (target.view() == null) {
                out.printf(
                        Locale.ROOT,
                        "waiting up to %s for %s to be plugged in (on the bus now: %s)%n",
                        UsbdTool.seconds(waitFrames),
                        target.id() + (target.busPorts() == null ? "" : " at " + target.busPorts()),
                        DeviceView.summary(DeviceView.real()));
                out.flush();
            }
            real.awaitTaken(d.attachment(), interruption.stopRequested(), waitFrames, target.id());
            if (interrupted()) {
                return false;
            }
            if (d.attachment().isDone() && !d.attachment().join() && real.departed()) {
                throw new ToolException(
                        ExitCode.IO_ERROR,
                        target.title() + " left the bus (was unplugged) while it was being opened: "
                                + d.refusal().orElse("the driver refused it"));
            }
        }
        if (!d.attachment().isDone()) {
            throw new ToolException(ExitCode.FAILURE, "the " + driverId + " driver was not offered " + target.title());
        }
        if (!d.attachment().join()) {
            throw new ToolException(
                    ExitCode.IO_ERROR, target.title() + ": " + d.refusal().orElse("the driver refused it"));
        }
        return true;
    }

    /**
     * Opens the capture {@code --capture} asks for, or {@code null}; the runtime given it closes it. It is
     * written as the run goes (so that it holds the run when a signal, even SIGKILL, ends the process), first to
     * a temporary file that replaces the target once the stream starts: a run that finds no device, or one it
     * cannot use, leaves the target as it was.
     */
    private CaptureTap openCapture() {
        if (options.capture == null) {
            return null;
        }
        try {
            captureTemp = AtomicFile.createTemporary(options.capture);
            return CaptureTap.toFile(
                    captureTemp,
                    CaptureTap.DEFAULT_MAX_BYTES,
                    options.captureSnapLength == null ? CaptureTap.MAX_SNAP_LENGTH : options.captureSnapLength);
        } catch (IOException e) {
            deleteCaptureTemp();
            throw new ToolException(
                    ExitCode.IO_ERROR, "--capture: cannot write " + options.capture + ": " + Files2.reason(e), e);
        }
    }

    /** Moves the capture, still being written, into place (a rename: the open file goes on growing there). */
    private void placeCapture() {
        if (captureTemp == null) {
            return;
        }
        try {
            Files.move(
                    captureTemp,
                    AtomicFile.resolve(options.capture),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            captureTemp = null;
        } catch (IOException e) {
            throw new ToolException(
                    ExitCode.IO_ERROR,
                    "--capture: cannot put " + options.capture + " in place: " + Files2.reason(e),
                    e);
        }
    }

    private void deleteCaptureTemp() {
        if (captureTemp != null) {
            try {
                Files.deleteIfExists(captureTemp);
            } catch (IOException e) {
                // a stray temporary file, named as such; nothing to report over the failure at hand
            }
            captureTemp = null;
        }
    }

    /**
     * Runs the bus until the driver finished or a signal stops the run, showing progress. On the simulator
     * the run is stopped after {@code maxFrames}; on a real bus, whose device may deliver slower than real
     * time (a USB/IP device behind a busy network, a host under load), it is stopped when nothing has
     * completed for {@value #STALL_SECONDS} s, or after ten times {@code maxFrames}. A run stopped so is
     * reported as an I/O problem by {@link #finish}, and the packets it owed as lost.
     *
     * @param targetFrames the bus frames the run should take, 0 if unknown (progress display only)
     * @return the bus frames run
     */
    long runToEnd(IsochStreamingDriver d, long maxFrames, long targetFrames) {
        // only now: an option the command refuses once the device is taken (exit 2) leaves the target as it was
        placeCapture();
        boolean real = !(bus instanceof SimBus);
        long bound = boundFrames(maxFrames);
        long start = bus.frame();
        long lastProgress = start;
        long lastTransfers = -1;
        Progress progress = Progress.forCommand(out, targetFrames);
        CompletableFuture<?> end = CompletableFuture.anyOf(d.finished(), interruption.stopRequested());
        while (!end.isDone() && bus.frame() - start < bound) {
            bus.await(end, Math.min(CHUNK_FRAMES, bound - (bus.frame() - start)));
            StreamStats st = d.stats();
            progress.update(bus.frame() - start, st);
            if (st.transfers() != lastTransfers) {
                lastTransfers = st.transfers();
                lastProgress = bus.frame();
            } else if (real && bus.frame() - lastProgress > STALL_SECONDS * 1000L && !end.isDone()) {
                cutShort = "the stream stalled: no transfer completed for " + STALL_SECONDS + " s";
                break;
            }
        }
        progress.done();
        if (!end.isDone() && cutShort == null) {
            cutShort = "the stream did not end within " + UsbdTool.seconds(bound) + " of bus time";
        }
        if (!d.isFinished()) {
            d.stop();
        }
        return bus.frame() - start;
    }

    /** The frames {@link #runToEnd} waits at most for a stream given {@code maxFrames}. */
    long boundFrames(long maxFrames) {
        return bus instanceof SimBus ? maxFrames : 10 * maxFrames;
    }

    /** {@code "1.234 s"} of wall time since {@link #open}. */
    String wall() {
        return String.format(Locale.ROOT, "%.2f s", (System.nanoTime() - startNanos) / 1e9);
    }

    /**
     * Prints the per-frame summary, writes the plot and prints the result line. With {@code --capture} the
     * bus is closed first, so that the capture is complete (the runtime writes its last records as it closes)
     * and what the capture line says is final.
     *
     * @return the exit code
     */
    int finish(IsochStreamingDriver d, Tally tally) {
        if (cutShort != null) {
            tally.io(cutShort);
        }
        printSummary(out, d);
        printCallbackFailures(out, bus.usbd());
        if (captureTap != null) {
            closeBus();
            if (captureTap.failed()) {
                tally.io("writing the capture " + options.capture + " failed (see the log); it holds the "
                        + captureTap.records() + " records written before");
            } else {
                out.printf(
                        Locale.ROOT,
                        "capture: %d usbmon records, %d bytes, written to %s (pcapng, link type 220, for"
                                + " Wireshark)%s%n",
                        captureTap.records(),
                        captureTap.bytes(),
                        options.capture,
                        captureTap.droppedRecords() > 0
                                ? "; " + captureTap.droppedRecords() + " more left out at the size cap"
                                : "");
            }
        }
        if (framePlot != null) {
            try {
                framePlot.write(options.plot);
                out.printf(Locale.ROOT, "per-frame plot (%d frames) written to %s%n", framePlot.frames(), options.plot);
            } catch (IOException e) {
                tally.io("cannot write the plot " + options.plot + ": " + e.getMessage());
            }
        }
        out.println(tally.resultLine(options.maxErrors, interrupted()));
        out.flush();
        return tally.exitCode(options.maxErrors).code();
    }

    long maxErrors() {
        return options.maxErrors;
    }

    /** A line when a driver callback threw (the runtime caught it; the log has the stack trace). */
    static void printCallbackFailures(PrintWriter out, Usbd usbd) {
        long n = usbd.callbackFailures();
        if (n > 0) {
            out.printf(Locale.ROOT, "callback failures: %d (a driver callback threw; see the log)%n", n);
            out.flush();
        }
    }

    /** The per-frame summary every run ends with. */
    static void printSummary(PrintWriter out, IsochStreamingDriver d) {
        out.println("per-frame summary:");
        for (IsochStream s : d.streams()) {
            StreamStats st = s.stats();
            out.printf(Locale.ROOT, "  %s 0x%02X: %s%n", s.isIn() ? "IN " : "OUT", s.endpointAddress(), st.summary());
            for (Map.Entry<Integer, String> e : s.issueErrors().entrySet()) {
                out.printf(
                        Locale.ROOT,
                        "    IssueIsochTransfer refused: %s (%d)%s%n",
                        e.getValue(),
                        e.getKey(),
                        Tally.departure(d, e.getKey()) ? ", the device had left" : "");
            }
        }
        if (d.streams().size() > 1) {
            out.println("  total   : " + d.stats().summary());
        }
        out.flush();
    }

    /** Stops the bus (once), then lets a waiting signal handler go. */
    @Override
    public void close() {
        try {
            if (bus != null) {
                closeBus();
            } else {
                closeCaptureQuietly();
            }
        } finally {
            deleteCaptureTemp(); // the device was never taken: the target is as it was
            interruption.close();
        }
    }

    /** Closes the bus and with it the runtime and its capture, if not done yet. */
    private void closeBus() {
        if (!busClosed) {
            busClosed = true;
            bus.close();
        }
    }

    /** A capture opened for a bus that was never built: closed here, as no runtime owns it. */
    private void closeCaptureQuietly() {
        if (captureTap != null && bus == null) {
            try {
                captureTap.close();
            } catch (IOException e) {
                // nothing was captured: no transfer ran
            }
        }
    }

    /** Checks of the files a command reads or writes, before any is touched. */
    static final class Files2 {
        private Files2() {}

        /**
         * An output file: its directory exists and takes new files, and it is not a directory, a device, a pipe or
         * a socket (which the rename that puts the file in place would replace).
         *
         * @throws ParameterException otherwise
         */
        static void checkOutputFile(CommandLine cl, String what, Path file) {
            checkNamed(cl, what, file, "file");
            if (Files.isDirectory(file)) {
                throw new ParameterException(cl, what + ": " + file + " is a directory");
            }
            Path abs;
            try {
                abs = AtomicFile.resolve(file);
            } catch (IOException e) {
                throw new ParameterException(cl, what + ": " + file + " is " + reason(e));
            }
            Path dir = abs.getParent();
            if (!Files.isDirectory(dir)) {
                throw new ParameterException(cl, what + ": no such directory: " + dir);
            }
            try {
                AtomicFile.checkWritableDirectory(dir);
            } catch (IOException e) {
                throw new ParameterException(cl, what + ": cannot write files in " + dir + " (" + reason(e) + ")");
            }
        }

        /**
         * An output names one: not the empty name (which resolves to the working directory), nor {@code -},
         * which to many tools means standard output, where a file written whole cannot go.
         */
        private static void checkNamed(CommandLine cl, String what, Path path, String kind) {
            String name = path.toString();
            if (name.isEmpty()) {
                throw new ParameterException(cl, what + ": an empty name names no " + kind);
            }
            if (name.equals("-")) {
                throw new ParameterException(
                        cl,
                        what + ": '-' names no " + kind + ": the tool writes its files whole, through a temporary"
                                + " file renamed at the end, not to standard output (./- is a " + kind + " named '-')");
            }
        }

        /**
         * An output directory: it takes new files, or, if it does not exist yet, its nearest existing parent
         * does (the driver creates it with its first file). Nothing is created here: a run that
         * finds no device leaves no empty directory behind.
         *
         * @throws ParameterException otherwise
         */
        static void checkOutputDirectory(CommandLine cl, String what, Path dir) {
            checkNamed(cl, what, dir, "directory");
            Path existing = dir.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            try {
                if (existing == null || !Files.isDirectory(existing)) {
                    throw new java.nio.file.FileSystemException(
                            String.valueOf(existing), null, "not a directory: " + existing);
                }
                AtomicFile.checkWritableDirectory(existing);
            } catch (IOException e) {
                throw new ParameterException(cl, what + ": cannot write files in " + dir + " (" + reason(e) + ")");
            }
        }

        /**
         * Files of one run: no two name the same file (one would overwrite the other, or a file being read), also
         * through a link.
         *
         * @param files the files; those whose path is {@code null} are left out
         * @throws ParameterException otherwise
         */
        static void checkDistinct(CommandLine cl, List<NamedFile> files) {
            for (int i = 0; i < files.size(); i++) {
                for (int j = i + 1; j < files.size(); j++) {
                    NamedFile a = files.get(i);
                    NamedFile b = files.get(j);
                    if (a.file() != null && b.file() != null && sameFile(a.file(), b.file())) {
                        throw new ParameterException(
                                cl, a.name() + " and " + b.name() + " name the same file: " + b.file());
                    }
                }
            }
        }

        private static boolean sameFile(Path a, Path b) {
            if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
                return true;
            }
            try {
                return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
            } catch (IOException e) {
                return false; // not both readable: the other checks report what is wrong with them
            }
        }

        /**
         * An input file: a readable regular file.
         *
         * @throws ParameterException otherwise
         */
        static void checkInputFile(CommandLine cl, String what, Path file) {
            if (!Files.exists(file)) {
                throw new ParameterException(cl, what + ": no such file: " + file);
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new ParameterException(cl, what + ": cannot read " + file);
            }
        }

        static String reason(IOException e) {
            if (e instanceof java.nio.file.NoSuchFileException) {
                return "no such directory";
            }
            if (e instanceof java.nio.file.AccessDeniedException) {
                return "permission denied";
            }
            if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
                return f.getReason();
            }
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }
}
