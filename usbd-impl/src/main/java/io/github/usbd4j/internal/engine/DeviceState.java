package io.github.usbd4j.internal.engine;

import io.github.usbd4j.ce.DeviceNotifyRoutine;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/** One attached device: CE's {@code USB_HANDLE} (usb-iso-apis.md §1.1). Valid from attach until detach. */
final class DeviceState implements UsbHandle {

    /** A registered notification routine and its parameter (§1.5). */
    record Notification(DeviceNotifyRoutine routine, Object parameter) {}

    final UsbdRuntime runtime;
    final BackendDevice backend;
    final UsbDevice info;
    final UsbSpeed speed;
    final PipeState defaultPipe;
    final List<Notification> notifications = new CopyOnWriteArrayList<>();

    private final Map<Integer, PipeState> pipes = new HashMap<>();
    private final Map<Integer, Integer> alternateSettings = new HashMap<>();
    private final List<Integer> activatedInterfaces = new ArrayList<>();
    private volatile boolean valid = true;

    DeviceState(UsbdRuntime runtime, BackendDevice backend, UsbDevice info) {
        this.runtime = runtime;
        this.backend = backend;
        this.info = info;
        this.speed = backend.speed();
        UsbEndpointDescriptor ep0 =
                UsbEndpointDescriptor.of(0, 0, info.descriptor().bMaxPacketSize0(), 0);
        this.defaultPipe = new PipeState(this, new UsbEndpoint(ep0, null), ep0.wMaxPacketSize(), 1, 0);
        for (UsbInterface i : info.activeConfig().interfaces()) {
            alternateSettings.putIfAbsent(i.descriptor().bInterfaceNumber(), 0);
        }
    }

    String location() {
        return backend.location();
    }

    boolean isValid() {
        return valid;
    }

    void invalidate() {
        valid = false;
    }

    synchronized PipeState pipe(int address) {
        return pipes.get(address);
    }

    synchronized boolean hasPipe(int address) {
        return pipes.containsKey(address);
    }

    synchronized void addPipe(PipeState p) {
        pipes.put(p.address(), p);
    }

    synchronized void removePipe(PipeState p) {
        pipes.remove(p.address(), p);
    }

    synchronized List<PipeState> openPipes() {
        return new ArrayList<>(pipes.values());
    }

    /** The endpoint with this address in the interface's current alternate setting, else in any setting. */
    synchronized UsbEndpoint findEndpoint(UsbEndpointDescriptor d) {
        UsbEndpoint any = null;
        for (UsbInterface i : info.activeConfig().interfaces()) {
            UsbEndpoint e = i.findEndpoint(d.bEndpointAddress());
            if (e == null) {
                continue;
            }
            int current = alternateSettings.getOrDefault(i.descriptor().bInterfaceNumber(), 0);
            if (i.descriptor().bAlternateSetting() == current && e.descriptor().equals(d)) {
                return e;
            }
            if (any == null && e.descriptor().equals(d)) {
                any = e;
            }
        }
        return any;
    }

    synchronized int currentAlternateSetting(int interfaceNumber) {
        return alternateSettings.getOrDefault(interfaceNumber, 0);
    }

    synchronized void alternateSettingChanged(int interfaceNumber, int alternateSetting) {
        alternateSettings.put(interfaceNumber, alternateSetting);
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
    void notifyAll(int code) {
        for (Notification n : notifications) {
            try {
                n.routine().notify(n.parameter(), code, null, null, null, null);
            } catch (RuntimeException e) {
                runtime.callbackFailed(e);
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
                        info.descriptor().idVendor(), info.descriptor().idProduct()) + (valid ? "" : ", detached")
                + "]";
    }
}
