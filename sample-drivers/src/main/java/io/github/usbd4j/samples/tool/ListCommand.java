package io.github.usbd4j.samples.tool;

import io.github.usbd4j.sim.DeviceModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code usbd list}: the devices, in the detail a driver author needs ({@link DeviceReport}). */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = {
            "Lists the devices with their speed, configurations, interfaces and every alternate setting, endpoints"
                    + " (type, direction, wMaxPacketSize decoded, interval as a period, iso sync and usage types,"
                    + " bytes per service interval), UAC1 and UVC class summaries, and the CE, WinUSB and usbd calls"
                    + " that stream each isochronous endpoint.",
            "sim: the built-in simulated devices, as the other commands use them. libusb: the devices on this"
                    + " machine's buses (hubs in one line); nothing is claimed, each device is opened only to read"
                    + " its strings. --replay CAPTURE: the device of a usbmon capture, as the simulator replays it."
        })
final class ListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @CommandLine.ParentCommand
    UsbdTool root;

    @Option(
            names = "--json",
            description = "Print JSON for scripts instead of text; a failure too ({\"error\": ..., \"exitCode\": N}"
                    + " on stdout, the message on stderr).")
    boolean json;

    @CommandLine.Mixin
    ReplayOptions replay;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean real = root.backend == UsbdTool.Backend.libusb;
        replay.validate(spec.commandLine(), real);
        List<DeviceView> devices = new ArrayList<>();
        if (replay.active()) {
            devices.add(DeviceView.of(replay.open(spec.commandLine())));
        } else if (real) {
            devices.addAll(DeviceView.real());
        } else {
            for (DeviceModel m : SimDevices.all()) {
                devices.add(DeviceView.of(m));
            }
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", root.backend.name());
            if (replay.active()) {
                m.put("replay", replay.capture.toString());
            }
            List<Object> list = new ArrayList<>();
            devices.forEach(d -> list.add(DeviceReport.json(d)));
            m.put("devices", list);
            out.print(Json.write(m));
        } else {
            StringBuilder s = new StringBuilder();
            if (devices.isEmpty()) {
                s.append("no USB devices on this machine's buses\n");
            }
            int bus = -1;
            java.util.Set<String> seen = new java.util.HashSet<>();
            java.util.Set<String> twice = new java.util.HashSet<>();
            devices.forEach(d -> {
                if (!seen.add(d.id())) {
                    twice.add(d.id());
                }
            });
            for (DeviceView d : devices) {
                if (real && d.busNumber() != bus) {
                    bus = d.busNumber();
                    s.append("bus ").append(bus).append(":\n");
                }
                DeviceReport.text(
                        s,
                        d,
                        real ? " --backend libusb" : "",
                        d.id() + (twice.contains(d.id()) ? "@" + d.busPorts() : ""));
                if (!real && !replay.active() && d.vendorId() == 0x1209 && d.productId() == 0x0001) {
                    s.append("  (a high-speed variant, alternate settings 1-3 up to 3072 bytes per microframe:"
                            + " loopback-test --speed high, serve-usbip --device loopback-hs)\n");
                }
            }
            out.print(s);
        }
        out.flush();
        return ExitCode.OK.code();
    }
}
