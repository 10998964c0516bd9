package io.github.usbd4j.libusb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.usb4java.ConfigDescriptor;
import org.usb4java.Context;
import org.usb4java.Device;
import org.usb4java.DeviceDescriptor;
import org.usb4java.DeviceHandle;
import org.usb4java.DeviceList;
import org.usb4java.LibUsb;

/**
 * {@link LibusbHostController#listDevices()}: one pass over libusb's device list in a context of its
 * own. Descriptors come from libusb's cache; the device is opened (never claimed, no kernel driver
 * detached) only to read its strings, and a device that cannot be opened is listed with the reason.
 */
final class DeviceListing {
    private DeviceListing() {}

    static List<LibusbHostController.ListedDevice> list() {
        Context context = new Context();
        int rc = LibUsb.init(context);
        if (rc != LibUsb.SUCCESS) {
            throw initFailed(rc);
        }
        try {
            DeviceList list = new DeviceList();
            int n = LibUsb.getDeviceList(context, list);
            if (n < 0) {
                throw new LibusbUnavailableException("libusb_get_device_list failed: " + LibusbCodes.describe(n), null);
            }
            try {
                List<LibusbHostController.ListedDevice> out = new ArrayList<>();
                for (Device d : list) {
                    LibusbHostController.ListedDevice listed = describe(d);
                    if (listed != null) {
                        out.add(listed);
                    }
                }
                return out;
            } finally {
                LibUsb.freeDeviceList(list, true);
            }
        } finally {
            LibUsb.exit(context);
        }
    }

    /** {@code libusb_init} failed: the message says so, and why when the cause is plain (no USB at all). */
    static LibusbUnavailableException initFailed(int rc) {
        String hint = "Linux".equals(System.getProperty("os.name")) && !Files.isDirectory(Path.of("/dev/bus/usb"))
                ? " (this machine has no /dev/bus/usb: no USB host controller, or usbfs is not mounted)"
                : "";
        return new LibusbUnavailableException("libusb_init failed: " + LibusbCodes.describe(rc) + hint, null);
    }

    /** One device, or {@code null} if libusb cannot even give its device descriptor. */
    @SuppressWarnings("JdkObsolete") // usb4java's getStringDescriptorAscii fills a StringBuffer
    private static LibusbHostController.ListedDevice describe(Device d) {
        DeviceDescriptor dd = new DeviceDescriptor();
        if (LibUsb.getDeviceDescriptor(d, dd) != LibUsb.SUCCESS) {
            return null;
        }
        List<byte[]> configs = new ArrayList<>();
        for (int i = 0; i < (dd.bNumConfigurations() & 0xFF); i++) {
            ConfigDescriptor cd = new ConfigDescriptor();
            if (LibUsb.getConfigDescriptor(d, (byte) i, cd) != LibUsb.SUCCESS) {
                break; // listed with the configurations that could be read
            }
            try {
                configs.add(RawDescriptors.configuration(cd));
            } finally {
                LibUsb.freeConfigDescriptor(cd);
            }
        }
        int active = 0;
        ConfigDescriptor cd = new ConfigDescriptor();
        if (LibUsb.getActiveConfigDescriptor(d, cd) == LibUsb.SUCCESS) {
            active = cd.bConfigurationValue() & 0xFF;
            LibUsb.freeConfigDescriptor(cd);
        }
        String location = LibusbDevice.location(d);
        int vid = dd.idVendor() & 0xFFFF;
        int pid = dd.idProduct() & 0xFFFF;
        String[] strings = new String[3];
        String openProblem = null;
        DeviceHandle h = new DeviceHandle();
        int rc = LibUsb.open(d, h);
        if (rc == LibUsb.SUCCESS) {
            try {
                byte[] index = {dd.iManufacturer(), dd.iProduct(), dd.iSerialNumber()};
                for (int k = 0; k < 3; k++) {
                    if (index[k] != 0) {
                        StringBuffer sb = new StringBuffer();
                        if (LibUsb.getStringDescriptorAscii(h, index[k], sb) >= 0) {
                            strings[k] = sb.toString().trim();
                        }
                    }
                }
            } finally {
                LibUsb.close(h);
            }
        } else {
            openProblem = LibusbDevice.openFailure(location, vid, pid, rc);
        }
        return new LibusbHostController.ListedDevice(
                LibUsb.getBusNumber(d),
                LibusbDevice.portPath(d),
                LibUsb.getDeviceAddress(d),
                LibusbDevice.speedOf(LibUsb.getDeviceSpeed(d)),
                RawDescriptors.device(dd),
                configs,
                active,
                strings[0],
                strings[1],
                strings[2],
                openProblem);
    }
}
