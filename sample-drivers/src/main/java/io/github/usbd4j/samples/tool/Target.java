package io.github.usbd4j.samples.tool;

import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The device a streaming command runs on, chosen and checked against its driver before anything is
 * opened or written: a built-in model on the sim backend; on libusb a VID:PID and, if it is on the bus
 * already, what libusb lists for it (else the command waits for it to be plugged in).
 *
 * @param vendorId {@code idVendor}
 * @param productId {@code idProduct}
 * @param model the simulated model (sim backend), else {@code null}
 * @param view the device as listed, {@code null} for a real device not plugged in yet
 * @param busPorts where a real device must be ({@code "3-1"}), {@code null} for anywhere
 */
record Target(int vendorId, int productId, DeviceModel model, DeviceView view, String busPorts) {

    /** {@code "1209:0003 usbd4j UAC1 Microphone"}, or the VID:PID alone before the device is seen. */
    String title() {
        return view != null ? view.title() : DeviceView.id(vendorId, productId);
    }

    String id() {
        return DeviceView.id(vendorId, productId);
    }

    /**
     * Chooses the device.
     *
     * @param cl the command, for usage errors
     * @param real the libusb backend (else the simulator)
     * @param device the {@code --device} VID:PID, optionally {@code @BUS-PORTS} ({@code 46f4:0002@3-1}, as
     *     {@code usbd list} shows the location) for one of several with the same IDs; or {@code null} to
     *     find the one device the driver can use
     * @param driver the driver, whose {@link IsochStreamingDriver#problemWith} judges each device
     * @param what what the command needs, for messages ({@code "UAC1 microphone"})
     * @param kind the devices of that kind, for messages when none can be used: when {@code device} is
     *     {@code null} and no device suits the driver, the problems of those of the right kind are a usage
     *     error; with none of the kind it is "no device"
     * @return the target
     * @throws ParameterException for a bad VID:PID, a device the driver cannot use, or several candidates
     * @throws ToolException ({@link ExitCode#NO_DEVICE}) when no device can be found without a VID:PID, or
     *     USB is not available
     */
    static Target choose(
            CommandLine cl,
            boolean real,
            String device,
            IsochStreamingDriver driver,
            String what,
            Predicate<UsbDevice> kind) {
        int[] id = device == null ? null : vidPid(cl, device);
        String at = device == null || !device.contains("@") ? null : device.substring(device.indexOf('@') + 1);
        if (at != null && !real) {
            throw new ParameterException(cl, "--device: the simulator's devices have no bus location ('@" + at + "')");
        }
        List<DeviceView> candidates = new ArrayList<>();
        List<DeviceView> all;
        if (real) {
            all = DeviceView.real();
        } else {
            all = new ArrayList<>();
            for (DeviceModel m : SimDevices.all()) {
                all.add(DeviceView.of(m));
            }
        }
        for (DeviceView v : all) {
            if (id != null && (v.vendorId() != id[0] || v.productId() != id[1])) {
                continue;
            }
            if (at != null && !at.equals(v.busPorts())) {
                continue;
            }
            if (id == null && (v.hub() || v.info() == null || driver.problemWith(v.info(), v.speed()) != null)) {
                continue;
            }
            candidates.add(v);
        }
        if (id == null) {
            List<String> nearMisses = new ArrayList<>();
            for (DeviceView v : all) {
                if (candidates.isEmpty() && !v.hub() && v.info() != null && kind.test(v.info())) {
                    nearMisses.add(v.title() + " (" + v.speedName() + ") cannot do this: "
                            + driver.problemWith(v.info(), v.speed()));
                }
            }
            if (!nearMisses.isEmpty()) {
                throw new ParameterException(cl, String.join("; ", nearMisses));
            }
            if (candidates.isEmpty()) {
                throw new ToolException(
                        ExitCode.NO_DEVICE,
                        "no " + what + " on the bus (" + DeviceView.summary(all) + "); plug one in, or name one with"
                                + " --device VID:PID");
            }
            if (candidates.size() > 1) {
                throw new ParameterException(
                        cl,
                        "several " + what + "s: " + DeviceView.summary(candidates)
                                + "; choose one with --device VID:PID");
            }
        } else if (candidates.isEmpty()) {
            if (!real) {
                throw new ParameterException(
                        cl,
                        "no simulated device " + DeviceView.id(id[0], id[1]) + " (built in: " + SimDevices.ids()
                                + "; real devices: --backend libusb)");
            }
            return new Target(id[0], id[1], null, null, at); // not plugged in yet: wait for it
        }
        DeviceView v = candidates.get(0);
        if (v.info() == null && real && !v.configured()) {
            return new Target(id[0], id[1], null, null, v.busPorts()); // still enumerating: wait for it
        }
        if (v.info() == null) {
            throw new ToolException(
                    ExitCode.IO_ERROR, v.title() + " at " + v.location() + ": " + v.descriptorProblem());
        }
        String problem = driver.problemWith(v.info(), v.speed());
        if (problem != null) {
            throw new ParameterException(cl, v.title() + " (" + v.speedName() + ") cannot do this: " + problem);
        }
        if (v.openProblem() != null) {
            throw new ToolException(ExitCode.IO_ERROR, v.openProblem());
        }
        DeviceModel model =
                real ? null : SimDevices.byId(v.vendorId(), v.productId()).orElseThrow();
        return new Target(v.vendorId(), v.productId(), model, v, real ? v.busPorts() : null);
    }

    /** {@code "046d:0825"} (or {@code "046d:0825@3-1"}) as {vendor, product}; a parameter error otherwise. */
    static int[] vidPid(CommandLine cl, String device) {
        String ids = device.contains("@") ? device.substring(0, device.indexOf('@')) : device;
        if (device.contains("@") && !device.substring(device.indexOf('@') + 1).matches("\\d+-\\d+(\\.\\d+)*")) {
            throw new ParameterException(
                    cl, "--device: the location after '@' is BUS-PORTS as 'usbd list' shows it, e.g. 3-1 or 1-2.4");
        }
        String[] vp = ids.split(":");
        try {
            if (vp.length == 2 && !vp[0].isEmpty() && !vp[1].isEmpty()) {
                int vid = Integer.parseInt(vp[0], 16);
                int pid = Integer.parseInt(vp[1], 16);
                if ((vid & ~0xFFFF) == 0 && (pid & ~0xFFFF) == 0) {
                    return new int[] {vid, pid};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(
                cl, "--device must be VID:PID in hex (optionally @BUS-PORTS), was '" + device + "'");
    }

    /** Whether a device has an interface setting that passes {@code which} with an isochronous endpoint of this direction. */
    static boolean hasIso(UsbDevice device, Predicate<UsbInterface> which, boolean in) {
        for (UsbInterface i : device.activeConfig().interfaces()) {
            if (which.test(i)) {
                for (UsbEndpoint e : i.endpoints()) {
                    if (e.descriptor().isIsochronous() && e.descriptor().isIn() == in) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
