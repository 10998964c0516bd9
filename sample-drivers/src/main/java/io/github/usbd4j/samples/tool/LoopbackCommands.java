package io.github.usbd4j.samples.tool;

import static io.github.usbd4j.ce.UsbTypes.USB_CRC_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NOT_ACCESSED_ERROR;

import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.samples.iso.StreamStats;
import io.github.usbd4j.samples.loopback.LoopbackTestDriver;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.LoopbackDevice;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code usbd demo} and {@code usbd loopback-test}: the {@link LoopbackTestDriver} with a report. */
final class LoopbackCommands {
    /** OUT packets a real device gets before the IN stream starts: its start frame is only approximate. */
    static final int REAL_IN_LAG_PACKETS = 64;

    private LoopbackCommands() {}

    /** The loopback test: shared by {@code demo} and {@code loopback-test}. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        UsbdTool root;

        @Option(
                names = "--seed",
                defaultValue = "42",
                description = "sim: fault-injection seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @CommandLine.Mixin
        StreamRun.Options streaming;

        abstract UsbSpeed speed();

        abstract int alternateSetting();

        int interfaceNumber() {
            return LoopbackTestDriver.INTERFACE;
        }

        String device() {
            return null;
        }

        abstract long frames();

        /** Checks the option that sets {@link #frames()}. */
        abstract void checkLength(CommandLine cl);

        abstract double errorRate();

        abstract long[] missedFrames();

        /** Whether lost packets that match the injected faults are expected (the demo). */
        boolean faultsExpected() {
            return false;
        }

        @Override
        public Integer call() {
            CommandLine cl = spec.commandLine();
            checkLength(cl);
            boolean real = root.backend == UsbdTool.Backend.libusb;
            double rate = errorRate();
            long[] missed = missedFrames();
            if (real && (rate > 0 || missed.length > 0)) {
                throw new ParameterException(cl, "--error-rate and --missed-frame inject faults on the simulator only");
            }
            if (real && cl.getParseResult().hasMatchedOption("--speed")) {
                throw new ParameterException(
                        cl, "--speed applies to the simulator only: a real device runs at its own speed");
            }
            if (real && cl.getParseResult().hasMatchedOption("--seed")) {
                throw new ParameterException(
                        cl, "--seed applies to the simulator only: it seeds the faults injected there");
            }
            UsbSpeed speed = speed();
            streaming.validate(cl);
            LoopbackTestDriver d = new LoopbackTestDriver(interfaceNumber(), alternateSetting(), frames());
            Target target;
            if (real) {
                d.inLagPackets(REAL_IN_LAG_PACKETS);
                target = Target.choose(
                        cl,
                        true,
                        device(),
                        d,
                        "iso loopback device",
                        u -> Target.hasIso(u, i -> true, true) && Target.hasIso(u, i -> true, false));
            } else {
                if (device() != null) {
                    int[] id = Target.vidPid(cl, device());
                    if (id[0] != LoopbackDevice.VENDOR_ID || id[1] != LoopbackDevice.PRODUCT_ID) {
                        throw new ParameterException(
                                cl, "the simulator's loopback device is 1209:0001, not " + device());
                    }
                }
                LoopbackDevice model = speed == UsbSpeed.HIGH ? LoopbackDevice.highSpeed() : LoopbackDevice.fullSpeed();
                DeviceView view = DeviceView.of(model);
                String problem = d.problemWith(view.info(), model.speed());
                if (problem != null) {
                    throw new ParameterException(
                            cl, view.title() + " (" + view.speedName() + ") cannot do this: " + problem);
                }
                target = new Target(LoopbackDevice.VENDOR_ID, LoopbackDevice.PRODUCT_ID, model, view, null);
            }
            FaultPlan faults = null;
            AtomicLong injected = new AtomicLong();
            // the bus frames the stream ran in, first and last: a --missed-frame outside them missed nothing
            long[] streamed = {Long.MAX_VALUE, Long.MIN_VALUE};
            if (!real) {
                FaultPlan.Builder f = FaultPlan.builder();
                if (rate > 0) {
                    f.packetErrorRate(0x81, rate, PacketStatus.CRC);
                }
                for (long m : missed) {
                    f.missedFrame(m);
                }
                faults = f.build();
                if (missed.length > 0) {
                    d.addFrameListener((s, index, busFrame, length, usbError) -> {
                        synchronized (streamed) {
                            streamed[0] = Math.min(streamed[0], busFrame);
                            streamed[1] = Math.max(streamed[1], busFrame);
                        }
                    });
                }
                if (faultsExpected()) {
                    d.addFrameListener((s, index, busFrame, length, usbError) -> {
                        if ((usbError == USB_CRC_ERROR && s.isIn() && rate > 0)
                                || (usbError == USB_NOT_ACCESSED_ERROR
                                        && Arrays.stream(missed).anyMatch(m -> m == busFrame))) {
                            injected.incrementAndGet();
                        }
                    });
                }
            }
            PrintWriter out = cl.getOut();
            try (StreamRun run = new StreamRun(cl, streaming)) {
                String where = real
                        ? target.title()
                                + (target.view() == null
                                        ? ""
                                        : " (" + target.view().speedName() + ", "
                                                + target.view().location() + ")")
                        : String.format(
                                Locale.ROOT,
                                "simulated %s-speed bus (virtual clock), loopback device 1209:0001",
                                speed == UsbSpeed.HIGH ? "high" : "full");
                out.printf(Locale.ROOT, "usbd %s: %s%n", spec.name(), where);
                out.flush();
                String title = String.format(
                        Locale.ROOT,
                        "usbd %s: loopback %s, %s, interface %d alt %d%s",
                        spec.name(),
                        target.id(),
                        real ? "libusb" : (speed == UsbSpeed.HIGH ? "high" : "full") + " speed",
                        interfaceNumber(),
                        alternateSetting(),
                        real ? "" : ", seed " + seed);
                if (!run.open(
                        target,
                        d,
                        "LoopbackTest",
                        io.github.usbd4j.ce.UsbDriverSettings.forVendor(target.vendorId(), target.productId()),
                        faults,
                        seed,
                        title)) {
                    out.println("interrupted while waiting for the device; nothing was streamed");
                    return ExitCode.INTERRUPTED.code();
                }
                IsochStream o = d.outStream();
                IsochStream i = d.inStream();
                out.printf(
                        Locale.ROOT,
                        "driver LoopbackTest: interface %d alt %d, iso OUT 0x%02X + iso IN 0x%02X, up to %d bytes per"
                                + " frame, %d transfers x %d frames in flight per pipe, %s%s%n",
                        interfaceNumber(),
                        alternateSetting(),
                        o.endpointAddress(),
                        i.endpointAddress(),
                        o.maxFrameLength(),
                        o.queueShape()[1],
                        o.queueShape()[0],
                        UsbTypes.flagNames(IsochStreamingDriver.BASE_FLAGS),
                        real ? ", IN starts after " + REAL_IN_LAG_PACKETS + " OUT packets" : "");
                if (rate > 0 || missed.length > 0) {
                    out.printf(
                            Locale.ROOT,
                            "faults injected: USB_CRC_ERROR on %.2f %% of IN frames, missed frames %s%n",
                            rate * 100,
                            Arrays.toString(missed));
                }
                UsbSpeed actual = d.speed();
                long target1 = actual == UsbSpeed.HIGH ? (frames() + 7) / 8 : frames();
                long busFrames = run.runToEnd(d, frames() * 8 + 10_000, target1);
                StreamStats out1 = o.stats();
                StreamStats in1 = i.stats();
                out.printf(
                        Locale.ROOT,
                        "streamed %s of bus time in %s of wall time:%n",
                        UsbdTool.seconds(busFrames),
                        run.wall());
                out.printf(
                        Locale.ROOT,
                        "  OUT 0x%02X: %d frames, %d bytes written (pattern, 1..%d bytes a frame)%n",
                        o.endpointAddress(),
                        out1.frames(),
                        out1.bytes(),
                        o.maxFrameLength());
                out.printf(
                        Locale.ROOT,
                        "  IN  0x%02X: %d frames, %d bytes read; %d packets (%d bytes) verified byte-exact, %d came"
                                + " back with an error status, %d came back different, %d never came back%n",
                        i.endpointAddress(),
                        in1.frames(),
                        in1.bytes(),
                        d.verifiedPackets(),
                        d.verifiedBytes(),
                        d.errorPackets(),
                        d.mismatchCount(),
                        d.neverCameBack());
                if (d.emptyReads() > 0) {
                    out.printf(
                            Locale.ROOT,
                            "  %d IN reads found none of the OUT packets queued (the OUT stream fell behind; nothing"
                                    + " sent was lost by them), %d OUT packets were still queued at the end%n",
                            d.emptyReads(),
                            d.unmatchedDelivered());
                }
                long[] outside;
                synchronized (streamed) {
                    outside = Arrays.stream(missed)
                            .filter(m -> m < streamed[0] || m > streamed[1])
                            .toArray();
                }
                if (outside.length > 0) {
                    out.printf(
                            Locale.ROOT,
                            "  missed frames %s: outside the bus frames the stream ran in (%s), so nothing was"
                                    + " missed there%n",
                            Arrays.toString(outside),
                            streamed[0] > streamed[1] ? "none" : streamed[0] + ".." + streamed[1]);
                }
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
                            "  packet %d, read in frame %d: %s%n",
                            m.packet(),
                            m.busFrame(),
                            m.description());
                }
                Tally tally = new Tally()
                        .streams(d, frames(), run.interrupted())
                        .lose("came back different", d.mismatchCount())
                        .lose("never came back", d.neverCameBack());
                if (faultsExpected()) {
                    tally.explained(injected.get(), "injected by the demo");
                }
                return run.finish(d, tally);
            }
        }
    }

    /** {@code usbd demo}. */
    @Command(
            name = "demo",
            mixinStandardHelpOptions = true,
            description = "Attaches the loopback device to a simulated full-speed bus (virtual clock), runs the"
                    + " LoopbackTestDriver for 10 s of bus time with a few injected faults, and prints what it"
                    + " streamed, a per-frame summary and the result. The injected faults are expected: they do not"
                    + " count against --max-errors.")
    static final class Demo extends Base {
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
        void checkLength(CommandLine cl) {
            StreamRun.checkSeconds(cl, secondsOfBusTime);
        }

        @Override
        double errorRate() {
            return noFaults ? 0 : 0.001;
        }

        @Override
        long[] missedFrames() {
            return noFaults || frames() < 5_000 ? new long[0] : new long[] {5_000};
        }

        @Override
        boolean faultsExpected() {
            return true;
        }
    }

    /** {@code usbd loopback-test}. */
    @Command(
            name = "loopback-test",
            mixinStandardHelpOptions = true,
            description = "usbtest-style iso loopback: writes a pattern on iso OUT, reads iso IN, verifies every byte"
                    + " and reports per-frame errors. sim: the built-in loopback device, with faults to inject."
                    + " libusb: any device whose interface loops iso OUT back to iso IN in order (the usbd4j"
                    + " loopback over USB/IP included). Packets that failed or came back different count as lost.")
    static final class LoopbackTest extends Base {
        @Option(
                names = "--device",
                description =
                        "libusb: the device's VID:PID in hex, @BUS-PORTS for one of several alike (default: the one"
                                + " device with such an interface).")
        String deviceId;

        @Option(
                names = "--speed",
                defaultValue = "full",
                description = "sim: full or high (default: ${DEFAULT-VALUE}).")
        String speedName;

        @Option(
                names = "--interface",
                defaultValue = "0",
                description = "The interface with the iso OUT and IN endpoints (default: ${DEFAULT-VALUE}).")
        int interfaceNumber;

        @Option(names = "--alt", defaultValue = "1", description = "Its alternate setting (default: ${DEFAULT-VALUE}).")
        int alt;

        @Option(
                names = "--frames",
                defaultValue = "10000",
                description = "Frames per direction (default: ${DEFAULT-VALUE}).")
        long frameCount;

        @Option(
                names = "--error-rate",
                defaultValue = "0",
                description = "sim: probability of a CRC error per IN frame.")
        double rate;

        @Option(names = "--missed-frame", description = "sim: bus frame the host controller misses (repeatable).")
        long[] missed = new long[0];

        @Override
        String device() {
            return deviceId;
        }

        @Override
        int interfaceNumber() {
            return interfaceNumber;
        }

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
        void checkLength(CommandLine cl) {
            StreamRun.checkCount(cl, "--frames", frameCount);
        }

        @Override
        double errorRate() {
            if (!(rate >= 0 && rate <= 1)) {
                throw new ParameterException(spec.commandLine(), "--error-rate must be 0..1, was " + rate);
            }
            return rate;
        }

        @Override
        long[] missedFrames() {
            for (long m : missed) {
                if (m < 0) {
                    throw new ParameterException(
                            spec.commandLine(), "--missed-frame must be a bus frame number >= 0, was " + m);
                }
            }
            return missed;
        }
    }
}
