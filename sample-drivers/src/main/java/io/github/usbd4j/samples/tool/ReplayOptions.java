package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.ReplayDevice;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --replay CAPTURE}: the device of a usbmon capture (Wireshark's or tcpdump's pcap or pcapng of a
 * {@code usbmonN} interface, or a {@code --capture} file), rebuilt as a simulated device
 * ({@link ReplayDevice}) in place of the built-in ones.
 */
final class ReplayOptions {
    @Option(
            names = "--replay",
            paramLabel = "CAPTURE",
            description = "Run against the device of a usbmon capture (pcap or pcapng, e.g. from Wireshark on"
                    + " usbmonN, or a --capture file) instead of a built-in simulated device.")
    Path capture;

    @Option(
            names = "--replay-device",
            paramLabel = "BUS.ADDRESS",
            description = "With --replay: the captured device to replay when the capture enumerates several.")
    String device;

    @Option(
            names = "--loop",
            description = "With --replay: replay the captured IN data in a loop (default: once, then empty packets).")
    boolean loop;

    /** How errors name the capture: the option here, the positional argument in {@code usbd replay CAPTURE}. */
    String label = "--replay";

    /** Whether {@code --replay} was given. */
    boolean active() {
        return capture != null;
    }

    /**
     * Checks the options before anything is touched: {@code --replay} is the simulator's (a usage error on
     * {@code --backend libusb}), its capture a readable file, and the other options go with it.
     *
     * @param real whether the command runs on {@code --backend libusb}
     */
    void validate(CommandLine cl, boolean real) {
        if (capture == null) {
            if (device != null || loop) {
                throw new ParameterException(cl, "--replay-device and --loop go with --replay CAPTURE");
            }
            return;
        }
        if (real) {
            throw new ParameterException(
                    cl,
                    "--replay runs on the simulator: it takes no --backend libusb (the capture's device is simulated)");
        }
        StreamRun.Files2.checkInputFile(cl, label, capture);
    }

    /**
     * The replayed device as the command's target, checked against its driver before anything is opened.
     *
     * @param device the command's {@code --device}, which must then name the captured device, or {@code null}
     * @param driver the driver, whose {@link IsochStreamingDriver#problemWith} judges the device
     * @throws ParameterException if the capture cannot be used, or the device cannot do what was asked
     */
    Target target(CommandLine cl, String device, IsochStreamingDriver driver) {
        ReplayDevice model = open(cl);
        DeviceView view = DeviceView.of(model);
        if (device != null) {
            int[] id = Target.vidPid(cl, device);
            if (id[0] != view.vendorId() || id[1] != view.productId() || device.contains("@")) {
                throw new ParameterException(
                        cl, "--device " + device + " is not the device of " + capture + " (" + view.id() + ")");
            }
        }
        if (view.info() == null) {
            throw new ParameterException(cl, label + ": " + capture + ": " + view.descriptorProblem());
        }
        String problem = driver.problemWith(view.info(), model.speed());
        if (problem != null) {
            throw new ParameterException(
                    cl, label + ": " + view.title() + " (" + view.speedName() + ") cannot do this: " + problem);
        }
        return new Target(view.vendorId(), view.productId(), model, view, null);
    }

    /** Reads the capture and builds the device; a capture it cannot use is a usage error naming why. */
    ReplayDevice open(CommandLine cl) {
        ReplayDevice.Builder b = ReplayDevice.builder(capture).loop(loop);
        if (device != null) {
            String[] p = device.split("\\.");
            try {
                if (p.length != 2) {
                    throw new NumberFormatException();
                }
                b.device(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
            } catch (NumberFormatException e) {
                throw new ParameterException(cl, "--replay-device must be BUS.ADDRESS, e.g. 1.3, was '" + device + "'");
            }
        }
        try {
            return b.build();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ParameterException(cl, label + ": no such file: " + capture);
        } catch (IOException e) {
            throw new ParameterException(cl, label + ": " + e.getMessage());
        }
    }

    /** After a run: the requests the capture could not answer, if any. */
    void report(PrintWriter out, DeviceModel model) {
        if (!(model instanceof ReplayDevice r)) {
            return;
        }
        List<String> missing = r.unansweredRequests();
        if (missing.isEmpty()) {
            out.printf(Locale.ROOT, "replay: every control request was answered from %s%n", r.source());
        } else {
            out.printf(
                    Locale.ROOT,
                    "replay: %d request(s) the capture never saw were stalled (capture the device doing them):%n",
                    missing.size());
            for (String m : missing) {
                out.println("  " + m);
            }
            long unlisted = r.unlistedUnansweredRequests();
            if (unlisted > 0) {
                out.printf(
                        Locale.ROOT,
                        "  and %d more stalled request(s) not listed (only the first %d different ones are)%n",
                        unlisted,
                        ReplayDevice.UNANSWERED_LISTED);
            }
        }
        long empty = r.isochronousPacketsPastTheEnd();
        if (empty > 0) {
            out.printf(
                    Locale.ROOT,
                    "replay: the capture's isochronous IN data ran out: the last %d packet(s) came back empty"
                            + " (--loop plays it again)%n",
                    empty);
        }
        out.flush();
    }
}
