package io.github.usbd4j.internal.ce;

import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;

import io.github.usbd4j.ce.ClientDriverMatching;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.internal.engine.DeviceLifecycle;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.engine.EngineDevice;
import io.github.usbd4j.internal.registry.RegistryKeyStore;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CE's USBD driver manager over the engine ([§1.5](reference/ce-usbd.html#s1-5)): the registered client drivers and
 * their registry keys, {@code LoadClients} matching when a device arrives (the whole device first, then each
 * interface), {@code USB_CLOSE_DEVICE} when it leaves, and the host controller's frame-length control
 * ([§1.9](reference/ce-usbd.html#s1-9)).
 */
public final class CeDrivers implements DeviceLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(CeDrivers.class);

    /** Where CE keeps client driver keys; {@code GetClientRegistryPath} reports paths below it. */
    static final String CLIENT_DRIVERS_PATH = "Drivers\\USB\\ClientDrivers\\";

    private final Engine engine;
    private final CeFuncs funcs;
    private final int handleQuarantine;
    private final Map<String, DriverEntry> drivers = new LinkedHashMap<>();
    private final Map<String, RegistryKeyStore> registryKeys = new ConcurrentHashMap<>();
    private final Map<CeDevice, List<DriverEntry>> owners = new ConcurrentHashMap<>();
    private EngineDevice frameLengthOwner;

    /**
     * @param engine the engine
     * @param syncTimeoutMillis the synchronous-call guard (CE: 4000 ms, [§1.7](reference/ce-usbd.html#s1-7))
     * @param handleQuarantine how many later finished transfers of a pipe a closed transfer handle waits out before reuse
     */
    public CeDrivers(Engine engine, long syncTimeoutMillis, int handleQuarantine) {
        this.engine = engine;
        this.handleQuarantine = handleQuarantine;
        this.funcs = new CeFuncs(engine, this, syncTimeoutMillis);
    }

    /** The function table handed to drivers. */
    public CeFuncs funcs() {
        return funcs;
    }

    int handleQuarantine() {
        return handleQuarantine;
    }

    // ---- drivers ------------------------------------------------------------------------------------

    /**
     * Registers a driver and calls its {@code USBInstallDriver}; devices already attached without a driver
     * are offered to it.
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
        for (EngineDevice d : engine.devices()) {
            if (d instanceof CeDevice ce && !owners.containsKey(ce)) {
                engine.onAttachThread(() -> offer(ce));
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

    /** Calls every remaining driver's {@code USBUnInstallDriver}; for the runtime's close. */
    public void uninstallAll() {
        List<DriverEntry> all;
        synchronized (drivers) {
            all = List.copyOf(drivers.values());
            drivers.clear();
        }
        for (DriverEntry e : all) {
            e.driver().usbUnInstallDriver();
        }
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

    // ---- devices ------------------------------------------------------------------------------------

    /** The attached devices. */
    public List<UsbHandle> devices() {
        List<UsbHandle> out = new ArrayList<>();
        for (EngineDevice d : engine.devices()) {
            if (d instanceof CeDevice ce) {
                out.add(ce);
            }
        }
        return List.copyOf(out);
    }

    /**
     * The IDs of the drivers that accepted a device.
     *
     * @param device the device
     * @return driver IDs, empty if none
     */
    public List<String> driversOf(UsbHandle device) {
        List<DriverEntry> o = device instanceof CeDevice d ? owners.get(d) : null;
        return o == null ? List.of() : o.stream().map(DriverEntry::id).toList();
    }

    @Override
    public EngineDevice newDevice(Engine e, BackendDevice backend, UsbDevice info) {
        return new CeDevice(e, backend, info, this);
    }

    @Override
    public void attached(EngineDevice device) {
        offer((CeDevice) device);
    }

    /**
     * CE's {@code LoadDeviceDrivers}: the whole device first, then each interface
     * ([§1.5](reference/ce-usbd.html#s1-5)).
     */
    private void offer(CeDevice d) {
        Map<String, List<DriverEntry>> byKey = driversByKey();
        for (DriverEntry e : ClientDriverMatching.offerOrder(d.info().descriptor(), null, byKey)) {
            if (tryAttach(e, d, null)) {
                return;
            }
        }
        for (UsbInterface i : d.info().activeConfig().interfaces()) {
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
    private boolean offerInterface(
            CeDevice d, UsbInterface i, Map<String, List<DriverEntry>> byKey, UsbClientDriver skip) {
        for (DriverEntry e : ClientDriverMatching.offerOrder(d.info().descriptor(), i.descriptor(), byKey)) {
            if (e.driver() != skip && tryAttach(e, d, i)) {
                d.activateInterface(i.descriptor().bInterfaceNumber());
                return true;
            }
        }
        return false;
    }

    /** {@code LoadGenericInterfaceDriver}: offers an interface to drivers other than the device's first. */
    boolean offerInterface(CeDevice d, UsbInterface i) {
        List<DriverEntry> current = owners.getOrDefault(d, List.of());
        return offerInterface(
                d, i, driversByKey(), current.isEmpty() ? null : current.get(0).driver());
    }

    private boolean tryAttach(DriverEntry e, CeDevice d, UsbInterface i) {
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

    /**
     * The engine closed every pipe and every callback ran ([§1.5](reference/ce-usbd.html#s1-5)): {@code
     * USB_CLOSE_DEVICE}, then forget it.
     */
    @Override
    public void detached(EngineDevice device) {
        CeDevice d = (CeDevice) device;
        d.notifyDrivers(USB_CLOSE_DEVICE);
        owners.remove(d);
        synchronized (this) {
            if (frameLengthOwner == d) {
                frameLengthOwner = null;
            }
        }
    }

    // ---- frame length control ([§1.9](reference/ce-usbd.html#s1-9)) -------------------------------------------------

    synchronized boolean takeFrameLengthControl(CeDevice d) {
        if (frameLengthOwner != null && frameLengthOwner != d) {
            return false;
        }
        frameLengthOwner = d;
        return true;
    }

    synchronized boolean ownsFrameLength(CeDevice d) {
        return frameLengthOwner == d;
    }

    synchronized void releaseFrameLengthControl() {
        frameLengthOwner = null;
    }
}
