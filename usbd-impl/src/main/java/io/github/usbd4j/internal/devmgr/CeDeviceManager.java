package io.github.usbd4j.internal.devmgr;

import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_NOLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_UNLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_ACTIVE_KEY;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_CLIENTINFO_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DEVKEY_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DEVNAME_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DLLNAME_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_FLAGS_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_HANDLE_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_INDEX_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_PREFIX_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.REG_DWORD;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INFINITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_ALWAYS;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_FAILED;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_OBJECT_0;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_TIMEOUT;
import static io.github.usbd4j.win32.Win32.ERROR_BAD_CONFIGURATION;
import static io.github.usbd4j.win32.Win32.ERROR_BUSY;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_IN_USE;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_FILE_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_GEN_FAILURE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_ACCESS;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_FUNCTION;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPEN_FAILED;
import static io.github.usbd4j.win32.Win32.ERROR_SUCCESS;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.DeviceInformation;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.EventHandle;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.ce.devmgr.RegIni;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CE's device manager over the runtime ([§D3](reference/ce-devmgr.html#d3) to [§D7](reference/ce-devmgr.html#d7)): the registry part the loader reads, activation and
 * deactivation with CE's naming and ordering, and the file functions on device handles. It knows the USB
 * side only through one function: the key of a registered USB client driver, by driver ID, which is what
 * {@code Drivers\USB\ClientDrivers\<id>} opens.
 */
public final class CeDeviceManager implements DeviceManager, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CeDeviceManager.class);

    /** Where CE keeps USB client driver keys; {@code GetClientRegistryPath} reports paths below it. */
    private static final String CLIENT_DRIVERS = Registry.canonical("Drivers\\USB\\ClientDrivers") + "\\";

    /** CE's device-namespace prefix for {@code CreateFile}: {@code \$device\LBK1}. */
    private static final String DEVICE_NAMESPACE = "\\$device\\";

    /** The highest index the loader hands out by itself. */
    private static final int MAX_INDEX = 255;

    private final Function<String, ClientRegistryKey> clientDriverKeys;
    private final BusWaits waits;
    private final Registry registry = new Registry();
    private final Libraries libraries = new Libraries(this);

    // guarded by this
    private final List<ActiveDevice> devices = new ArrayList<>();
    private final Map<String, ActiveDevice> names = new HashMap<>(); // "LBK1", upper case
    private final Map<String, ActiveDevice> legacyNames = new HashMap<>(); // "LBK1:", upper case
    private int nextId = 1;

    /**
     * @param clientDriverKeys the key of the registered USB client driver with this ID, or {@code null}
     *     (CE's {@code OpenClientRegistryKey}); it may set the last error, which is kept from the caller
     * @param waits how {@code WaitForSingleObject} waits: by running the bus where a thread must
     */
    public CeDeviceManager(Function<String, ClientRegistryKey> clientDriverKeys, BusWaits waits) {
        this.clientDriverKeys = clientDriverKeys;
        this.waits = waits;
    }

    // ---- registry ---------------------------------------------------------------------------------

    @Override
    public ClientRegistryKey regCreateKeyEx(String subKey) {
        String path = Registry.canonical(subKey);
        if (path == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        ClientRegistryKey client = clientDriverKey(path, subKey);
        return client != null ? client : registry.create(path);
    }

    @Override
    public ClientRegistryKey regOpenKeyEx(String subKey) {
        String path = Registry.canonical(subKey);
        if (path == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        ClientRegistryKey key = openKey(path, subKey);
        return key != null ? key : fail(ERROR_FILE_NOT_FOUND);
    }

    @Override
    public ClientRegistryKey openDeviceKey(String activeKey) {
        String path = Registry.canonical(activeKey);
        if (path == null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        ClientRegistryKey active = registry.open(path);
        String devKey = active == null ? null : active.queryString(DEVLOAD_DEVKEY_VALNAME);
        ClientRegistryKey key = devKey == null ? null : openKey(Registry.canonical(devKey), devKey);
        return key != null ? key : fail(ERROR_FILE_NOT_FOUND);
    }

    /** A key of this registry or, below {@code Drivers\USB\ClientDrivers\}, a USB client driver's key. */
    private ClientRegistryKey openKey(String path, String asGiven) {
        ClientRegistryKey client = clientDriverKey(path, asGiven);
        return client != null ? client : registry.open(path);
    }

    private ClientRegistryKey clientDriverKey(String path, String asGiven) {
        if (path == null || !path.startsWith(CLIENT_DRIVERS) || path.indexOf('\\', CLIENT_DRIVERS.length()) >= 0) {
            return null;
        }
        String[] parts = asGiven.split("\\\\");
        String id = parts[parts.length - 1].isEmpty() ? null : parts[parts.length - 1];
        int saved = Win32.getLastError();
        try {
            return id == null ? null : clientDriverKeys.apply(id);
        } finally {
            Win32.setLastError(saved);
        }
    }

    // ---- activation ([§D3](reference/ce-devmgr.html#d3))
    // -------------------------------------------------------------------------

    @Override
    public ActivationHandle activateDevice(String devKey, int clientInfo) {
        return activateDeviceEx(devKey, new RegIni[] {RegIni.dword(DEVLOAD_CLIENTINFO_VALNAME, clientInfo)}, 1, null);
    }

    @Override
    public ActivationHandle activateDeviceEx(String devKey, RegIni[] regEnts, int cRegEnts, Object param) {
        int saved = Win32.getLastError();
        String path = Registry.canonical(devKey);
        if (path == null || (regEnts != null && (cRegEnts < 0 || cRegEnts > regEnts.length))) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        int entries = regEnts == null ? 0 : cRegEnts; // CE ignores the count without an array
        for (int i = 0; i < entries; i++) {
            if (regEnts[i] == null) {
                return fail(ERROR_INVALID_ACCESS);
            }
        }
        ClientRegistryKey key = openKey(path, devKey);
        String dll = key == null ? null : key.queryString(DEVLOAD_DLLNAME_VALNAME);
        if (dll == null || dll.isEmpty()) {
            LOG.warn("ActivateDeviceEx({}): {}", devKey, key == null ? "no such key" : "no Dll value");
            return fail(ERROR_BAD_CONFIGURATION);
        }
        int flags = key.queryDword(DEVLOAD_FLAGS_VALNAME, 0);
        if ((flags & DEVFLAGS_NOLOAD) != 0) {
            return fail(ERROR_SUCCESS);
        }
        String prefix = key.queryString(DEVLOAD_PREFIX_VALNAME);
        if (prefix != null && prefix.length() != 3) {
            LOG.warn("ActivateDeviceEx({}): ignoring Prefix \"{}\", which is not 3 characters", devKey, prefix);
            prefix = null;
        }
        boolean named = prefix != null;
        int index = key.queryDword(DEVLOAD_INDEX_VALNAME, -1);

        Libraries.Loaded loaded = libraries.acquire(dll);
        if (loaded.library() == null) {
            return fail(loaded.error());
        }
        Libraries.Library library = loaded.library();
        if (!library.entryPoints.loadable(named)) {
            LOG.warn("ActivateDeviceEx({}): {} cannot drive it: {}", devKey, dll, library.entryPoints.missing());
            libraries.release(library);
            return fail(ERROR_INVALID_FUNCTION);
        }
        ActiveDevice d = reserve(devKey, prefix, index, flags, library);
        if (d == null) {
            libraries.release(library);
            return fail(ERROR_DEVICE_IN_USE);
        }
        ClientRegistryKey active = registry.create(Registry.canonical(d.activeKey));
        for (int i = 0; i < entries; i++) {
            RegIni e = regEnts[i];
            if (e.type() == REG_DWORD) {
                active.setDword(e.valueName(), (Integer) e.data());
            } else {
                active.setString(e.valueName(), (String) e.data());
            }
        }
        active.setString(DEVLOAD_DEVKEY_VALNAME, devKey);
        if (d.legacyName != null) {
            active.setString(DEVLOAD_DEVNAME_VALNAME, d.legacyName);
        }
        active.setDword(DEVLOAD_HANDLE_VALNAME, d.id);

        Object context;
        try {
            context = d.driver.init(d.activeKey, param);
        } catch (RuntimeException e) {
            LOG.warn("Init of {} threw", d, e);
            unloaded(d);
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (context == null) {
            LOG.debug("Init of {} returned NULL", d);
            unloaded(d);
            return fail(ERROR_OPEN_FAILED);
        }
        d.enable(context);
        if ((flags & DEVFLAGS_UNLOAD) != 0) {
            d.deactivate(false);
            return fail(ERROR_SUCCESS);
        }
        LOG.debug("Activated {}", d);
        Win32.setLastError(saved);
        return d;
    }

    /**
     * Takes the device's number, Active key and name: {@code PFXn} for the Index given or the lowest free
     * from 1. {@code null} if the name is taken.
     */
    private synchronized ActiveDevice reserve(
            String devKey, String prefix, int index, int flags, Libraries.Library library) {
        String deviceName = null;
        String legacyName = null;
        if (prefix != null) {
            String upper = prefix.toUpperCase(Locale.ROOT);
            boolean chosen = index == -1; // Index absent (CE reads -1): the lowest free index from 1
            int n = index;
            if (chosen) {
                n = 1;
                while (n <= MAX_INDEX && names.containsKey(upper + n)) {
                    n++;
                }
            }
            if ((chosen && n > MAX_INDEX) || names.containsKey(upper + Integer.toUnsignedString(n))) {
                return null;
            }
            deviceName = prefix + Integer.toUnsignedString(n);
            if (n >= 0 && n <= 9) {
                legacyName = prefix + n + ":";
            } else if (n == 10 && chosen) {
                legacyName = prefix + "0:"; // CE: an index it chose of 10 is instance 0 of the legacy names
            }
        }
        int id = nextId++;
        ActiveDevice d = new ActiveDevice(
                this,
                id,
                String.format(Locale.ROOT, "%s\\%02d", DEVLOAD_ACTIVE_KEY, id),
                devKey,
                deviceName,
                legacyName,
                flags,
                library);
        if (deviceName != null) {
            names.put(deviceName.toUpperCase(Locale.ROOT), d);
        }
        if (legacyName != null) {
            legacyNames.putIfAbsent(legacyName.toUpperCase(Locale.ROOT), d); // an Index of 0 and a chosen 10 share it
        }
        devices.add(d);
        return d;
    }

    /** The device's name is free again: DeactivateDevice, or a failed activation. */
    synchronized void nameReleased(ActiveDevice d) {
        if (d.deviceName != null) {
            names.remove(d.deviceName.toUpperCase(Locale.ROOT), d);
        }
        if (d.legacyName != null) {
            legacyNames.remove(d.legacyName.toUpperCase(Locale.ROOT), d);
        }
    }

    /** The device is gone: after XXX_Deinit, or after a failed XXX_Init. */
    void unloaded(ActiveDevice d) {
        nameReleased(d);
        synchronized (this) {
            devices.remove(d);
        }
        registry.delete(Registry.canonical(d.activeKey));
        libraries.release(d.library);
        LOG.debug("Unloaded {}", d);
    }

    @Override
    public boolean deactivateDevice(ActivationHandle device) {
        int saved = Win32.getLastError();
        if (!(device instanceof ActiveDevice d) || d.manager != this) {
            return failed(ERROR_NOT_FOUND);
        }
        int error = d.deactivate(true);
        if (error != 0) {
            return failed(error);
        }
        LOG.debug("Deactivated {}", d);
        Win32.setLastError(saved);
        return true;
    }

    @Override
    public synchronized List<DeviceInformation> activeDevices() {
        List<DeviceInformation> out = new ArrayList<>();
        for (ActiveDevice d : devices) {
            if (d.isEnabled()) {
                out.add(new DeviceInformation(
                        d,
                        d.legacyName == null ? "" : d.legacyName,
                        d.deviceKey,
                        d.deviceName == null ? "" : "$device\\" + d.deviceName,
                        d.activeKey));
            }
        }
        return out;
    }

    /** Deactivates every device still loaded, the last activated first. */
    @Override
    public void close() {
        List<ActiveDevice> all;
        synchronized (this) {
            all = new ArrayList<>(devices);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            all.get(i).deactivate(false);
        }
    }

    // ---- the application side ([§D5](reference/ce-devmgr.html#d5))
    // --------------------------------------------------------------

    @Override
    public FileHandle createFile(
            String fileName,
            int desiredAccess,
            int shareMode,
            Object securityAttributes,
            int creationDisposition,
            int flagsAndAttributes,
            Object templateFile) {
        int saved = Win32.getLastError();
        if (fileName == null
                || securityAttributes != null
                || templateFile != null
                || (creationDisposition != OPEN_EXISTING && creationDisposition != OPEN_ALWAYS)) {
            return failHandle(ERROR_INVALID_PARAMETER);
        }
        boolean legacy = isLegacyName(fileName);
        String deviceName = legacy ? null : deviceNamespaceName(fileName);
        if (!legacy && deviceName == null) {
            return failHandle(ERROR_FILE_NOT_FOUND); // no file system here: only device names exist
        }
        ActiveDevice d;
        synchronized (this) {
            d = legacy ? legacyNames.get(fileName.toUpperCase(Locale.ROOT)) : names.get(deviceName);
        }
        if (d == null || !d.enter()) {
            return failHandle(ERROR_DEV_NOT_EXIST);
        }
        try {
            Win32.setLastError(ERROR_SUCCESS);
            Object context;
            try {
                context = d.driver.open(d.context(), desiredAccess, shareMode);
            } catch (RuntimeException e) {
                LOG.warn("Open of {} threw", d, e);
                return failHandle(ERROR_INVALID_PARAMETER);
            }
            if (context == null) {
                int error = Win32.getLastError();
                return failHandle(error == ERROR_SUCCESS ? ERROR_OPEN_FAILED : error);
            }
            Win32.setLastError(saved);
            return new OpenFile(this, d, context, desiredAccess, shareMode);
        } finally {
            d.leave();
        }
    }

    /** CE's legacy device names: three characters, a digit and a colon, {@code LBK1:}. */
    private static boolean isLegacyName(String fileName) {
        return fileName.length() == 5 && fileName.charAt(4) == ':' && Character.isDigit(fileName.charAt(3));
    }

    /** The device name of {@code \$device\LBK12} ({@code LBK12}, upper case), or {@code null}. */
    private static String deviceNamespaceName(String fileName) {
        if (!fileName.regionMatches(true, 0, DEVICE_NAMESPACE, 0, DEVICE_NAMESPACE.length())) {
            return null;
        }
        String name = fileName.substring(DEVICE_NAMESPACE.length());
        return name.length() < 4 || name.indexOf('\\') >= 0 ? null : name.toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean readFile(
            FileHandle file, ByteBuffer buffer, int numberOfBytesToRead, int[] numberOfBytesRead, Object overlapped) {
        return transfer(file, buffer, numberOfBytesToRead, numberOfBytesRead, overlapped, true);
    }

    @Override
    public boolean writeFile(
            FileHandle file,
            ByteBuffer buffer,
            int numberOfBytesToWrite,
            int[] numberOfBytesWritten,
            Object overlapped) {
        return transfer(file, buffer, numberOfBytesToWrite, numberOfBytesWritten, overlapped, false);
    }

    /** ReadFile and WriteFile: the handle, its access, the arguments, then the driver. */
    private boolean transfer(FileHandle file, ByteBuffer buffer, int count, int[] done, Object overlapped, boolean in) {
        int saved = Win32.getLastError();
        if (done != null && done.length > 0) {
            done[0] = 0;
        }
        OpenFile f = file(file);
        if (f == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (overlapped != null) {
            return failed(ERROR_NOT_SUPPORTED);
        }
        int entered = f.enter();
        if (entered != 0) {
            return failed(entered);
        }
        try {
            if ((f.access & (in ? GENERIC_READ : GENERIC_WRITE)) == 0) {
                return failed(ERROR_INVALID_ACCESS);
            }
            ByteBuffer view = view(buffer, count, in);
            if (view == null || done == null || done.length == 0) {
                return failed(ERROR_INVALID_PARAMETER);
            }
            int n = callDriver(
                    f,
                    in ? "Read" : "Write",
                    () -> in
                            ? f.device.driver.read(f.context, view, count)
                            : f.device.driver.write(f.context, view, count));
            if (n == -1) {
                return false;
            }
            if (n < 0 || n > count) {
                LOG.warn("{} of {} returned {} for {} bytes", in ? "Read" : "Write", f.device, n, count);
                return failed(ERROR_GEN_FAILURE);
            }
            done[0] = n;
            Win32.setLastError(saved);
            return true;
        } finally {
            f.leave();
        }
    }

    @Override
    public int setFilePointer(FileHandle file, int distanceToMove, int[] distanceToMoveHigh, int moveMethod) {
        int saved = Win32.getLastError();
        OpenFile f = file(file);
        if (f == null) {
            Win32.setLastError(ERROR_INVALID_HANDLE);
            return INVALID_SET_FILE_POINTER;
        }
        int entered = f.enter();
        if (entered != 0) {
            Win32.setLastError(entered);
            return INVALID_SET_FILE_POINTER;
        }
        try {
            int position = callDriver(f, "Seek", () -> f.device.driver.seek(f.context, distanceToMove, moveMethod));
            if (position != INVALID_SET_FILE_POINTER) {
                Win32.setLastError(saved);
            }
            return position;
        } finally {
            f.leave();
        }
    }

    @Override
    public boolean deviceIoControl(
            FileHandle device,
            int ioControlCode,
            ByteBuffer inBuffer,
            int inBufferSize,
            ByteBuffer outBuffer,
            int outBufferSize,
            int[] bytesReturned,
            Object overlapped) {
        int saved = Win32.getLastError();
        OpenFile f = file(device);
        if (f == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        if (overlapped != null) {
            return failed(ERROR_NOT_SUPPORTED);
        }
        int entered = f.enter();
        if (entered != 0) {
            return failed(entered);
        }
        try {
            ByteBuffer in = inBuffer == null && inBufferSize == 0 ? null : view(inBuffer, inBufferSize, false);
            ByteBuffer out = outBuffer == null && outBufferSize == 0 ? null : view(outBuffer, outBufferSize, true);
            if ((in == null && inBufferSize != 0)
                    || (out == null && outBufferSize != 0)
                    || (bytesReturned != null && bytesReturned.length == 0)) {
                return failed(ERROR_INVALID_PARAMETER);
            }
            if (bytesReturned != null) {
                bytesReturned[0] = 0;
            }
            boolean ok = callDriver(
                            f,
                            "IOControl",
                            () -> f.device.driver.ioControl(
                                            f.context,
                                            ioControlCode,
                                            in,
                                            inBufferSize,
                                            out,
                                            outBufferSize,
                                            bytesReturned)
                                    ? 1
                                    : -1)
                    == 1;
            if (ok) {
                Win32.setLastError(saved);
            }
            return ok;
        } finally {
            f.leave();
        }
    }

    @Override
    public boolean closeHandle(FileHandle object) {
        int saved = Win32.getLastError();
        OpenFile f = file(object);
        if (f == null || !f.markClosed()) {
            return failed(ERROR_INVALID_HANDLE);
        }
        ActiveDevice d = f.device;
        if (d.enter()) { // a handle whose device was deactivated closes without the driver
            // ([§D6](reference/ce-devmgr.html#d6))
            try {
                if (d.entryPoints.preClose()) {
                    d.call("PreClose", () -> d.driver.preClose(f.context));
                    if (f.closeNowOrLater()) {
                        d.call("Close", () -> d.driver.close(f.context));
                    }
                } else {
                    f.closeCalled();
                    d.call("Close", () -> d.driver.close(f.context));
                }
            } finally {
                d.leave();
            }
        }
        Win32.setLastError(saved);
        return true;
    }

    // ---- events -----------------------------------------------------------------------------------

    @Override
    public EventHandle createEvent(Object eventAttributes, boolean manualReset, boolean initialState, String name) {
        if (eventAttributes != null) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (name != null) {
            return fail(ERROR_NOT_SUPPORTED);
        }
        return new CeEvent(this, manualReset, initialState);
    }

    @Override
    public boolean setEvent(EventHandle event) {
        CeEvent e = event(event);
        if (e == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        e.set();
        return true;
    }

    @Override
    public boolean resetEvent(EventHandle event) {
        CeEvent e = event(event);
        if (e == null) {
            return failed(ERROR_INVALID_HANDLE);
        }
        e.reset();
        return true;
    }

    @Override
    public int waitForSingleObject(EventHandle handle, int milliseconds) {
        CeEvent e = event(handle);
        if (e == null) {
            Win32.setLastError(ERROR_INVALID_HANDLE);
            return WAIT_FAILED;
        }
        if (e.take()) {
            return WAIT_OBJECT_0;
        }
        if (milliseconds == 0) {
            return WAIT_TIMEOUT;
        }
        long millis = milliseconds == INFINITE ? Long.MAX_VALUE : Integer.toUnsignedLong(milliseconds);
        if (!waits.waitsByRunning()) {
            try {
                return e.await(millis == Long.MAX_VALUE ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(millis))
                        ? WAIT_OBJECT_0
                        : WAIT_TIMEOUT;
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return WAIT_TIMEOUT;
            }
        }
        if (!waits.canBlock()) { // a completion thread that cannot deliver: it would wait for itself
            Win32.setLastError(ERROR_BUSY);
            return WAIT_FAILED;
        }
        // a virtual clock, or the thread that delivers completions: run the bus (the callbacks that set the event)
        long start = waits.nowMillis();
        while (true) {
            long left = millis == Long.MAX_VALUE ? Long.MAX_VALUE : millis - (waits.nowMillis() - start);
            // bounded so that the simulator's frame arithmetic cannot overflow: INFINITE is still years of bus time
            if (left <= 0 || !waits.runUntil(e::isSignalled, Math.min(left, Long.MAX_VALUE / 64))) {
                return e.take() ? WAIT_OBJECT_0 : WAIT_TIMEOUT;
            }
            if (e.take()) {
                return WAIT_OBJECT_0;
            }
        }
    }

    private CeEvent event(EventHandle handle) {
        return handle instanceof CeEvent e && e.manager == this ? e : null;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private OpenFile file(FileHandle handle) {
        return handle instanceof OpenFile f && f.manager == this ? f : null;
    }

    /**
     * The driver's view of an application buffer: {@code count} bytes from its position, or {@code null}
     * when the buffer cannot hold them (or, for {@code writable}, is read-only).
     */
    private static ByteBuffer view(ByteBuffer buffer, int count, boolean writable) {
        if (count < 0) {
            return null;
        }
        if (count == 0) { // nothing to read or write: any buffer, or none, will do
            return buffer == null ? ByteBuffer.allocate(0) : buffer.slice(buffer.position(), 0);
        }
        if (buffer == null) {
            return null;
        }
        if (buffer.remaining() < count || (writable && buffer.isReadOnly())) {
            return null;
        }
        ByteBuffer view = buffer.slice(buffer.position(), count);
        return writable ? view : view.asReadOnlyBuffer();
    }

    /**
     * Calls an I/O entry point that returns -1 on failure. The last error is preset to
     * {@code ERROR_GEN_FAILURE}, so that a driver that fails without setting one reports that; an exception
     * fails the call with {@code ERROR_INVALID_PARAMETER}, as CE's handler does.
     */
    private static int callDriver(OpenFile f, String entryPoint, IntSupplier call) {
        Win32.setLastError(ERROR_GEN_FAILURE);
        try {
            return call.getAsInt();
        } catch (RuntimeException e) {
            LOG.warn("{} of {} threw", entryPoint, f.device, e);
            Win32.setLastError(ERROR_INVALID_PARAMETER);
            return -1;
        }
    }

    @SuppressWarnings("TypeParameterUnusedInFormals") // a null of the caller's type, with the last error set
    private static <T> T fail(int error) {
        Win32.setLastError(error);
        return null;
    }

    private static FileHandle failHandle(int error) {
        Win32.setLastError(error);
        return INVALID_HANDLE_VALUE;
    }

    private static boolean failed(int error) {
        Win32.setLastError(error);
        return false;
    }
}
