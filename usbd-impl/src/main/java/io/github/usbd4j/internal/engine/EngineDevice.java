package io.github.usbd4j.internal.engine;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.usb.DeviceHandle;
import io.github.usbd4j.usb.UsbDevice;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbInterface;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One attached device as the engine sees it: the device handle of every personality ({@link DeviceHandle}).
 * It holds the parsed descriptors, the open pipes in the order they were opened, the current alternate
 * setting of each interface, and the device's detach state. A personality may subclass it to add its own
 * per-device state (the CE personality's {@code USB_HANDLE}); the engine creates devices through
 * {@link DeviceLifecycle#newDevice}.
 */
public class EngineDevice implements DeviceHandle {
    final Engine engine;
    final BackendDevice backend;
    private final UsbDevice info;
    private final UsbSpeed speed;
    private final EnginePipe defaultPipe;

    // guarded by this
    private final LinkedHashMap<Integer, EnginePipe> pipes = new LinkedHashMap<>();
    /** Closed pipes whose transfers have not all settled yet (a close from inside a callback does not wait). */
    private final List<EnginePipe> closedUnsettled = new ArrayList<>();

    private final Map<Integer, Integer> alternateSettings = new HashMap<>();

    private volatile boolean valid = true;
    private volatile boolean detaching;
    private boolean detachFinishClaimed;
    private boolean detachFinished;

    /**
     * @param engine the engine
     * @param backend the backend's device
     * @param info its parsed descriptors
     */
    protected EngineDevice(Engine engine, BackendDevice backend, UsbDevice info) {
        this.engine = engine;
        this.backend = backend;
        this.info = info;
        this.speed = backend.speed();
        UsbEndpointDescriptor ep0 =
                UsbEndpointDescriptor.of(0, 0, info.descriptor().bMaxPacketSize0(), 0);
        this.defaultPipe = new EnginePipe(this, ep0, ep0.wMaxPacketSize(), 1, 0);
        for (UsbInterface i : info.activeConfig().interfaces()) {
            alternateSettings.putIfAbsent(i.descriptor().bInterfaceNumber(), 0);
        }
    }

    /** The engine. */
    public final Engine engine() {
        return engine;
    }

    /** The backend's device (suspend, resume, disable go straight to it). */
    public final BackendDevice backend() {
        return backend;
    }

    /** The parsed descriptors. */
    public final UsbDevice info() {
        return info;
    }

    /** The device's speed. */
    public final UsbSpeed speed() {
        return speed;
    }

    /** Endpoint 0. */
    public final EnginePipe defaultPipe() {
        return defaultPipe;
    }

    /** Where the device is, for messages. */
    public final String location() {
        return backend.location();
    }

    /** {@code true} from attach until its detach has finished (after the drivers heard of it). */
    public final boolean isValid() {
        return valid;
    }

    /** {@code true} once its detach began. */
    public final boolean isDetaching() {
        return detaching;
    }

    // ---- pipes --------------------------------------------------------------------------------------

    /**
     * The open pipe of an endpoint.
     *
     * @param address the endpoint address
     * @return the pipe, or {@code null}
     */
    public final synchronized EnginePipe pipe(int address) {
        return pipes.get(address);
    }

    synchronized boolean hasPipe(int address) {
        return pipes.containsKey(address);
    }

    synchronized void addPipe(EnginePipe p) {
        pipes.put(p.address(), p);
    }

    /** Forgets a closed pipe, keeping it in view until its transfers have settled. */
    synchronized void removePipe(EnginePipe p) {
        pipes.remove(p.address(), p);
        if (!p.isQuiescent()) {
            closedUnsettled.add(p);
        }
    }

    /** The open pipes, newest first. */
    public final synchronized List<EnginePipe> openPipesNewestFirst() {
        List<EnginePipe> out = new ArrayList<>(pipes.values());
        java.util.Collections.reverse(out);
        return out;
    }

    // ---- interfaces ---------------------------------------------------------------------------------

    /**
     * The endpoint with this descriptor in the interface's current alternate setting, else in any setting.
     *
     * @param d the endpoint descriptor
     * @return the endpoint, or {@code null}
     */
    public final synchronized UsbEndpoint findEndpoint(UsbEndpointDescriptor d) {
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

    /**
     * The interface's current alternate setting, as the last SET_INTERFACE that went through left it.
     *
     * @param interfaceNumber the interface
     * @return the setting, 0 at first
     */
    public final synchronized int currentAlternateSetting(int interfaceNumber) {
        return alternateSettings.getOrDefault(interfaceNumber, 0);
    }

    synchronized void alternateSettingChanged(int interfaceNumber, int alternateSetting) {
        alternateSettings.put(interfaceNumber, alternateSetting);
    }

    // ---- detach -------------------------------------------------------------------------------------

    /** Marks the device detaching; {@code false} if it already was. */
    synchronized boolean beginDetach() {
        if (detaching) {
            return false;
        }
        detaching = true;
        return true;
    }

    /** Every transfer of every pipe (closed ones included) has completed and run its callback. */
    boolean isQuiescent() {
        List<EnginePipe> all;
        synchronized (this) {
            closedUnsettled.removeIf(EnginePipe::isQuiescent);
            all = new ArrayList<>(pipes.values());
            all.addAll(closedUnsettled);
        }
        for (EnginePipe p : all) {
            if (!p.isQuiescent()) {
                return false;
            }
        }
        return defaultPipe.isQuiescent();
    }

    /** A transfer of a closing pipe settled: a detach waiting for the device to go quiet may finish now. */
    void pipeSettled() {
        if (detaching) {
            synchronized (this) {
                notifyAll();
            }
            engine.maybeFinishDetach(this);
        }
    }

    /** {@code true} for the one caller that gets to finish the detach. */
    synchronized boolean claimDetachFinish() {
        if (detachFinishClaimed) {
            return false;
        }
        detachFinishClaimed = true;
        return true;
    }

    void invalidate() {
        valid = false;
    }

    synchronized void markDetachFinished() {
        detachFinished = true;
        notifyAll();
    }

    synchronized boolean isDetachFinished() {
        return detachFinished;
    }

    @Override
    public String toString() {
        return "device[" + location() + " "
                + String.format(
                        "%04x:%04x",
                        info.descriptor().idVendor(), info.descriptor().idProduct()) + (valid ? "" : ", detached")
                + "]";
    }
}
