package io.github.usbd4j.devmgr;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.devmgr.DevLoad;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.win32.Win32;

/** A runtime on a virtual-clock simulator, for its device manager; device keys under {@code Drivers\Test}. */
final class DeviceManagerFixture implements AutoCloseable {
    /**
     * The bound of the tests' waits for other threads (a read reaching the driver, a call returning): it only turns a
     * hang into a failure, and is generous so that a loaded machine never decides a test. What those threads do is
     * sequenced by latches and barriers, not by time.
     */
    static final long HANG_GUARD_SECONDS = 30;

    final SimulatedHostController sim = SimulatedHostController.builder().build();
    final Usbd usbd = Usbd.builder().backend(sim).build();
    final DeviceManager dm = usbd.deviceManager();

    /** A device key with Dll and Prefix; returns its path. */
    String deviceKey(String name, Class<?> dll, String prefix) {
        String path = "Drivers\\Test\\" + name;
        ClientRegistryKey k = dm.regCreateKeyEx(path);
        k.setString(DevLoad.DEVLOAD_DLLNAME_VALNAME, dll.getName());
        if (prefix != null) {
            k.setString(DevLoad.DEVLOAD_PREFIX_VALNAME, prefix);
        }
        return path;
    }

    ClientRegistryKey key(String path) {
        return dm.regOpenKeyEx(path);
    }

    /** Win32.getLastError() set to a marker, to show which calls leave it alone. */
    static void markLastError() {
        Win32.setLastError(MARK);
    }

    static final int MARK = 0x5A5A;

    @Override
    public void close() {
        usbd.close();
        Win32.setLastError(0);
    }
}
