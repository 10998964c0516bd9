package io.github.usbd4j.libusb;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.UsbConfiguration;
import java.nio.IntBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.usb4java.ConfigDescriptor;
import org.usb4java.Device;
import org.usb4java.DeviceDescriptor;
import org.usb4java.DeviceHandle;
import org.usb4java.LibUsb;

/**
 * A device on the usb4java backend. Descriptors are read from libusb's cache without opening the device;
 * {@link #open()} opens it, detaches kernel drivers and claims every interface of the active
 * configuration, as a CE client driver expects to own its device.
 *
 * <p><b>Standard requests.</b> usbfs must know about some requests, so they do not go to the device as
 * raw control transfers: {@code SET_INTERFACE} becomes {@code libusb_set_interface_alt_setting} (the
 * kernel enables the new endpoints and checks bandwidth), {@code SET_CONFIGURATION} becomes
 * {@code libusb_set_configuration} (interfaces released and claimed again), and
 * {@code CLEAR_FEATURE(ENDPOINT_HALT)} becomes {@code libusb_clear_halt} (which also resets the host's
 * data toggle). {@code SET_ADDRESS} is refused. These run on a worker thread and complete like any
 * transfer.
 *
 * <p><b>Start frames.</b> An isochronous batch submitted to an idle endpoint is held until
 * {@code submitLead} ms before its start frame and then submitted (libusb always schedules ASAP); a
 * batch for an endpoint that already has batches in flight or held is queued behind them, because the
 * kernel appends an ASAP URB right after the endpoint's last one, which is the frame the runtime chose.
 */
final class LibusbDevice implements BackendDevice {
    private static final Logger LOG = LoggerFactory.getLogger(LibusbDevice.class);

    private static final int SET_INTERFACE = 11;
    private static final int SET_CONFIGURATION = 9;
    private static final int CLEAR_FEATURE = 1;
    private static final int SET_ADDRESS = 5;

    private final LibusbHostController controller;
    private final Device device;
    private final String location;
    private final UsbSpeed speed;
    private final byte[] deviceDescriptor;
    private final List<byte[]> configurations;
    private final int activeConfiguration;
    private final int vendorId;
    private final int productId;
    private final boolean hub;
    private final int maxIsoPacket = KernelLimits.maxIsoPacketLength();

    private final Object lock = new Object();
    /** Per endpoint, indexed by {@link #slot}: looked up on every transfer, so no map and no boxing. */
    private final EndpointQueue[] endpoints = new EndpointQueue[32];

    private final Set<NativeTransfer> natives = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Integer> claimed = new ArrayList<>();
    private DeviceHandle handle;
    private boolean gone;
    private int inFlight;
    /** Threads in {@link #awaitIdle()}: a completion wakes them, and only then notifies. */
    private int idleWaiters;

    /** Held and in-flight isochronous batches of one endpoint, in submission order. */
    private static final class EndpointQueue {
        int inFlight;
        final ArrayDeque<BackendTransfer> held = new ArrayDeque<>();
    }

    LibusbDevice(LibusbHostController controller, Device device) throws BackendException {
        this.controller = controller;
        this.device = LibUsb.refDevice(device);
        this.location = location(device);
        this.speed = speedOf(LibUsb.getDeviceSpeed(device));
        DeviceDescriptor dd = new DeviceDescriptor();
        check(LibUsb.getDeviceDescriptor(device, dd), "read the device descriptor");
        this.deviceDescriptor = RawDescriptors.device(dd);
        this.vendorId = dd.idVendor() & 0xFFFF;
        this.productId = dd.idProduct() & 0xFFFF;
        this.hub = dd.bDeviceClass() == 9;
        List<byte[]> configs = new ArrayList<>();
        for (int i = 0; i < (dd.bNumConfigurations() & 0xFF); i++) {
            ConfigDescriptor cd = new ConfigDescriptor();
            check(LibUsb.getConfigDescriptor(device, (byte) i, cd), "read configuration descriptor " + i);
            try {
                configs.add(RawDescriptors.configuration(cd));
            } finally {
                LibUsb.freeConfigDescriptor(cd);
            }
        }
        this.configurations = List.copyOf(configs);
        ConfigDescriptor active = new ConfigDescriptor();
        if (LibUsb.getActiveConfigDescriptor(device, active) == LibUsb.SUCCESS) {
            this.activeConfiguration = active.bConfigurationValue() & 0xFF;
            LibUsb.freeConfigDescriptor(active);
        } else {
            this.activeConfiguration = 0; // unconfigured
        }
    }

    Device libusbDevice() {
        return device;
    }

    int vendorId() {
        return vendorId;
    }

    int productId() {
        return productId;
    }

    boolean isHub() {
        return hub;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public UsbSpeed speed() {
        return speed;
    }

    @Override
    public byte[] deviceDescriptor() {
        return deviceDescriptor.clone();
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        List<byte[]> copy = new ArrayList<>(configurations.size());
        configurations.forEach(c -> copy.add(c.clone()));
        return copy;
    }

    @Override
    public int activeConfigurationValue() {
        return activeConfiguration;
    }

    // ---- open / close ---------------------------------------------------------------------------------

    @Override
    public void open() throws BackendException {
        DeviceHandle h = new DeviceHandle();
        List<Integer> release;
        BackendException failure;
        synchronized (lock) {
            if (handle != null) {
                return;
            }
            if (gone) {
                throw new BackendException(location + " has left the bus", PacketStatus.DEVICE_GONE);
            }
            int rc = LibUsb.open(device, h);
            if (rc != LibUsb.SUCCESS) {
                throw new BackendException(openFailure(rc), LibusbCodes.ofError(rc));
            }
            try {
                if (controller.detachKernelDrivers()
                        && LibUsb.hasCapability(LibUsb.CAP_SUPPORTS_DETACH_KERNEL_DRIVER)) {
                    LibUsb.setAutoDetachKernelDriver(h, true); // re-attached when we release the interface
                }
                claimAll(h);
                handle = h;
                return;
            } catch (BackendException e) {
                failure = e;
                release = List.copyOf(claimed);
                claimed.clear();
            }
        }
        // Outside the lock, as in close(): libusb_close takes libusb's event lock, and the event thread may be
        // waiting for ours, delivering the hot-plug departure (markGone) of a device that left while it was
        // being opened: under the lock the two waited for each other for ever.
        for (int number : release) {
            LibUsb.releaseInterface(h, number);
        }
        LibUsb.close(h);
        throw failure;
    }

    private String openFailure(int rc) {
        return openFailure(location, vendorId, productId, rc);
    }

    /** Why {@code libusb_open} failed, with the udev rule to add when it is a permission problem. */
    static String openFailure(String location, int vendorId, int productId, int rc) {
        if (rc == LibUsb.ERROR_ACCESS) {
            return "cannot open " + location + ": permission denied (" + LibusbCodes.describe(rc)
                    + "); give your user access to /dev/bus/usb with a udev rule, e.g. SUBSYSTEM==\"usb\", "
                    + String.format("ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\"", vendorId, productId)
                    + ", MODE=\"0660\", GROUP=\"plugdev\"";
        }
        return "cannot open " + location + ": " + LibusbCodes.describe(rc);
    }

    /** Claims every interface of the active configuration (caller holds the lock). */
    private void claimAll(DeviceHandle h) throws BackendException {
        for (int number : interfaceNumbers()) {
            if (!controller.detachKernelDrivers() && LibUsb.kernelDriverActive(h, number) == 1) {
                throw new BackendException(
                        "interface " + number + " of " + location + " is held by a kernel driver and kernel "
                                + "drivers are not to be detached (LibusbHostController.Builder.detachKernelDrivers)",
                        PacketStatus.HOST_ERROR);
            }
            int rc = LibUsb.claimInterface(h, number);
            if (rc != LibUsb.SUCCESS) {
                throw new BackendException(
                        "cannot claim interface " + number + " of " + location + ": " + LibusbCodes.describe(rc)
                                + (rc == LibUsb.ERROR_BUSY ? " (another program or driver holds it)" : ""),
                        LibusbCodes.ofError(rc));
            }
            claimed.add(number);
        }
    }

    private void releaseAll(DeviceHandle h) {
        for (int number : claimed) {
            LibUsb.releaseInterface(h, number);
        }
        claimed.clear();
    }

    /** The interface numbers of the active configuration, through the project's descriptor parser. */
    private List<Integer> interfaceNumbers() throws BackendException {
        for (byte[] config : configurations) {
            try {
                UsbConfiguration c = Descriptors.parseConfiguration(config);
                if (c.descriptor().bConfigurationValue() == activeConfiguration) {
                    return c.interfaces().stream()
                            .map(i -> i.descriptor().bInterfaceNumber())
                            .distinct()
                            .toList();
                }
            } catch (DescriptorException e) {
                throw new BackendException(
                        "bad configuration descriptor from " + location + ": " + e.getMessage(),
                        PacketStatus.HOST_ERROR);
            }
        }
        return List.of();
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (handle == null) {
                return;
            }
            for (EndpointQueue q : endpoints) {
                if (q != null) {
                    drainHeld(q, PacketStatus.CANCELED);
                }
            }
            for (NativeTransfer n : natives) {
                if (n.submitted) {
                    n.cancel();
                }
            }
        }
        awaitIdle();
        DeviceHandle h;
        List<Integer> release;
        synchronized (lock) {
            h = handle;
            if (h == null) {
                return;
            }
            handle = null;
            release = List.copyOf(claimed);
            claimed.clear();
        }
        // Outside the lock: libusb_close takes libusb's event lock, and the event thread, delivering a
        // completion, may be waiting for ours.
        for (int number : release) {
            LibUsb.releaseInterface(h, number);
        }
        LibUsb.close(h);
        synchronized (lock) {
            for (NativeTransfer n : natives) {
                if (!n.submitted) {
                    n.free();
                }
            }
            natives.removeIf(n -> !n.submitted);
        }
    }

    /** Waits (bounded) for cancelled transfers to come back, unless called on the event thread. */
    private void awaitIdle() {
        if (controller.isEventThread()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        synchronized (lock) {
            idleWaiters++;
            try {
                while (inFlight > 0 && System.nanoTime() < deadline) {
                    lock.wait(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                idleWaiters--;
            }
        }
    }

    /** The device left the bus: held batches complete with DEVICE_GONE; libusb completes the rest. */
    void markGone() {
        synchronized (lock) {
            gone = true;
            for (EndpointQueue q : endpoints) {
                if (q != null) {
                    drainHeld(q, PacketStatus.DEVICE_GONE);
                }
            }
        }
    }

    /** Closed (or never opened), with nothing in libusb's hands. */
    boolean isClosed() {
        synchronized (lock) {
            return handle == null && inFlight == 0;
        }
    }

    /** Asks the kernel whether an open device is still there (a cheap ioctl). */
    boolean probeGone() {
        synchronized (lock) {
            if (handle == null || gone) {
                return gone;
            }
            IntBuffer config = IntBuffer.allocate(1);
            return LibUsb.getConfiguration(handle, config) == LibUsb.ERROR_NO_DEVICE;
        }
    }

    // ---- transfers ------------------------------------------------------------------------------------

    @Override
    public boolean reservePeriodic(int endpointAddress, TransferType type, int bytesPerInterval, int period) {
        return true; // the kernel checks bandwidth when the alternate setting is selected (SET_INTERFACE)
    }

    @Override
    public void releasePeriodic(int endpointAddress) {
        // nothing reserved here
    }

    @Override
    public void submit(BackendTransfer t) throws BackendException {
        String misfit = t.bufferProblem(); // libusb and the kernel would read or write where the buffer ends
        if (misfit != null) {
            throw new BackendException(misfit, PacketStatus.HOST_ERROR);
        }
        if (t.type() == TransferType.CONTROL && interceptStandardRequest(t)) {
            return;
        }
        if (t.type() == TransferType.ISOCHRONOUS) {
            checkIsochronous(t);
        }
        synchronized (lock) {
            DeviceHandle h = openHandle();
            t.accept(); // before prepare: a transfer still in libusb's hands must not be touched
            try {
                NativeTransfer n = nativeOf(t);
                n.prepare(h);
                submitAccepted(t, n);
            } catch (BackendException | RuntimeException e) {
                t.refuse(); // it never reached libusb
                throw e;
            }
        }
    }

    /** Submits or holds an accepted transfer (caller holds the lock). */
    private void submitAccepted(BackendTransfer t, NativeTransfer n) throws BackendException {
        if (t.type() != TransferType.ISOCHRONOUS) {
            submitNow(n);
            return;
        }
        int slot = slot(t.endpointAddress());
        if (endpoints[slot] == null) {
            endpoints[slot] = new EndpointQueue();
        }
        EndpointQueue q = endpoints[slot];
        if (!q.held.isEmpty()) {
            q.held.add(t); // keep the stream's order behind a held batch
            return;
        }
        long due = t.startFrame() - controller.submitLead();
        if (q.inFlight == 0 && due > controller.currentFrame()) {
            q.held.add(t);
            controller.releaseAt(due, () -> releaseHeld(q));
            return;
        }
        submitIsochronous(q, t, n);
    }

    /**
     * Submits an isochronous batch now (caller holds the lock). On an idle endpoint the kernel starts it
     * about {@code submitLead} frames from now; behind batches in flight it continues their stream, which
     * is the frame the runtime chose.
     */
    private void submitIsochronous(EndpointQueue q, BackendTransfer t, NativeTransfer n) throws BackendException {
        // the clock only for an idle endpoint: a streaming one needs none (a clock read is a system call
        // where the kernel's clock source is not the TSC, as in many virtual machines)
        t.setActualStartFrame(
                q.inFlight == 0
                        ? Math.max(t.startFrame(), controller.currentFrame() + controller.submitLead())
                        : t.startFrame());
        submitNow(n);
        q.inFlight++;
    }

    /** The index of an endpoint address: number in bits 3:0, direction in bit 4. */
    private static int slot(int endpointAddress) {
        return (endpointAddress & 0x0F) | (endpointAddress & 0x80) >>> 3;
    }

    private void checkIsochronous(BackendTransfer t) throws BackendException {
        if (t.packets() <= 0) {
            throw new BackendException("an isochronous transfer needs at least one packet", PacketStatus.HOST_ERROR);
        }
        for (int k = 0; k < t.packets(); k++) {
            if (t.packetLength(k) > maxIsoPacket) {
                throw new BackendException(
                        "isochronous packet " + k + " is " + t.packetLength(k) + " bytes; this kernel's usbfs "
                                + "accepts at most " + maxIsoPacket + " bytes per packet",
                        PacketStatus.HOST_ERROR);
            }
        }
    }

    private DeviceHandle openHandle() throws BackendException {
        if (gone) {
            throw new BackendException(location + " has left the bus", PacketStatus.DEVICE_GONE);
        }
        if (handle == null) {
            throw new BackendException(location + " is not open", PacketStatus.HOST_ERROR);
        }
        return handle;
    }

    private NativeTransfer nativeOf(BackendTransfer t) {
        Object state = t.backendState();
        if (state instanceof NativeTransfer n && n.device() == this) {
            return n;
        }
        NativeTransfer n = new NativeTransfer(this, t);
        t.setBackendState(n);
        natives.add(n);
        return n;
    }

    /** Hands a prepared transfer to libusb (caller holds the lock). */
    private void submitNow(NativeTransfer n) throws BackendException {
        int rc = n.submit();
        if (rc != LibUsb.SUCCESS) {
            if (rc == LibUsb.ERROR_NO_DEVICE) {
                gone = true;
                controller.deviceGone(this);
            }
            throw new BackendException(submitFailure(n.owner(), rc), LibusbCodes.ofError(rc));
        }
        n.submitted = true;
        inFlight++;
    }

    private String submitFailure(BackendTransfer t, int rc) {
        String what = "libusb refused a " + t.type().name().toLowerCase(java.util.Locale.ROOT)
                + " transfer on endpoint 0x" + Integer.toHexString(t.endpointAddress()) + " of " + location + ": "
                + LibusbCodes.describe(rc);
        if (rc == LibUsb.ERROR_NO_MEM) {
            return what + " (Linux caps usbfs buffers at usbfs_memory_mb, 16 MB by default: fewer or smaller "
                    + "transfers in flight)";
        }
        return what;
    }

    /** The hold timer fired: submit the head (and everything queued behind it) unless it is still early. */
    private void releaseHeld(EndpointQueue q) {
        synchronized (lock) {
            while (!q.held.isEmpty()) {
                BackendTransfer t = q.held.peek();
                long due = t.startFrame() - controller.submitLead();
                if (q.inFlight == 0 && due > controller.currentFrame()) {
                    controller.releaseAt(due, () -> releaseHeld(q)); // the head was cancelled; wait for the next
                    break;
                }
                q.held.poll();
                try {
                    openHandle();
                    submitIsochronous(q, t, nativeOf(t));
                } catch (BackendException e) {
                    LOG.debug("Held transfer failed on submission: {}", e.getMessage());
                    controller.completeOnEventThread(() -> finish(t, e.status())); // its completion, outside the lock
                }
            }
        }
    }

    private void drainHeld(EndpointQueue q, PacketStatus status) {
        while (!q.held.isEmpty()) {
            BackendTransfer t = q.held.poll();
            controller.completeOnEventThread(() -> finish(t, status));
        }
    }

    /** Completes a transfer that never reached libusb: every packet NOT_ACCESSED. */
    private static void finish(BackendTransfer t, PacketStatus status) {
        t.resetResults();
        t.setResult(status, 0);
        t.complete();
    }

    /** libusb handed a transfer back (inside its event handling): completed once that has returned. */
    void handedBack(NativeTransfer n) {
        controller.handedBack(n);
    }

    /** libusb finished a transfer (event thread, after its event handling). */
    void completed(NativeTransfer n) {
        BackendTransfer t = n.owner();
        n.readResults(); // while still marked submitted, so that close() cannot free it underneath
        synchronized (lock) {
            n.submitted = false;
            inFlight--;
            if (t.type() == TransferType.ISOCHRONOUS) {
                endpoints[slot(t.endpointAddress())].inFlight--; // created when it was submitted
            }
            if (idleWaiters > 0) {
                lock.notifyAll();
            }
        }
        if (t.status() == PacketStatus.DEVICE_GONE) {
            controller.deviceGone(this);
        }
        t.complete();
    }

    /** {@link #completed} on the event thread, soon, for a transfer that came back before its submit ended. */
    void completedAsync(NativeTransfer n) {
        controller.completeOnEventThread(() -> completed(n));
    }

    @Override
    public void cancel(BackendTransfer t) {
        if (!(t.backendState() instanceof NativeTransfer n) || n.device() != this) {
            return;
        }
        synchronized (lock) {
            EndpointQueue q = endpoints[slot(t.endpointAddress())];
            if (q != null && q.held.remove(t)) {
                controller.completeOnEventThread(() -> finish(t, PacketStatus.CANCELED));
                return;
            }
            if (n.submitted) {
                // under the lock, so that the transfer cannot complete and be freed in between; its
                // completion (CANCELLED, or already COMPLETED) still arrives on the event thread
                n.cancel();
            }
        }
    }

    // ---- standard requests usbfs must see --------------------------------------------------------------

    /** Runs SET_INTERFACE, SET_CONFIGURATION and CLEAR_FEATURE(ENDPOINT_HALT) through libusb. */
    private boolean interceptStandardRequest(BackendTransfer t) throws BackendException {
        byte[] s = t.setup();
        int type = s[0] & 0xFF;
        int request = s[1] & 0xFF;
        int value = (s[2] & 0xFF) | (s[3] & 0xFF) << 8;
        int index = (s[4] & 0xFF) | (s[5] & 0xFF) << 8;
        Runnable op;
        if (type == 0x01 && request == SET_INTERFACE) {
            op = () -> respond(t, LibUsb.setInterfaceAltSetting(requireHandle(), index, value));
        } else if (type == 0x00 && request == SET_CONFIGURATION) {
            op = () -> respond(t, setConfiguration(value));
        } else if (type == 0x02 && request == CLEAR_FEATURE && value == 0) {
            op = () -> respond(t, LibUsb.clearHalt(requireHandle(), (byte) index));
        } else if (type == 0x00 && request == SET_ADDRESS) {
            throw new BackendException("SET_ADDRESS belongs to the host controller", PacketStatus.STALL);
        } else {
            return false;
        }
        synchronized (lock) {
            openHandle();
        }
        t.accept();
        try {
            controller.runBlocking(op);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            t.refuse();
            throw new BackendException("the backend is closing", PacketStatus.DEVICE_GONE, e);
        }
        return true;
    }

    private DeviceHandle requireHandle() {
        synchronized (lock) {
            return handle;
        }
    }

    private int setConfiguration(int value) {
        synchronized (lock) {
            if (handle == null) {
                return LibUsb.ERROR_NO_DEVICE;
            }
            releaseAll(handle);
            int rc = LibUsb.setConfiguration(handle, value);
            try {
                claimAll(handle);
            } catch (BackendException e) {
                LOG.warn("After SET_CONFIGURATION: {}", e.getMessage());
            }
            return rc;
        }
    }

    private static void respond(BackendTransfer t, int rc) {
        if (rc == LibUsb.SUCCESS) {
            t.setResult(PacketStatus.OK, 0);
        } else {
            LOG.debug("Standard request failed: {}", LibusbCodes.describe(rc));
            t.setResult(LibusbCodes.ofError(rc), 0);
        }
        t.complete();
    }

    // ---- endpoint and port control ----------------------------------------------------------------------

    /**
     * CE's {@code ResetPipe}. libusb has no host-only endpoint reset, so this is {@code libusb_clear_halt},
     * which also sends {@code CLEAR_FEATURE(ENDPOINT_HALT)} to the device.
     */
    @Override
    public void resetEndpoint(int endpointAddress) {
        DeviceHandle h = requireHandle();
        if (h != null) {
            int rc = LibUsb.clearHalt(h, (byte) endpointAddress);
            if (rc != LibUsb.SUCCESS) {
                LOG.debug(
                        "clear_halt 0x{} on {}: {}",
                        Integer.toHexString(endpointAddress),
                        location,
                        LibusbCodes.describe(rc));
            }
        }
    }

    /** libusb cannot suspend a port. */
    @Override
    public boolean suspend() {
        return false;
    }

    /** libusb cannot resume a port. */
    @Override
    public boolean resume() {
        return false;
    }

    /** Only a reset-and-re-enumerate ({@code libusb_reset_device}) is possible from user space. */
    @Override
    public boolean disable(boolean reenumerate) {
        DeviceHandle h = requireHandle();
        if (!reenumerate || h == null) {
            return false;
        }
        int rc = LibUsb.resetDevice(h);
        return rc == LibUsb.SUCCESS || rc == LibUsb.ERROR_NOT_FOUND;
    }

    /** Drops libusb's reference once the runtime is done with the device. */
    void unref() {
        synchronized (lock) {
            for (NativeTransfer n : natives) {
                if (!n.submitted) {
                    n.free();
                }
            }
            natives.clear();
        }
        LibUsb.unrefDevice(device);
    }

    @Override
    public String toString() {
        return String.format("%04x:%04x at %s", vendorId(), productId(), location);
    }

    /** {@code "libusb:1-2.1 (address 5)"}: bus, port path, address. */
    static String location(Device d) {
        return "libusb:" + LibUsb.getBusNumber(d) + "-" + portPath(d) + " (address " + LibUsb.getDeviceAddress(d) + ")";
    }

    static String portPath(Device d) {
        java.nio.ByteBuffer ports = java.nio.ByteBuffer.allocateDirect(8);
        int n = LibUsb.getPortNumbers(d, ports);
        if (n <= 0) {
            return "0";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ".").append(ports.get(i) & 0xFF);
        }
        return sb.toString();
    }

    static UsbSpeed speedOf(int libusbSpeed) {
        return switch (libusbSpeed) {
            case LibUsb.SPEED_LOW -> UsbSpeed.LOW;
            case LibUsb.SPEED_HIGH -> UsbSpeed.HIGH;
            case LibUsb.SPEED_SUPER -> UsbSpeed.SUPER;
            case LibUsb.SPEED_SUPER_PLUS -> UsbSpeed.SUPER_PLUS;
            default -> UsbSpeed.FULL;
        };
    }

    private void check(int rc, String what) throws BackendException {
        if (rc < 0) {
            throw new BackendException(
                    "cannot " + what + " of " + location + ": " + LibusbCodes.describe(rc), LibusbCodes.ofError(rc));
        }
    }
}
