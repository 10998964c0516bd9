package io.github.usbd4j.usbip;

import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.sim.SimulatedDevice;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** A device the server exports under a bus id: its descriptors, parsed once, and who imported it. */
final class ExportedDevice {
    /** An endpoint of one alternate setting of one configuration. */
    record Endpoint(int configurationValue, int interfaceNumber, int alternateSetting, int address, int attributes) {}

    /** An interface of the active configuration, as listed in OP_REP_DEVLIST. */
    record Interface(int number, int interfaceClass, int subClass, int protocol) {}

    final String busId;
    final SimulatedDevice device;
    final int busnum;
    final int devnum;
    private final byte[] deviceDescriptor;
    private final List<byte[]> configurations;
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final AtomicBoolean imported = new AtomicBoolean();
    /** The importing connection's unplug handler; written only by the connection that holds the import. */
    private volatile Runnable detachListener;

    ExportedDevice(String busId, SimulatedDevice device, int busnum, int devnum) {
        this.busId = busId;
        this.device = device;
        this.busnum = busnum;
        this.devnum = devnum;
        this.deviceDescriptor = device.deviceDescriptor().clone();
        this.configurations = List.copyOf(device.configurationDescriptors());
        for (byte[] c : configurations) {
            parseEndpoints(c);
        }
    }

    /** The USB/IP device id: {@code busnum << 16 | devnum}. */
    int devid() {
        return busnum << 16 | devnum;
    }

    boolean isHighSpeed() {
        return device.speed().usesMicroframes();
    }

    /**
     * Claims the device for one connection and opens it.
     *
     * @param onDetach run once if the device leaves the bus while imported (on the detaching thread, or at
     *     once if it left during the import); forgotten by {@link #release()}
     * @return {@code null}, or why it cannot be imported now (taken, detached, not openable)
     */
    String tryImport(Runnable onDetach) {
        if (!device.isAttached()) {
            return DETACHED;
        }
        if (!imported.compareAndSet(false, true)) {
            return "busy";
        }
        try {
            device.open();
        } catch (BackendException e) {
            imported.set(false);
            return device.isAttached() ? "cannot be opened: " + e.getMessage() : DETACHED;
        }
        detachListener = onDetach;
        device.addDetachListener(onDetach);
        return null;
    }

    /** Why a device that left the simulated bus is neither listed nor importable, and ends its import. */
    static final String DETACHED = "detached from the bus";

    /** {@code false} once the device has left the simulated bus: it is no longer listed or served. */
    boolean isAttached() {
        return device.isAttached();
    }

    /** Ends an import: pending transfers are cancelled, the device can be imported again. */
    void release() {
        Runnable l = detachListener;
        if (l != null) {
            device.removeDetachListener(l);
            detachListener = null;
        }
        device.close();
        imported.set(false);
    }

    boolean isImported() {
        return imported.get();
    }

    /**
     * The type of an endpoint in the active configuration and alternate settings.
     *
     * @param address endpoint address, direction bit included
     * @return its type, or {@code null} if it is not there
     */
    TransferType endpointType(int address) {
        int config = device.activeConfigurationValue();
        for (Endpoint e : endpoints) {
            if (e.address() == address
                    && e.configurationValue() == config
                    && device.alternateSetting(e.interfaceNumber()) == e.alternateSetting()) {
                return switch (e.attributes() & 0x03) {
                    case 0 -> TransferType.CONTROL;
                    case 1 -> TransferType.ISOCHRONOUS;
                    case 2 -> TransferType.BULK;
                    default -> TransferType.INTERRUPT;
                };
            }
        }
        return null;
    }

    /** The interfaces of the active configuration (alternate setting 0's class triple), in order. */
    List<Interface> interfaces() {
        byte[] c = activeConfiguration();
        List<Interface> result = new ArrayList<>();
        if (c == null) {
            return result;
        }
        for (int i = 0; i + 1 < c.length; ) {
            int len = c[i] & 0xFF;
            if (len < 2 || i + len > c.length) {
                break;
            }
            if (c[i + 1] == 4 && len >= 9 && c[i + 3] == 0) {
                result.add(new Interface(c[i + 2] & 0xFF, c[i + 5] & 0xFF, c[i + 6] & 0xFF, c[i + 7] & 0xFF));
            }
            i += len;
        }
        return result;
    }

    private byte[] activeConfiguration() {
        int value = device.activeConfigurationValue();
        for (byte[] c : configurations) {
            if (c.length >= 9 && (c[5] & 0xFF) == value) {
                return c;
            }
        }
        return null;
    }

    /**
     * Writes the 312-byte {@code usb_device} record.
     *
     * @param interfaces the device's {@link #interfaces()}, read once: a device list follows the record with
     *     them, and the active configuration may change in between (another peer's import)
     */
    void writeUsbDevice(DataOutputStream out, List<Interface> interfaces) throws IOException {
        byte[] path = new byte[256];
        byte[] p = ("/sys/devices/usbd4j-sim/usb" + busnum + "/" + busId).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(p, 0, path, 0, Math.min(p.length, 255));
        out.write(path);
        byte[] id = new byte[UsbIpProtocol.BUSID_SIZE];
        byte[] b = busId.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, id, 0, Math.min(b.length, UsbIpProtocol.BUSID_SIZE - 1));
        out.write(id);
        out.writeInt(busnum);
        out.writeInt(devnum);
        out.writeInt(speedCode());
        out.writeShort(le16(deviceDescriptor, 8));
        out.writeShort(le16(deviceDescriptor, 10));
        out.writeShort(le16(deviceDescriptor, 12));
        out.writeByte(deviceDescriptor[4]);
        out.writeByte(deviceDescriptor[5]);
        out.writeByte(deviceDescriptor[6]);
        out.writeByte(device.activeConfigurationValue());
        out.writeByte(configurations.size());
        // the interfaces listed, not the descriptor's bNumInterfaces: OP_REP_DEVLIST follows this record with
        // that many interface records, and a device that miscounts would put the client's list out of step
        out.writeByte(interfaces.size());
    }

    private int speedCode() {
        return switch (device.speed()) {
            case LOW -> UsbIpProtocol.SPEED_LOW;
            case FULL -> UsbIpProtocol.SPEED_FULL;
            case HIGH -> UsbIpProtocol.SPEED_HIGH;
            case SUPER -> UsbIpProtocol.SPEED_SUPER;
            case SUPER_PLUS -> UsbIpProtocol.SPEED_SUPER_PLUS;
        };
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    private void parseEndpoints(byte[] c) {
        if (c.length < 9) {
            return;
        }
        int config = c[5] & 0xFF;
        int iface = -1;
        int alt = 0;
        for (int i = 0; i + 1 < c.length; ) {
            int len = c[i] & 0xFF;
            if (len < 2 || i + len > c.length) {
                break;
            }
            int type = c[i + 1];
            if (type == 4 && len >= 9) {
                iface = c[i + 2] & 0xFF;
                alt = c[i + 3] & 0xFF;
            } else if (type == 5 && len >= 7 && iface >= 0) {
                endpoints.add(new Endpoint(config, iface, alt, c[i + 2] & 0xFF, c[i + 3] & 0xFF));
            }
            i += len;
        }
    }

    @Override
    public String toString() {
        return busId + " (" + device.location() + ")";
    }
}
