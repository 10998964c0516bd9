package io.github.usbd4j.samples.tool;

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
            throw new ParameterException(cl, "--replay: no such file: " + capture);
        } catch (IOException e) {
            throw new ParameterException(cl, "--replay: " + e.getMessage());
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
        }
        out.flush();
    }
}
