package io.github.usbd4j.internal.engine;

import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;

import io.github.usbd4j.ce.ClientDriverMatching;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.internal.capture.TransferTap;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The USBD runtime behind {@code io.github.usbd4j.host.Usbd}: the driver registry and CE's matching
 * (usb-iso-apis.md §1.5), device attach and detach with CE's ordering, and the state the function table
 * works on.
 */
public final class UsbdRuntime implements HostListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UsbdRuntime.class);

    /** Where CE keeps client driver keys; {@code GetClientRegistryPath} reports paths below it. */
    static final String CLIENT_DRIVERS_PATH = "Drivers\\USB\\ClientDrivers\\";

    final HostController backend;
    final BusClock clock;
    final Executor callbackExecutor;
    final CeFuncs funcs;
    final WinUsbFuncs winUsb;
    final WdmFuncs wdm;
    final int startFrameLead;
    final long syncTimeoutMillis;
    /** The capture hook ({@link TransferTap} says where the engine calls it), {@code null} when nothing captures. */
    final TransferTap tap;

    private final Executor attachExecutor;
    private final Map<String, DriverEntry> drivers = new LinkedHashMap<>();
    private final Map<String, RegistryKeyStore> registryKeys = new ConcurrentHashMap<>();
    private final Map<BackendDevice, DeviceState> devices = new ConcurrentHashMap<>();
    private final Map<DeviceState, List<DriverEntry>> owners = new ConcurrentHashMap<>();
    private DeviceState frameLengthOwner;

    /**
     * @param backend the host controller
     * @param callbackExecutor where transfer callbacks run
     * @param attachExecutor where {@code USBDeviceAttach} and device notifications run
     * @param startFrameLead CE's minimum lead for isochronous start frames, in frames
     * @param syncTimeoutMillis the synchronous-call guard (CE: 4000 ms)
     * @param tap the capture hook, or {@code null}
     */
    public UsbdRuntime(
            HostController backend,
            Executor callbackExecutor,
            Executor attachExecutor,
            int startFrameLead,
            long syncTimeoutMillis,
            TransferTap tap) {
        this.backend = backend;
        this.clock = backend.clock();
        this.callbackExecutor = callbackExecutor;
        this.attachExecutor = attachExecutor;
        this.startFrameLead = startFrameLead;
        this.syncTimeoutMillis = syncTimeoutMillis;
        this.tap = tap;
        this.funcs = new CeFuncs(this);
        this.winUsb = new WinUsbFuncs(this);
        this.wdm = new WdmFuncs(this);
    }

    /** Starts the backend; devices present now are attached. */
    public void start() {
        backend.start(this);
    }

    /** The WinUSB personality over this runtime. */
    public WinUsbFuncs winUsb() {
        return winUsb;
    }

    /** The WDM URB personality over this runtime. */
    public WdmFuncs wdm() {
        return wdm;
    }

    /** The function table handed to drivers. */
    public CeFuncs funcs() {
        return funcs;
    }

    // ---- drivers ---------------------------------------------------------------------------------

    /**
     * Registers a driver and calls its {@code USBInstallDriver}; devices already attached without a
     * driver are offered to it.
     *
     * @param id the unique driver ID
     * @param settings its {@code LoadClients} settings
     * @param driver the driver
     */
    public void registerDriver(String id, UsbDriverSettings settings, UsbClientDriver driver) {
        DriverEntry entry = new DriverEntry(id, settings, driver);
        synchronized (drivers) {
            if (drivers.containsKey(id)) {
                throw new IllegalArgumentException("a driver is already registered as \"" + id + "\"");
            }
            if (!driver.usbInstallDriver(id)) {
                throw new IllegalStateException("USBInstallDriver of \"" + id + "\" returned FALSE");
            }
            drivers.put(id, entry);
            registryKeys.putIfAbsent(id, new RegistryKeyStore());
        }
        for (DeviceState d : devices.values()) {
            if (!owners.containsKey(d)) {
                attachExecutor.execute(() -> offer(d));
            }
        }
    }

    /**
     * Removes a driver and calls its {@code USBUnInstallDriver}. Devices it controls stay attached to it
     * until they leave.
     *
     * @param id the driver ID
     * @return {@code false} if no such driver was registered
     */
    public boolean unregisterDriver(String id) {
        DriverEntry e;
        synchronized (drivers) {
            e = drivers.remove(id);
        }
        if (e == null) {
            return false;
        }
        e.driver().usbUnInstallDriver();
        return true;
    }

    /** The registered drivers by {@code LoadClients} key, each list in registration order. */
    private Map<String, List<DriverEntry>> driversByKey() {
        Map<String, List<DriverEntry>> byKey = new LinkedHashMap<>();
        synchronized (drivers) {
            for (DriverEntry e : drivers.values()) {
                byKey.computeIfAbsent(e.settings().loadClientsKey(), k -> new ArrayList<>())
                        .add(e);
            }
        }
        return byKey;
    }

    RegistryKeyStore registryKey(String id) {
        return id == null ? null : registryKeys.get(id);
    }

    // ---- devices ---------------------------------------------------------------------------------

    /** The attached devices. */
    public List<UsbHandle> devices() {
        return List.copyOf(devices.values());
    }

    /**
     * The IDs of the drivers that accepted a device.
     *
     * @param device the device
     * @return driver IDs, empty if none
     */
    public List<String> driversOf(UsbHandle device) {
        List<DriverEntry> o = device instanceof DeviceState d ? owners.get(d) : null;
        return o == null ? List.of() : o.stream().map(DriverEntry::id).toList();
    }

    @Override
    public void deviceAttached(BackendDevice device) {
        attachExecutor.execute(() -> attach(device));
    }

    @Override
    public void deviceDetached(BackendDevice device) {
        attachExecutor.execute(() -> detach(device));
    }

    private void attach(BackendDevice bd) {
        UsbDevice info;
        try {
            info = Descriptors.parseDevice(
                    bd.deviceDescriptor(), bd.configurationDescriptors(), bd.activeConfigurationValue());
        } catch (DescriptorException e) {
            LOG.warn("Ignoring device at {}: bad descriptors: {}", bd.location(), e.getMessage());
            return;
        }
        try {
            bd.open();
        } catch (BackendException e) {
            LOG.warn("Cannot open device at {}: {}", bd.location(), e.getMessage());
            return;
        }
        DeviceState d = new DeviceState(this, bd, info);
        devices.put(bd, d);
        LOG.debug("Device attached: {}", d);
        offer(d);
    }

    /** CE's {@code LoadDeviceDrivers}: the whole device first, then each interface (§1.5). */
    private void offer(DeviceState d) {
        Map<String, List<DriverEntry>> byKey = driversByKey();
        for (DriverEntry e : ClientDriverMatching.offerOrder(d.info.descriptor(), null, byKey)) {
            if (tryAttach(e, d, null)) {
                return;
            }
        }
        for (UsbInterface i : d.info.activeConfig().interfaces()) {
            if (i.descriptor().bAlternateSetting() == 0
                    && !d.isInterfaceActivated(i.descriptor().bInterfaceNumber())) {
                offerInterface(d, i, byKey, null);
            }
        }
        if (!owners.containsKey(d)) {
            LOG.info("No driver accepted {}", d);
        }
    }

    /** Offers one interface; {@code true} if a driver accepted it. */
    boolean offerInterface(DeviceState d, UsbInterface i, Map<String, List<DriverEntry>> byKey, UsbClientDriver skip) {
        for (DriverEntry e : ClientDriverMatching.offerOrder(d.info.descriptor(), i.descriptor(), byKey)) {
            if (e.driver() != skip && tryAttach(e, d, i)) {
                d.activateInterface(i.descriptor().bInterfaceNumber());
                return true;
            }
        }
        return false;
    }

    boolean offerInterface(DeviceState d, UsbInterface i) {
        List<DriverEntry> current = owners.getOrDefault(d, List.of());
        return offerInterface(
                d, i, driversByKey(), current.isEmpty() ? null : current.get(0).driver());
    }

    private boolean tryAttach(DriverEntry e, DeviceState d, UsbInterface i) {
        boolean[] accept = {false};
        try {
            e.driver().usbDeviceAttach(d, funcs, i, e.id(), accept, e.settings(), 0);
        } catch (RuntimeException ex) { // CE calls USBDeviceAttach inside SEH: an exception means "not accepted"
            LOG.warn("USBDeviceAttach of \"{}\" threw; treated as not accepted", e.id(), ex);
            accept[0] = false;
        }
        if (accept[0]) {
            owners.computeIfAbsent(d, k -> new ArrayList<>()).add(e);
            LOG.debug(
                    "Driver \"{}\" accepted {}{}",
                    e.id(),
                    d,
                    i == null ? "" : " interface " + i.descriptor().bInterfaceNumber());
        }
        return accept[0];
    }

    /** CE's detach ordering (§1.5): close every pipe (transfers cancelled, callbacks run), then USB_CLOSE_DEVICE. */
    private void detach(BackendDevice bd) {
        DeviceState d = devices.remove(bd);
        if (d == null) {
            return;
        }
        for (PipeState p : d.openPipes()) {
            funcs.closePipeNow(p);
        }
        funcs.closePipeNow(d.defaultPipe);
        d.notifyAll(USB_CLOSE_DEVICE);
        d.invalidate();
        owners.remove(d);
        synchronized (this) {
            if (frameLengthOwner == d) {
                frameLengthOwner = null;
            }
        }
        bd.close();
        LOG.debug("Device detached: {}", d);
    }

    // ---- frame length control (§1.9) -------------------------------------------------------------

    synchronized boolean takeFrameLengthControl(DeviceState d) {
        if (frameLengthOwner != null && frameLengthOwner != d) {
            return false;
        }
        frameLengthOwner = d;
        return true;
    }

    synchronized boolean ownsFrameLength(DeviceState d) {
        return frameLengthOwner == d;
    }

    synchronized void releaseFrameLengthControl() {
        frameLengthOwner = null;
    }

    // ---- waiting ---------------------------------------------------------------------------------

    /**
     * Waits for a transfer: on a virtual clock by running the bus until it completes, else by blocking.
     *
     * @return {@code true} if it completed within {@code timeoutMillis} (bus time on a virtual clock)
     */
    boolean awaitComplete(TransferState t, long timeoutMillis) throws InterruptedException {
        if (clock.isVirtual()) {
            return clock.runUntil(t, timeoutMillis);
        }
        return t.awaitCompleteRealTime(timeoutMillis * 1_000_000L);
    }

    void callbackFailed(RuntimeException e) {
        LOG.warn("A client callback threw", e);
    }

    @Override
    public void close() {
        for (BackendDevice bd : List.copyOf(devices.keySet())) {
            detach(bd);
        }
        backend.close();
        List<DriverEntry> all;
        synchronized (drivers) {
            all = List.copyOf(drivers.values());
            drivers.clear();
        }
        for (DriverEntry e : all) {
            e.driver().usbUnInstallDriver();
        }
    }
}
