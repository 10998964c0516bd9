package io.github.usbd4j.samples.tool;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.samples.io.AtomicFile;
import io.github.usbd4j.samples.iso.GenericStreamDriver;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.win32.Win32;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code usbd stream}: any isochronous endpoint through {@link GenericStreamDriver}. */
@Command(
        name = "stream",
        mixinStandardHelpOptions = true,
        description = "Streams any isochronous endpoint: OUT from a file (or a counting pattern), IN to a file"
                + " (written whole at the end, or left as it was if nothing arrived). sim: the built-in devices."
                + " libusb: any device. --replay CAPTURE: the device of a usbmon capture, replayed on the simulator.")
final class StreamCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @CommandLine.ParentCommand
    UsbdTool root;

    @Option(
            names = "--device",
            defaultValue = "1209:0001",
            description = "VID:PID in hex (libusb: @BUS-PORTS for one of several alike); sim: 1209:0001 loopback (full"
                    + " speed), 1209:0002 speaker, 1209:0003"
                    + " microphone, 1209:0004 camera (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--interface", defaultValue = "0", description = "bInterfaceNumber (default: ${DEFAULT-VALUE}).")
    int interfaceNumber;

    @Option(names = "--alt", defaultValue = "1", description = "bAlternateSetting (default: ${DEFAULT-VALUE}).")
    int alt;

    @Option(
            names = "--endpoint",
            defaultValue = "0x81",
            converter = UsbdTool.HexInt.class,
            description = "bEndpointAddress, e.g. 0x81 (default: ${DEFAULT-VALUE}).")
    int endpoint;

    @Option(
            names = "--packet-length",
            defaultValue = "0",
            description = "Bytes per frame; 0 = the endpoint's maximum (default).")
    int packetLength;

    @Option(names = "--packets", defaultValue = "1000", description = "Frames to stream (default: ${DEFAULT-VALUE}).")
    long packets;

    @Option(
            names = "--frames-per-transfer",
            defaultValue = "0",
            description = "Entries per length array; 0 (default) = 8 ms of bus time: 8 at full speed, 64 on a"
                    + " high-speed endpoint serviced every microframe. Fewer than 6 ms in flight leave gaps"
                    + " (ASAP starts at max(stream end, now + 6)).")
    int framesPerTransfer;

    @Option(names = "--in-flight", defaultValue = "4", description = "Transfers in flight (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @CommandLine.ArgGroup(exclusive = true)
    Start start;

    static final class Start {
        @Option(names = "--asap", description = "USB_START_ISOCH_ASAP for every transfer (default).")
        boolean asap;

        @Option(
                names = "--start-frame",
                description = "Explicit dwStartingFrame (0..4294967295) of the first transfer; the others"
                        + " follow ASAP. The run prints the bus's current frame; a frame the run would not"
                        + " reach is refused.")
        Long startFrame;
    }

    @Option(names = "--compress", description = "USB_COMPRESS_ISOCH (IN only).")
    boolean compress;

    @Option(
            names = "--file",
            description = "OUT: data to send (default: a counting pattern); IN: where to write (default: nowhere).")
    Path file;

    @CommandLine.Mixin
    StreamRun.Options streaming;

    @CommandLine.Mixin
    ReplayOptions replay;

    /** IN data for a file: an {@link AtomicFile} created at the first byte. */
    static final class FileSink extends OutputStream {
        private final Path target;
        private AtomicFile file;
        private long bytes;

        FileSink(Path target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (file == null) {
                file = AtomicFile.create(target);
            }
            file.write(ByteBuffer.wrap(b, off, len));
            bytes += len;
        }

        synchronized long bytes() {
            return bytes;
        }

        /** Puts the file in place; {@code false} if nothing was written (the target is as it was). */
        synchronized boolean commit() throws IOException {
            if (file == null) {
                return false;
            }
            file.commit();
            return true;
        }

        @Override
        public synchronized void close() {
            if (file != null) {
                file.close();
            }
        }
    }

    private static final long MAX_DWORD = 0xFFFF_FFFFL;

    /**
     * An explicit first start frame the run would give up before reaching (CE accepts any future frame, so the
     * transfers would wait there): stops the stream before any packet ran and refuses the option, naming the
     * bus's current frame.
     */
    private static void refuseUnreachableStart(
            CommandLine cl, StreamRun run, GenericStreamDriver d, long startFrame, long latestStart, long packets) {
        long now = run.bus().frame();
        if (startFrame - now <= latestStart) {
            return;
        }
        d.stop();
        throw new ParameterException(
                cl,
                String.format(
                        Locale.ROOT,
                        "--start-frame %d is %s of bus time after the bus's current frame %d, too late for this"
                                + " run to stream %d packets: choose a frame up to %d, or --asap (nothing was"
                                + " streamed)",
                        startFrame,
                        UsbdTool.seconds(startFrame - now),
                        now,
                        packets,
                        now + latestStart));
    }

    /**
     * Why CE refused an explicit first start frame ({@code ERROR_CAN_NOT_COMPLETE}, a refused transfer: exit 4)
     * when it was earlier than the bus takes one, its current frame plus the start-frame lead
     * (reference/ce-usbd.html#s1-8): the result line alone named only the error, after the run had printed the
     * current frame.
     */
    private static void explainEarlyStart(
            PrintWriter out, StreamRun run, GenericStreamDriver d, long startFrame, long latestStart) {
        IsochStream s = d.streams().get(0);
        long now = run.bus().frame();
        long first = now + Usbd.DEFAULT_START_FRAME_LEAD;
        if (startFrame >= first || !s.issueErrors().containsKey(Win32.ERROR_CAN_NOT_COMPLETE)) {
            return;
        }
        out.printf(
                Locale.ROOT,
                "--start-frame %d is earlier than frame %d, the first the bus takes a transfer at (its current frame"
                        + " %d + a lead of %d frames), so the transfer was refused: choose a frame from %d up to %d,"
                        + " or --asap%n",
                startFrame,
                first,
                now,
                Usbd.DEFAULT_START_FRAME_LEAD,
                first,
                now + latestStart);
        out.flush();
    }

    @Override
    @SuppressWarnings("try") // the sink is closed early, unwritten, when the stream failed
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        StreamRun.checkCount(cl, "--packets", packets);
        if (inFlight < 1) {
            throw new ParameterException(cl, "--in-flight must be >= 1, was " + inFlight);
        }
        if (framesPerTransfer < 0) {
            throw new ParameterException(cl, "--frames-per-transfer must be >= 0, was " + framesPerTransfer);
        }
        if (packetLength < 0) {
            throw new ParameterException(cl, "--packet-length must be >= 0, was " + packetLength);
        }
        boolean in = (endpoint & 0x80) != 0;
        if (compress && !in) {
            throw new ParameterException(cl, "--compress applies to IN endpoints only");
        }
        if (file != null) {
            if (in) {
                StreamRun.Files2.checkOutputFile(cl, "--file", file);
            } else {
                StreamRun.Files2.checkInputFile(cl, "--file", file);
            }
        }
        streaming.validate(
                cl, new StreamRun.NamedFile("--file", file), new StreamRun.NamedFile(replay.label, replay.capture));
        boolean real = root.backend == UsbdTool.Backend.libusb;
        replay.validate(cl, real);
        long startFrame = start != null && start.startFrame != null ? start.startFrame : -1;
        if (start != null && start.startFrame != null && (startFrame < 0 || startFrame > MAX_DWORD)) {
            throw new ParameterException(
                    cl, "--start-frame must be 0.." + MAX_DWORD + " (a DWORD frame number), was " + startFrame);
        }
        GenericStreamDriver.Spec what = new GenericStreamDriver.Spec(
                interfaceNumber,
                alt,
                endpoint,
                packetLength,
                packets,
                framesPerTransfer,
                inFlight,
                startFrame,
                compress);
        // the device is checked against the spec before any file is opened
        GenericStreamDriver check = new GenericStreamDriver(what, null, null);
        Target target = replay.active()
                ? replay.target(cl, cl.getParseResult().hasMatchedOption("--device") ? device : null, check)
                : Target.choose(cl, real, device, check, "device", u -> true);
        PrintWriter out = cl.getOut();
        try (InputStream src = !in && file != null ? Files.newInputStream(file) : null;
                FileSink sink = in && file != null ? new FileSink(file) : null;
                StreamRun run = new StreamRun(cl, streaming)) {
            GenericStreamDriver d = new GenericStreamDriver(what, src, sink);
            if (!run.open(
                    target,
                    d,
                    "Stream",
                    UsbDriverSettings.forVendor(target.vendorId(), target.productId()),
                    null,
                    0,
                    String.format(
                            Locale.ROOT,
                            "usbd stream: %s interface %d alt %d endpoint 0x%02X, %s",
                            target.id(),
                            interfaceNumber,
                            alt,
                            endpoint,
                            startFrame < 0 ? "ASAP" : "start frame " + startFrame))) {
                out.println("interrupted while waiting for the device; nothing was streamed");
                return ExitCode.INTERRUPTED.code();
            }
            IsochStream s = d.streams().get(0);
            out.printf(
                    Locale.ROOT,
                    "streaming %s interface %d alt %d endpoint 0x%02X (%s, up to %d bytes per interval): %d frames,"
                            + " %d x %d in flight, %s%s, current bus frame %d%n",
                    target.title(),
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
                    run.bus().frame());
            out.flush();
            UsbSpeed speed = d.speed();
            long target1 = speed == UsbSpeed.HIGH
                    ? (packets * (1L << (Math.max(1, Math.min(16, s.descriptor().bInterval())) - 1)) + 7) / 8
                    : packets;
            long maxFrames = packets * 8 + 10_000;
            if (startFrame >= 0) {
                explainEarlyStart(out, run, d, startFrame, run.boundFrames(maxFrames) - target1);
                refuseUnreachableStart(cl, run, d, startFrame, run.boundFrames(maxFrames) - target1, packets);
            }
            long busFrames = run.runToEnd(d, maxFrames, target1);
            Tally tally = new Tally();
            long due = packets;
            if (!in && file != null) {
                int len = packetLength > 0 ? packetLength : s.maxFrameLength();
                due = Math.min(packets, (Files.size(file) + len - 1) / len);
            }
            tally.streams(d, due, run.interrupted());
            String fileNote = "";
            if (sink != null && d.failure().isPresent()) {
                sink.close();
                fileNote = ", " + file + " is as it was";
            } else if (sink != null) {
                try {
                    fileNote = sink.commit()
                            ? ", " + sink.bytes() + " bytes of IN data written to " + file
                            : ", no IN data arrived: " + file + " is as it was";
                } catch (IOException e) {
                    tally.io("cannot write " + file + ": " + StreamRun.Files2.reason(e));
                }
            } else if (file != null) {
                fileNote = ", OUT data read from " + file
                        + (due < packets
                                ? " (it ended after " + due + " of the " + packets + " packets asked for)"
                                : "");
            }
            out.printf(
                    Locale.ROOT,
                    "streamed %s of bus time (%s wall)%s%n",
                    UsbdTool.seconds(busFrames),
                    run.wall(),
                    fileNote);
            if (replay.active()) {
                replay.report(out, target.model());
            }
            return run.finish(d, tally);
        }
    }
}
