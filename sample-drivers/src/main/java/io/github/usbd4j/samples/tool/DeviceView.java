package io.github.usbd4j.samples.tool;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.libusb.LibusbUnavailableException;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.usb.UsbDevice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * One device as the tool lists and chooses it: a built-in simulated model, or a device libusb lists.
 *
 * @param vendorId {@code idVendor}
 * @param productId {@code idProduct}
 * @param speed the speed it runs at
 * @param location {@code "sim"}, or the libusb location ({@code "libusb:1-1 (address 2)"})
 * @param busNumber the bus (0 on the simulator)
 * @param portPath the port path ({@code "1.4"}; empty on the simulator)
 * @param manufacturer the manufacturer string, or {@code null}
 * @param product the product string, or {@code null}
 * @param serial the serial number string, or {@code null}
 * @param info the parsed descriptors, {@code null} if they are malformed
 * @param descriptorProblem why they could not be parsed, or {@code null}
 * @param openProblem why the device cannot be opened (libusb), or {@code null}
 * @param hub whether it is a hub
 */
record DeviceView(
        int vendorId,
        int productId,
        UsbSpeed speed,
        String location,
        int busNumber,
        String portPath,
        String manufacturer,
        String product,
        String serial,
        UsbDevice info,
        String descriptorProblem,
        String openProblem,
        boolean hub) {

    /** Whether it is configured (a libusb device between enumeration and SET_CONFIGURATION is not). */
    boolean configured() {
        return descriptorProblem == null || !descriptorProblem.startsWith(UNCONFIGURED);
    }

    private static final String UNCONFIGURED = "unconfigured";

    /** {@code "3-1"}: bus and port path, as {@code --device VID:PID@BUS-PORTS} takes it. */
    String busPorts() {
        return busNumber + "-" + portPath;
    }

    /** {@code "1209:0003"}. */
    String id() {
        return id(vendorId, productId);
    }

    static String id(int vendorId, int productId) {
        return String.format(Locale.ROOT, "%04x:%04x", vendorId, productId);
    }

    /** {@code "1209:0003 usbd4j UAC1 Microphone"}. */
    String title() {
        StringBuilder s = new StringBuilder(id());
        if (manufacturer != null && !manufacturer.isBlank()) {
            s.append(' ').append(manufacturer);
        }
        if (product != null && !product.isBlank()) {
            s.append(' ').append(product);
        }
        return s.toString();
    }

    /** {@code "full speed"}. */
    String speedName() {
        return speedName(speed);
    }

    static String speedName(UsbSpeed speed) {
        return switch (speed) {
            case LOW -> "low speed";
            case FULL -> "full speed";
            case HIGH -> "high speed";
            case SUPER -> "SuperSpeed";
            case SUPER_PLUS -> "SuperSpeedPlus";
        };
    }

    /** A built-in simulated device. */
    static DeviceView of(DeviceModel m) {
        UsbDevice info = null;
        String problem = null;
        try {
            int active = Descriptors.parseConfiguration(
                            m.configurationDescriptors().get(0))
                    .descriptor()
                    .bConfigurationValue();
            info = Descriptors.parseDevice(m.deviceDescriptor().toBytes(), m.configurationDescriptors(), active);
        } catch (DescriptorException e) {
            problem = e.getMessage();
        }
        var dd = m.deviceDescriptor();
        return new DeviceView(
                dd.idVendor(),
                dd.idProduct(),
                m.speed(),
                "sim",
                0,
                "",
                m.string(dd.iManufacturer()),
                m.string(dd.iProduct()),
                dd.iSerialNumber() == 0 ? null : m.string(dd.iSerialNumber()),
                info,
                problem,
                null,
                dd.bDeviceClass() == 9);
    }

    /** A device libusb listed. */
    static DeviceView of(LibusbHostController.ListedDevice d) {
        UsbDevice info = null;
        String problem = null;
        try {
            info = Descriptors.parseDevice(
                    d.deviceDescriptor(), d.configurationDescriptors(), d.activeConfigurationValue());
        } catch (DescriptorException e) {
            problem = d.activeConfigurationValue() == 0
                    ? UNCONFIGURED + " (bConfigurationValue 0)"
                    : "malformed descriptors: " + e.getMessage();
        }
        return new DeviceView(
                d.vendorId(),
                d.productId(),
                d.speed(),
                d.location(),
                d.busNumber(),
                d.portPath(),
                d.manufacturer(),
                d.product(),
                d.serialNumber(),
                info,
                problem,
                d.openProblem(),
                d.isHub());
    }

    /**
     * The devices libusb lists, sorted by bus and port.
     *
     * @throws ToolException ({@link ExitCode#NO_DEVICE}) if USB is not available here
     */
    static List<DeviceView> real() {
        List<LibusbHostController.ListedDevice> listed;
        try {
            listed = LibusbHostController.listDevices();
        } catch (LibusbUnavailableException e) {
            throw new ToolException(ExitCode.NO_DEVICE, "USB is not available here: " + e.getMessage(), e);
        }
        List<DeviceView> out = new ArrayList<>();
        listed.forEach(d -> out.add(of(d)));
        out.sort(Comparator.comparingInt(DeviceView::busNumber).thenComparing(DeviceView::portPath));
        return out;
    }

    /** What is on the bus, in one line, for messages: the devices other than hubs. */
    static String summary(List<DeviceView> devices) {
        List<String> s = new ArrayList<>();
        int hubs = 0;
        for (DeviceView d : devices) {
            if (d.hub()) {
                hubs++;
            } else {
                s.add(d.title() + " (" + d.speedName() + ", " + d.location() + ")");
            }
        }
        if (s.isEmpty()) {
            return hubs == 0 ? "no USB devices at all" : "no USB devices other than " + hubs + " hub(s)";
        }
        return String.join("; ", s);
    }
}
