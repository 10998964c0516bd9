package io.github.usbd4j.internal.devmgr;

import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_NOUNLOAD;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_FOUND;

import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.StreamInterfaceDriver;
import io.github.usbd4j.win32.Win32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One activated device (CE's {@code fsdev_t}): its names, its Active key, its driver and device context,
 * and the count of threads inside its driver, which decides when {@code XXX_Deinit} may run (§D6).
 */
final class ActiveDevice implements ActivationHandle {
    private static final Logger LOG = LoggerFactory.getLogger(ActiveDevice.class);

    enum Status {
        /** XXX_Init has not returned yet: the name does not open. */
        INITIALIZING,
        /** Loaded: calls reach the driver. */
        ENABLED,
        /** DeactivateDevice has begun: no new call enters; XXX_Deinit waits for the threads inside. */
        DISABLING,
        /** XXX_Deinit has run and the Active key is gone. */
        GONE
    }

    final CeDeviceManager manager;
    final int id;
    final String activeKey;
    final String deviceKey;
    /** {@code PFX1}, or {@code null} for a device without prefix. */
    final String deviceName;
    /** {@code PFX1:}, or {@code null} when the index has no legacy name. */
    final String legacyName;

    final int flags;
    final Libraries.Library library;
    final StreamInterfaceDriver<Object, Object> driver;
    final EntryPoints entryPoints;

    // guarded by this
    private Status status = Status.INITIALIZING;
    private int inDriver;
    private boolean deinitCalled;
    private Object context;

    ActiveDevice(
            CeDeviceManager manager,
            int id,
            String activeKey,
            String deviceKey,
            String deviceName,
            String legacyName,
            int flags,
            Libraries.Library library) {
        this.manager = manager;
        this.id = id;
        this.activeKey = activeKey;
        this.deviceKey = deviceKey;
        this.deviceName = deviceName;
        this.legacyName = legacyName;
        this.flags = flags;
        this.library = library;
        this.driver = library.driver;
        this.entryPoints = library.entryPoints;
    }

    /** XXX_Init succeeded: calls may enter. */
    synchronized void enable(Object deviceContext) {
        context = deviceContext;
        status = Status.ENABLED;
    }

    synchronized Object context() {
        return context;
    }

    synchronized boolean isEnabled() {
        return status == Status.ENABLED;
    }

    /** A thread enters the driver; {@code false} unless the device is enabled. */
    synchronized boolean enter() {
        if (status != Status.ENABLED) {
            return false;
        }
        inDriver++;
        return true;
    }

    /** A thread leaves the driver; the last one out of a device being deactivated runs XXX_Deinit. */
    void leave() {
        boolean deinit;
        boolean finish;
        Object ctx;
        synchronized (this) {
            inDriver--;
            finish = status == Status.DISABLING && inDriver == 0;
            deinit = finish && !deinitCalled;
            if (deinit) {
                deinitCalled = true;
            }
            ctx = context;
        }
        if (deinit) {
            call("Deinit", () -> driver.deinit(ctx));
        }
        if (finish) {
            synchronized (this) {
                status = Status.GONE;
            }
            manager.unloaded(this);
        }
    }

    /**
     * DeactivateDevice's part (§D6): no call enters from now on; XXX_PreDeinit runs (or, for a driver
     * without one, XXX_Deinit at once); XXX_Deinit follows when the last thread leaves the driver.
     *
     * @param honourNoUnload {@code false} for the device manager's own unloads
     * @return 0, or the Win32 error
     */
    int deactivate(boolean honourNoUnload) {
        boolean direct;
        Object ctx;
        synchronized (this) {
            if (status != Status.ENABLED) {
                return ERROR_NOT_FOUND;
            }
            if (honourNoUnload && (flags & DEVFLAGS_NOUNLOAD) != 0) {
                return ERROR_ACCESS_DENIED;
            }
            status = Status.DISABLING;
            inDriver++; // this thread holds the driver while it runs the pre-deinit
            direct = !entryPoints.preDeinit();
            deinitCalled = direct;
            ctx = context;
        }
        if (direct) {
            call("Deinit", () -> driver.deinit(ctx));
        } else {
            call("PreDeinit", () -> driver.preDeinit(ctx));
        }
        manager.nameReleased(this); // as CE removes the device from its list once the pre-deinit has run
        leave();
        return 0;
    }

    /**
     * Runs an entry point whose result the device manager ignores, keeping the thread's last error: XXX_Deinit
     * and XXX_Close may run on an application's thread as its call leaves the driver, after the error that
     * call reports was set. An exception is logged, as CE's handler does.
     */
    void call(String entryPoint, Runnable r) {
        int saved = Win32.getLastError();
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("{}_{} of {} threw", prefixOrDll(), entryPoint, this, e);
        } finally {
            Win32.setLastError(saved);
        }
    }

    private String prefixOrDll() {
        return deviceName != null ? deviceName.substring(0, 3) : library.name;
    }

    @Override
    public String toString() {
        return "ActivationHandle[" + (deviceName != null ? deviceName : "unnamed") + ", " + activeKey + ", " + deviceKey
                + "]";
    }
}
