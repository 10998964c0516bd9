package io.github.usbd4j.internal.devmgr;

import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;

import io.github.usbd4j.ce.devmgr.FileHandle;

/**
 * One open handle (CE's {@code fsopendev_t}): its device, open context and access, and the count of
 * threads using it, which decides when {@code XXX_Close} runs after an {@code XXX_PreClose} (§D5).
 */
final class OpenFile implements FileHandle {
    final CeDeviceManager manager;
    final ActiveDevice device;
    final Object context;
    final int access;
    final int share;

    // guarded by this
    private boolean closed;
    private int inUse;
    private boolean closePending;
    private boolean closeCalled;

    OpenFile(CeDeviceManager manager, ActiveDevice device, Object context, int access, int share) {
        this.manager = manager;
        this.device = device;
        this.context = context;
        this.access = access;
        this.share = share;
    }

    /**
     * A call starts on this handle: it holds the handle and the device's driver until {@link #leave}.
     *
     * @return 0, {@code ERROR_INVALID_HANDLE} (closed) or {@code ERROR_INVALID_HANDLE_STATE} (its device
     *     is no longer enabled)
     */
    int enter() {
        synchronized (this) {
            if (closed) {
                return ERROR_INVALID_HANDLE;
            }
        }
        if (!device.enter()) {
            return ERROR_INVALID_HANDLE_STATE;
        }
        synchronized (this) {
            if (!closed) {
                inUse++;
                return 0;
            }
        }
        device.leave();
        return ERROR_INVALID_HANDLE;
    }

    /** The call ends; the last one out of a handle closed meanwhile runs XXX_Close. */
    void leave() {
        boolean close;
        synchronized (this) {
            inUse--;
            close = closed && inUse == 0 && closePending && !closeCalled;
            if (close) {
                closeCalled = true;
            }
        }
        if (close && device.isEnabled()) {
            device.call("Close", () -> device.driver.close(context));
        }
        device.leave();
    }

    /** CloseHandle's first step: no new call may use the handle. {@code false} if it was closed already. */
    synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /**
     * CloseHandle after XXX_PreClose: {@code true} if XXX_Close is to run now; otherwise the last call still
     * using the handle runs it.
     */
    synchronized boolean closeNowOrLater() {
        if (inUse == 0 && !closeCalled) {
            closeCalled = true;
            return true;
        }
        closePending = true;
        return false;
    }

    /** CloseHandle of a driver without XXX_PreClose: XXX_Close runs now, whoever still uses the handle. */
    synchronized void closeCalled() {
        closeCalled = true;
    }

    @Override
    public String toString() {
        return "FileHandle[" + device.deviceName + ", access 0x" + Integer.toHexString(access) + "]";
    }
}
