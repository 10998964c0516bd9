package io.github.usbd4j.samples.tool;

import io.github.usbd4j.capture.CaptureReader;
import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.capture.UsbmonRecord;
import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code usbd replay CAPTURE}: what a usbmon capture holds, and the device it replays, attached to the
 * simulator and listed as {@code usbd list} lists devices.
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = "Rebuilds the device of a usbmon capture (pcap or pcapng from Wireshark or tcpdump on"
                + " usbmonN, or a --capture file) as a simulated device, attaches it to the simulator and lists it;"
                + " then run a driver against it with --replay CAPTURE on list, stream or record, or serve it to a"
                + " real kernel with serve-usbip --replay CAPTURE.")
final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "CAPTURE", description = "The capture file.")
    Path capture;

    @CommandLine.Option(
            names = "--replay-device",
            paramLabel = "BUS.ADDRESS",
            description = "The captured device to replay when the capture enumerates several.")
    String device;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        ReplayOptions options = new ReplayOptions();
        options.capture = capture;
        options.label = "CAPTURE";
        options.device = device;
        ReplayDevice replay = options.open(cl);
        List<UsbmonRecord> records = CaptureReader.read(capture);
        Map<String, Integer> perEndpoint = new TreeMap<>();
        for (UsbmonRecord r : records) {
            if (r.type() == Usbmon.COMPLETE
                    && r.bus() == replay.capturedBus()
                    && r.device() == replay.capturedAddress()) {
                String kind = switch (r.xferType()) {
                    case Usbmon.XFER_ISOCHRONOUS -> "isochronous";
                    case Usbmon.XFER_INTERRUPT -> "interrupt";
                    case Usbmon.XFER_CONTROL -> "control";
                    default -> "bulk";
                };
                perEndpoint.merge(
                        String.format(Locale.ROOT, "0x%02X %s %s", r.endpoint(), r.isIn() ? "IN " : "OUT", kind),
                        1,
                        Integer::sum);
            }
        }
        out.printf(
                Locale.ROOT,
                "capture %s: %d usbmon records; replaying device %d.%d (%s speed)%n",
                capture,
                records.size(),
                replay.capturedBus(),
                replay.capturedAddress(),
                replay.speed().name().toLowerCase(Locale.ROOT));
        for (Map.Entry<String, Integer> e : perEndpoint.entrySet()) {
            out.printf(Locale.ROOT, "  endpoint %s: %d completed transfers%n", e.getKey(), e.getValue());
        }
        try (SimBus bus = new SimBus(replay.speed(), 0)) {
            bus.attach(replay);
            bus.run(2);
            if (bus.usbd().devices().isEmpty()) {
                throw new ToolException(
                        ExitCode.IO_ERROR, "the replayed device did not enumerate on the simulator: " + replay);
            }
        }
        StringBuilder listing = new StringBuilder();
        DeviceView view = DeviceView.of(replay);
        DeviceReport.text(listing, view, "", view.id());
        out.print(listing);
        options.report(out, replay);
        out.println("run a driver against it: usbd stream --replay " + capture + " --interface N --alt N --endpoint EP,"
                + " usbd record --replay " + capture + " FILE.wav, or usbd serve-usbip --replay " + capture);
        out.flush();
        return 0;
    }

    /** The endpoints of an interface, for tests. */
    static List<UsbEndpoint> endpoints(UsbInterface i) {
        return i.endpoints();
    }
}
