package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.engine.EngineDevice;
import io.github.usbd4j.usb.UsbDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A device as CE's USBD hands it to client drivers, {@code USB_HANDLE} (usb-iso-apis.md §1.1, §1.5): the
 * engine's device plus what only CE has, the registered notification routines and the interfaces drivers
 * took. The same object is the device handle WinUSB and WDM accept.
 */
final class CeDevice extends EngineDevice implements UsbHandle {

    /** A registered notification routine and its parameter (§1.5). */
    record Notification(DeviceNotifyRoutine routine, Object parameter) {}

    private final CeDrivers drivers;
    /** Endpoint 0 as a CE pipe (for the standard requests). */
    final CePipe ep0;

    final List<Notification> notifications = new CopyOnWriteArrayList<>();
    private final List<Integer> activatedInterfaces = new ArrayList<>();

    CeDevice(Engine engine, BackendDevice backend, UsbDevice info, CeDrivers drivers) {
        super(engine, backend, info);
        this.drivers = drivers;
        this.ep0 = new CePipe(this, defaultPipe(), drivers.handleQuarantine());
    }

    CeFuncs funcs() {
        return drivers.funcs();
    }

    synchronized boolean activateInterface(int interfaceNumber) {
        if (activatedInterfaces.contains(interfaceNumber)) {
            return false;
        }
        activatedInterfaces.add(interfaceNumber);
        return true;
    }

    synchronized boolean isInterfaceActivated(int interfaceNumber) {
        return activatedInterfaces.contains(interfaceNumber);
    }

    /** Sends a code to every registered notification routine, in registration order (§1.5). */
    void notifyDrivers(int code) {
        for (Notification n : notifications) {
            try {
                n.routine().notify(n.parameter(), code, null, null, null, null);
            } catch (RuntimeException e) {
                engine().callbackFailed(e);
            }
        }
    }

    boolean removeNotification(DeviceNotifyRoutine routine, Object parameter) {
        return notifications.removeIf(n -> n.routine() == routine && Objects.equals(n.parameter(), parameter));
    }

    @Override
    public String toString() {
        return "UsbHandle[" + location() + " "
                + String.format(
                        "%04x:%04x",
                        info().descriptor().idVendor(), info().descriptor().idProduct())
                + (isValid() ? "" : ", detached") + "]";
    }
}
