package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.host.spi.TransferType;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.usb.UsbStringDescriptor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link DeviceModel} attached to a {@link SimulatedHostController}: the {@link BackendDevice} the
 * runtime sees, plus what a test wants to inspect (the model, the faults injected, the device-side
 * state).
 *
 * <p>The device arrives configured with its first configuration and every interface at alternate
 * setting 0, as an operating system leaves a freshly enumerated device. {@link #resetEndpoint} clears
 * only host-side state; a halted endpoint stays halted until CLEAR_FEATURE(ENDPOINT_HALT).
 */
public final class SimulatedDevice implements BackendDevice {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatedDevice.class);

    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final SimulatedHostController host;
    private final DeviceModel model;
    private final FaultPlan faults;
    private final String location;
    private final boolean highSpeed;
    private final Random random;
    private final byte[] deviceDescriptor;
    private final List<byte[]> configurationBytes;
    private final List<ConfigLayout> configurations;
    private final List<InjectedFault> injected = new ArrayList<>();
    private final List<Integer> stallScratch = new ArrayList<>();

    // guarded by host.lock
    private final EndpointState[] endpoints = new EndpointState[32];
    /**
     * Bit {@code i} set when endpoint slot {@code i} may have queued transfers (cleared lazily when the bus
     * finds the queue empty), so a microframe visits only busy endpoints instead of all 31 slots.
     */
    private int busyEndpoints;

    private final int[] alternateSettings = new int[256];
    private ConfigLayout active;
    private boolean open;
    private boolean suspended;
    private long detachFrame;
    private volatile boolean gone;
    private final Object detachListenersLock = new Object();
    // guarded by detachListenersLock; null once the departure was announced
    private List<Runnable> detachListeners = new ArrayList<>();
    /** Times the model threw while the bus ran it; written by the bus thread only. */
    private final java.util.concurrent.atomic.AtomicLong modelFailures = new java.util.concurrent.atomic.AtomicLong();

    SimulatedDevice(SimulatedHostController host, DeviceModel model, FaultPlan faults, int port, long seed) {
        this.host = host;
        this.model = model;
        this.faults = faults;
        this.location = "sim:1-" + port;
        UsbSpeed speed = model.speed();
        if (speed != UsbSpeed.FULL && speed != UsbSpeed.HIGH) {
            throw new IllegalArgumentException("the simulator runs full- and high-speed devices, not " + speed);
        }
        if (speed == UsbSpeed.HIGH && !host.isHighSpeed()) {
            throw new IllegalArgumentException("a high-speed device needs a high-speed bus");
        }
        this.highSpeed = speed == UsbSpeed.HIGH;
        this.random = new Random(seed);
        this.deviceDescriptor = model.deviceDescriptor().toBytes();
        this.configurationBytes = List.copyOf(model.configurationDescriptors());
        List<ConfigLayout> layouts = new ArrayList<>();
        for (byte[] c : configurationBytes) {
            layouts.add(ConfigLayout.parse(c));
        }
        this.configurations = List.copyOf(layouts);
        for (int i = 0; i < 32; i++) {
            endpoints[i] = new EndpointState((i & 0x0F) | (i & 0x10) << 3);
        }
        this.detachFrame = faults.vanishFrame();
    }

    // ---- for tests ------------------------------------------------------------------------------

    /** The model behind this device. */
    public DeviceModel model() {
        return model;
    }

    /** Every fault injected so far, in bus order. */
    public List<InjectedFault> injectedFaults() {
        synchronized (injected) {
            return List.copyOf(injected);
        }
    }

    /** {@code false} once the device has left the bus. */
    public boolean isAttached() {
        return !gone;
    }

    /**
     * Runs {@code listener} once when this device leaves the bus: on the thread that detaches it, after
     * its pending transfers have completed ({@code DEVICE_GONE}) and the host's
     * {@link io.github.usbd4j.host.spi.HostListener#deviceDetached} ran; at once, on the calling thread, if
     * that has already happened. For a user of one device that does not own the host's listener (a
     * USB/IP export), so that it learns of the unplug without polling {@link #isAttached()}.
     *
     * @param listener run once; it must not block
     */
    public void addDetachListener(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (detachListenersLock) {
            if (detachListeners != null) {
                detachListeners.add(listener);
                return;
            }
        }
        listener.run();
    }

    /**
     * Forgets a listener given to {@link #addDetachListener} (a no-op if it ran or was never added).
     *
     * @param listener the listener
     */
    public void removeDetachListener(Runnable listener) {
        synchronized (detachListenersLock) {
            if (detachListeners != null) {
                detachListeners.remove(listener);
            }
        }
    }

    /** Runs the detach listeners, once; called by the host after it announced the departure. */
    void announceDetached() {
        List<Runnable> run;
        synchronized (detachListenersLock) {
            run = detachListeners;
            detachListeners = null;
        }
        if (run == null) {
            return;
        }
        for (Runnable r : run) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("a detach listener of {} failed", location, e);
            }
        }
    }

    /**
     * The current alternate setting of an interface, as SET_INTERFACE left it.
     *
     * @param interfaceNumber the interface
     * @return the alternate setting
     */
    public int alternateSetting(int interfaceNumber) {
        synchronized (host.lock) {
            return alternateSettings[interfaceNumber & 0xFF];
        }
    }

    /**
     * {@code true} when the device has halted an endpoint (a STALL fault or SET_FEATURE(ENDPOINT_HALT)).
     *
     * @param endpointAddress the endpoint
     * @return the halt state
     */
    public boolean isHalted(int endpointAddress) {
        synchronized (host.lock) {
            return endpoints[FaultPlan.index(endpointAddress)].halted;
        }
    }

    // ---- BackendDevice --------------------------------------------------------------------------

    @Override
    public String location() {
        return location;
    }

    @Override
    public UsbSpeed speed() {
        return model.speed();
    }

    @Override
    public byte[] deviceDescriptor() {
        return deviceDescriptor.clone();
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        List<byte[]> copies = new ArrayList<>();
        for (byte[] c : configurationBytes) {
            copies.add(c.clone());
        }
        return copies;
    }

    @Override
    public int activeConfigurationValue() {
        synchronized (host.lock) {
            return active == null ? 0 : active.configurationValue;
        }
    }

    @Override
    public void open() throws BackendException {
        synchronized (host.lock) {
            if (gone) {
                throw new BackendException(location + " is gone", PacketStatus.DEVICE_GONE);
            }
            open = true;
        }
    }

    @Override
    public void close() {
        host.closeDevice(this);
    }

    @Override
    public boolean reservePeriodic(int endpointAddress, TransferType type, int bytesPerInterval, int period) {
        return host.reservePeriodic(this, endpointAddress, type, bytesPerInterval, period);
    }

    @Override
    public void releasePeriodic(int endpointAddress) {
        host.releasePeriodic(this, endpointAddress);
    }

    @Override
    public void submit(BackendTransfer transfer) throws BackendException {
        host.submit(this, transfer);
    }

    @Override
    public void cancel(BackendTransfer transfer) {
        host.cancel(transfer);
    }

    @Override
    public void resetEndpoint(int endpointAddress) {
        // Host side only: the simulator keeps no data toggle, and a device halt needs CLEAR_FEATURE.
    }

    @Override
    public boolean suspend() {
        synchronized (host.lock) {
            suspended = true;
        }
        return true;
    }

    @Override
    public boolean resume() {
        synchronized (host.lock) {
            suspended = false;
            host.rescheduleLocked();
        }
        return true;
    }

    @Override
    public boolean disable(boolean reenumerate) {
        host.detach(this);
        if (reenumerate) {
            host.attach(model, faults);
        }
        return true;
    }

    @Override
    public String toString() {
        return location + " " + model.getClass().getSimpleName();
    }

    // ---- simulator internals, all under host.lock ----------------------------------------------

    boolean isHighSpeed() {
        return highSpeed;
    }

    boolean isGone() {
        return gone;
    }

    boolean isOpen() {
        return open;
    }

    void setOpen(boolean open) {
        this.open = open;
    }

    long detachFrame() {
        return detachFrame;
    }

    void setDetachFrame(long frame) {
        this.detachFrame = frame;
    }

    EndpointState endpointState(int address) {
        return endpoints[FaultPlan.index(address)];
    }

    /** Arrival: configure with the first configuration. */
    void arrive(Collection<BackendTransfer> done) {
        model.bind(host);
        if (!configurations.isEmpty()) {
            setConfiguration(configurations.get(0).configurationValue, done);
        }
    }

    /** Departure: every pending transfer ends DEVICE_GONE. */
    void leave(Collection<BackendTransfer> done) {
        gone = true;
        open = false;
        for (EndpointState ep : endpoints) {
            failAll(ep, PacketStatus.DEVICE_GONE, done);
            ep.reservedCost = 0;
        }
        model.bind(null);
    }

    void cancelAll(Collection<BackendTransfer> done) {
        for (EndpointState ep : endpoints) {
            failAll(ep, PacketStatus.CANCELED, done);
        }
    }

    private static void failAll(EndpointState ep, PacketStatus status, Collection<BackendTransfer> done) {
        BackendTransfer t;
        while ((t = ep.queue.pollFirst()) != null) {
            SimTransfer.of(t).finish(t, status);
            done.add(t);
        }
    }

    /** A transfer was queued on {@code ep}: the bus visits it from the next microframe on. */
    void queued(EndpointState ep) {
        busyEndpoints |= 1 << ep.index;
    }

    /**
     * The first microframe from {@code mf} on in which this device has something to do that a real-time
     * clock must not run late: a transfer that completes (isochronous: the interval of the head transfer's
     * last packet), bulk or interrupt work, a control transfer, or a frame-start event (a scheduled
     * departure, an injected stall). {@code Long.MAX_VALUE} when idle. Isochronous packets before the last
     * one of a transfer are not events: nobody can observe them before the transfer completes, so the
     * clock may run them in the same wake-up as the completion, still in bus order.
     */
    long nextEvent(long mf) {
        if (gone) {
            return Long.MAX_VALUE;
        }
        long frameStart = (mf + 7) & ~7L;
        long next = Long.MAX_VALUE;
        if (detachFrame >= 0) {
            next = Math.max(mf, detachFrame * 8);
        }
        if (faults.hasStalls()) {
            next = Math.min(next, frameStart);
        }
        if (suspended) {
            return next;
        }
        if (!endpoints[0].queue.isEmpty()) {
            next = Math.min(next, frameStart);
        }
        int busy = busyEndpoints & ~1;
        while (busy != 0) {
            int i = Integer.numberOfTrailingZeros(busy);
            busy &= busy - 1;
            EndpointState ep = endpoints[i];
            BackendTransfer head = ep.queue.peekFirst();
            if (head == null || ep.descriptor == null) {
                continue;
            }
            long at;
            switch (ep.type()) {
                case ISOCHRONOUS -> {
                    long last = head.startFrame() * (highSpeed ? 8 : 1) + (long) (head.packets() - 1) * head.period();
                    at = highSpeed ? last : last * 8;
                }
                case INTERRUPT -> {
                    int period = ep.interruptPeriod(highSpeed);
                    at = highSpeed
                            ? (mf + period - 1) / period * period
                            : (frameStart / 8 + period - 1) / period * period * 8;
                }
                default -> at = highSpeed ? mf : frameStart;
            }
            next = Math.min(next, Math.max(at, mf));
        }
        return next;
    }

    /** Finds and checks the endpoint a transfer goes to. */
    EndpointState validate(BackendTransfer t) throws BackendException {
        if (gone) {
            throw new BackendException(location + " is gone", PacketStatus.DEVICE_GONE);
        }
        if (!open) {
            throw new BackendException(location + " is not open", PacketStatus.HOST_ERROR);
        }
        String misfit = t.bufferProblem();
        if (misfit != null) {
            throw new BackendException(misfit, PacketStatus.HOST_ERROR);
        }
        if (t.type() == TransferType.CONTROL) {
            if ((t.endpointAddress() & 0x0F) != 0) {
                throw new BackendException("the simulator has control endpoint 0 only", PacketStatus.HOST_ERROR);
            }
            return endpoints[0];
        }
        EndpointState ep = endpointState(t.endpointAddress());
        if (ep.descriptor == null || ep.address != t.endpointAddress()) {
            throw new BackendException(
                    String.format("endpoint 0x%02X is not in the active alternate settings", t.endpointAddress()),
                    PacketStatus.HOST_ERROR);
        }
        if (ep.type() != t.type()) {
            throw new BackendException(
                    String.format("endpoint 0x%02X is %s, not %s", t.endpointAddress(), ep.type(), t.type()),
                    PacketStatus.HOST_ERROR);
        }
        if (t.type() == TransferType.ISOCHRONOUS) {
            int max = ep.maxPerInterval(highSpeed);
            if (t.period() < 1) {
                throw new BackendException("period must be 1 or more", PacketStatus.HOST_ERROR);
            }
            for (int k = 0; k < t.packets(); k++) {
                if (t.packetLength(k) < 0 || t.packetLength(k) > max) {
                    throw new BackendException(
                            String.format(
                                    "packet %d: %d bytes, endpoint 0x%02X takes at most %d per interval",
                                    k, t.packetLength(k), t.endpointAddress(), max),
                            PacketStatus.HOST_ERROR);
                }
            }
        }
        return ep;
    }

    /** Frame-start events of this device: injected stalls. */
    void startFrame(long frame) {
        if (!faults.hasStalls()) {
            return;
        }
        stallScratch.clear();
        faults.stallsAt(frame, stallScratch);
        for (int address : stallScratch) {
            endpointState(address).halted = true;
            record(frame, 0, address, PacketStatus.STALL);
        }
    }

    void record(long frame, int microframe, int endpointAddress, PacketStatus status) {
        synchronized (injected) {
            injected.add(new InjectedFault(frame, microframe, endpointAddress, status));
        }
    }

    /**
     * Runs this device's share of one microframe: at high speed every microframe is a bus interval;
     * at full speed the frame's work runs in microframe 0. Control transfers run once per frame.
     */
    void runMicroframe(long frame, int microframe, Bus bus) {
        if (gone || suspended || (!highSpeed && microframe != 0)) {
            return;
        }
        long interval = highSpeed ? frame * 8 + microframe : frame;
        if (microframe == 0) {
            runControl(frame, bus);
        }
        int busy = busyEndpoints & ~1;
        while (busy != 0) { // in slot order, as a scan of all slots would visit them
            int i = Integer.numberOfTrailingZeros(busy);
            busy &= busy - 1;
            EndpointState ep = endpoints[i];
            if (ep.queue.isEmpty() || ep.descriptor == null) {
                if (ep.queue.isEmpty()) {
                    busyEndpoints &= ~(1 << i);
                }
                continue;
            }
            switch (ep.type()) {
                case ISOCHRONOUS -> runIsochronous(ep, interval, frame, microframe, bus);
                case INTERRUPT -> {
                    if (interval % ep.interruptPeriod(highSpeed) == 0) {
                        runBulk(ep, frame, microframe, bus);
                    }
                }
                default -> runBulk(ep, frame, microframe, bus);
            }
        }
    }

    /**
     * {@link #runMicroframe} for microframes {@code mf} up to {@code end} (exclusive) of one frame (its
     * frame-start events already run), when this is a high-speed device whose only busy endpoint is
     * isochronous and, from the frame's first microframe, no control transfer is queued: what each of them
     * does is then that endpoint's packet, so the checks are made once for the stretch. Stops after
     * the microframe that completes a transfer, as the controller's loop does. The controller's clock moves on
     * after each microframe, as it would with one call per microframe (a model may read it).
     *
     * @return the microframe after the last one run; {@code mf} when the stretch does not apply
     */
    long runIsochronousStretch(long mf, long end, Bus bus) {
        int busy = busyEndpoints & ~1;
        if (gone
                || suspended
                || !highSpeed
                || busy == 0
                || (busy & (busy - 1)) != 0
                || ((mf & 7) == 0 && !endpoints[0].queue.isEmpty())) {
            return mf;
        }
        EndpointState ep = endpoints[Integer.numberOfTrailingZeros(busy)];
        if (ep.queue.isEmpty() || ep.descriptor == null || ep.type() != TransferType.ISOCHRONOUS) {
            return mf;
        }
        // nothing in these microframes can change the endpoint's setting, halt or the device's presence:
        // control requests run in microframe 0 (none is queued), frame-start events before it, and
        // submissions wait for the lock
        long frame = mf >>> 3;
        do {
            runIsochronous(ep, mf, frame, (int) (mf & 7), bus);
            host.reached(++mf);
        } while (mf < end && bus.completed.isEmpty());
        return mf;
    }

    // ---- isochronous ----------------------------------------------------------------------------

    /**
     * Packets whose interval is past are skipped (they keep NOT_ACCESSED); the packet due in this
     * interval runs; a transfer completes with its last packet, and the next one may run in the same
     * interval.
     */
    private void runIsochronous(EndpointState ep, long interval, long frame, int microframe, Bus bus) {
        int perFrame = highSpeed ? 8 : 1;
        BackendTransfer t;
        while ((t = ep.queue.peekFirst()) != null) {
            SimTransfer st = SimTransfer.of(t);
            long first = t.startFrame() * perFrame;
            int packets = t.packets();
            int period = t.period();
            int k = st.next; // in locals: the packet's call into the model does not make them be read again
            int offset = st.nextOffset;
            for (; k < packets; k++) {
                long due = first + (long) k * period;
                if (due > interval) {
                    break;
                }
                if (due == interval) {
                    runIsoPacket(ep, t, st, k, offset, frame, microframe);
                }
                offset += t.packetLength(k);
            }
            st.next = k;
            st.nextOffset = offset;
            if (k < packets) {
                return;
            }
            ep.queue.pollFirst();
            st.finish(t, PacketStatus.OK);
            bus.completed.add(t);
        }
    }

    /** Runs packet {@code k} of {@code t}, whose data is at {@code offset} in the buffer. */
    private void runIsoPacket(
            EndpointState ep, BackendTransfer t, SimTransfer st, int k, int offset, long frame, int microframe) {
        int length = t.packetLength(k);
        PacketStatus fault = ep.halted ? PacketStatus.STALL : injectedFault(ep.address, frame, microframe);
        boolean in = (ep.address & 0x80) != 0;
        int actual;
        PacketStatus status;
        if (in) {
            if (fault != null && !carriesData(fault)) {
                actual = 0;
                status = fault;
            } else {
                int produced = receive(ep, t, offset, length, frame, microframe);
                if (produced == MODEL_FAILED) {
                    actual = 0;
                    status = PacketStatus.DEVICE_NOT_RESPONDING;
                } else {
                    actual = Math.min(Math.max(produced, 0), length);
                    status = fault != null ? fault : produced > length ? PacketStatus.DATA_OVERRUN : replayed(ep);
                    if (status != PacketStatus.OK && !carriesData(status)) {
                        actual = 0;
                    }
                }
            }
        } else {
            boolean answered = true;
            if (fault == null && ep.handler != null) {
                answered = send(ep, t, offset, length, frame, microframe);
            }
            actual = answered ? length : 0;
            status = !answered
                    ? PacketStatus.DEVICE_NOT_RESPONDING
                    : fault != null ? fault : ep.handler == null ? PacketStatus.STALL : PacketStatus.OK;
        }
        t.setPacketResult(k, actual, status);
        st.total += actual;
    }

    private PacketStatus injectedFault(int address, long frame, int microframe) {
        PacketStatus s = faults.packetFault(address, frame, random);
        if (s != null) {
            record(frame, microframe, address, s);
        }
        return s;
    }

    /** The status the handler gives the IN packet it just answered ({@link EndpointHandler#inStatus()}). */
    private static PacketStatus replayed(EndpointState ep) {
        PacketStatus s = ep.handler == null ? PacketStatus.OK : ep.handler.inStatus();
        return s == null ? PacketStatus.OK : s;
    }

    /** Whether an IN packet reported with this status still delivered its bytes (see FaultPlan). */
    private static boolean carriesData(PacketStatus s) {
        return switch (s) {
            case CRC,
                    BIT_STUFFING,
                    DATA_TOGGLE_MISMATCH,
                    PID_CHECK_FAILURE,
                    UNEXPECTED_PID,
                    DATA_OVERRUN,
                    DATA_UNDERRUN -> true;
            default -> false;
        };
    }

    /** {@link #receive} result: the model threw, so the device sent no answer. */
    private static final int MODEL_FAILED = Integer.MIN_VALUE;

    /**
     * Asks the handler for an IN packet, written straight into the transfer buffer through a window of
     * {@code length} bytes at {@code offset}; returns what the handler says it sent, or {@link #MODEL_FAILED}.
     */
    private int receive(EndpointState ep, BackendTransfer t, int offset, int length, long frame, int microframe) {
        if (ep.handler == null) {
            return 0;
        }
        try {
            return ep.handler.in(frame, microframe, ep.windows.window(t.buffer(), offset, length, true), length);
        } catch (RuntimeException e) {
            modelFailed(e, ep.address);
            return MODEL_FAILED;
        }
    }

    /**
     * Hands an OUT packet to the handler through a read-only window onto the transfer buffer; {@code false}
     * if the model threw.
     */
    private boolean send(EndpointState ep, BackendTransfer t, int offset, int length, long frame, int microframe) {
        try {
            ep.handler.out(frame, microframe, ep.windows.window(t.buffer(), offset, length, false));
            return true;
        } catch (RuntimeException e) {
            modelFailed(e, ep.address);
            return false;
        }
    }

    /** Whether the handler takes an OUT packet now ({@code false}: NAK), or {@code null} if the model threw. */
    private Boolean accepts(EndpointState ep, int length, long frame, int microframe) {
        try {
            return ep.handler.acceptsOut(frame, microframe, length);
        } catch (RuntimeException e) {
            modelFailed(e, ep.address);
            return null;
        }
    }

    /**
     * A device model that throws is a device that stopped answering: the packet or request it was asked
     * for completes with {@code DEVICE_NOT_RESPONDING}, as a real device that hangs would, and the
     * transfer is never lost and the exception never reaches the driver. The first failure of a device is
     * logged as a warning, later ones at debug level (a model that throws per packet would flood the log).
     */
    private void modelFailed(RuntimeException e, int endpoint) {
        long n = modelFailures.incrementAndGet();
        if (n == 1) {
            LOG.warn(
                    "device model {} threw on endpoint 0x{}: its transfers complete with DEVICE_NOT_RESPONDING",
                    model.getClass().getName(),
                    Integer.toHexString(endpoint),
                    e);
        } else {
            LOG.debug("device model {} threw again ({} times)", model.getClass().getName(), n, e);
        }
    }

    /**
     * How often the device model threw while the bus ran it: each time, the packet or request completed
     * with {@code DEVICE_NOT_RESPONDING} instead.
     */
    public long modelFailures() {
        return modelFailures.get();
    }

    // ---- bulk and interrupt -----------------------------------------------------------------------

    /**
     * Runs the head transfer as a whole, packet by packet: a short IN packet ends it; a NAK leaves it
     * pending (progress kept) for the endpoint's next interval.
     */
    private void runBulk(EndpointState ep, long frame, int microframe, Bus bus) {
        BackendTransfer t = ep.queue.peekFirst();
        SimTransfer st = SimTransfer.of(t);
        PacketStatus status =
                ep.halted || ep.handler == null ? PacketStatus.STALL : injectedFault(ep.address, frame, microframe);
        if (status == null) {
            int maxPacket = Math.max(1, ep.maxPacket(highSpeed));
            boolean in = (ep.address & 0x80) != 0;
            int length = t.length();
            status = PacketStatus.OK;
            do {
                int chunk = Math.min(maxPacket, length - st.total);
                int offset = t.offset() + st.total;
                if (in) {
                    int produced = receive(ep, t, offset, chunk, frame, microframe);
                    if (produced == MODEL_FAILED) {
                        status = PacketStatus.DEVICE_NOT_RESPONDING;
                        break;
                    }
                    if (produced == EndpointHandler.NAK) {
                        return;
                    }
                    PacketStatus replayed = replayed(ep);
                    if (replayed != PacketStatus.OK) {
                        status = replayed;
                        if (carriesData(replayed)) {
                            st.total += Math.min(Math.max(produced, 0), chunk);
                        }
                        break;
                    }
                    st.total += Math.min(produced, chunk);
                    if (produced > chunk) {
                        status = PacketStatus.DATA_OVERRUN;
                        break;
                    }
                    if (produced < maxPacket) {
                        if (st.total < length && t.shortNotOk()) {
                            status = PacketStatus.DATA_UNDERRUN;
                        }
                        break;
                    }
                } else {
                    Boolean accepted = accepts(ep, chunk, frame, microframe);
                    if (accepted == null) {
                        status = PacketStatus.DEVICE_NOT_RESPONDING;
                        break;
                    }
                    if (!accepted) {
                        return; // NAK: asked again in the next interval
                    }
                    if (!send(ep, t, offset, chunk, frame, microframe)) {
                        status = PacketStatus.DEVICE_NOT_RESPONDING;
                        break;
                    }
                    st.total += chunk;
                }
            } while (st.total < length);
        }
        ep.queue.pollFirst();
        st.finish(t, status);
        bus.completed.add(t);
    }

    // ---- control ----------------------------------------------------------------------------------

    private void runControl(long frame, Bus bus) {
        BackendTransfer t;
        while ((t = endpoints[0].queue.pollFirst()) != null) {
            SimTransfer st = SimTransfer.of(t);
            UsbDeviceRequest setup = UsbDeviceRequest.fromBytes(t.setup(), 0);
            ByteBuffer dataOut = NO_DATA;
            if (!setup.isDeviceToHost() && t.length() > 0) {
                byte[] copy = new byte[t.length()];
                t.buffer().get(t.offset(), copy);
                dataOut = ByteBuffer.wrap(copy).asReadOnlyBuffer();
            }
            ControlResponse r;
            boolean answered = true;
            try {
                r = standardRequest(setup, frame, bus);
                if (r == null) {
                    r = model.control(setup, dataOut);
                }
            } catch (RuntimeException e) {
                modelFailed(e, 0);
                r = null;
                answered = false;
            }
            PacketStatus status = answered ? PacketStatus.STALL : PacketStatus.DEVICE_NOT_RESPONDING;
            if (r != null && !r.isStall()) {
                status = PacketStatus.OK;
                if (setup.isDeviceToHost()) {
                    int n = Math.min(r.dataLength(), Math.min(t.length(), setup.wLength()));
                    t.buffer().put(t.offset(), r.rawData(), 0, n);
                    st.total = n;
                } else {
                    st.total = t.length();
                }
            }
            st.finish(t, status);
            bus.completed.add(t);
        }
    }

    /** The standard requests the simulator answers for the model; {@code null} passes it to the model. */
    private ControlResponse standardRequest(UsbDeviceRequest r, long frame, Bus bus) {
        if (r.type() != Usb100.USB_REQUEST_STANDARD) {
            return null;
        }
        int recipient = r.recipient();
        return switch (r.bRequest()) {
            case Usb100.USB_REQUEST_GET_DESCRIPTOR ->
                recipient == Usb100.USB_REQUEST_FOR_DEVICE ? descriptor(r.wValue() >>> 8, r.wValue() & 0xFF) : null;
            case Usb100.USB_REQUEST_GET_CONFIGURATION ->
                ControlResponse.data((byte) (active == null ? 0 : active.configurationValue));
            case Usb100.USB_REQUEST_SET_CONFIGURATION -> ack(setConfiguration(r.wValue() & 0xFF, bus.completed));
            case Usb100.USB_REQUEST_GET_INTERFACE ->
                active == null || !active.interfaceNumbers().contains(r.wIndex() & 0xFF)
                        ? ControlResponse.stall()
                        : ControlResponse.data((byte) alternateSettings[r.wIndex() & 0xFF]);
            case Usb100.USB_REQUEST_SET_INTERFACE -> ack(setInterface(r.wIndex() & 0xFF, r.wValue(), bus.completed));
            case Usb100.USB_REQUEST_GET_STATUS -> status(recipient, r.wIndex());
            case Usb100.USB_REQUEST_SET_FEATURE, Usb100.USB_REQUEST_CLEAR_FEATURE ->
                feature(r, r.bRequest() == Usb100.USB_REQUEST_SET_FEATURE);
            // the 11-bit frame number the device sees in SOF ([§4](reference/usb-bus.html#s4))
            case Usb100.USB_REQUEST_SYNC_FRAME -> ControlResponse.data((byte) frame, (byte) ((frame >>> 8) & 0x07));
            case Usb100.USB_REQUEST_SET_ADDRESS -> ControlResponse.ack();
            default -> null;
        };
    }

    private static ControlResponse ack(boolean ok) {
        return ok ? ControlResponse.ack() : ControlResponse.stall();
    }

    private ControlResponse descriptor(int type, int index) {
        return switch (type) {
            case Usb100.USB_DEVICE_DESCRIPTOR_TYPE -> ControlResponse.data(deviceDescriptor);
            case Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE ->
                index < configurationBytes.size()
                        ? ControlResponse.data(configurationBytes.get(index))
                        : ControlResponse.stall();
            case Usb100.USB_STRING_DESCRIPTOR_TYPE -> stringDescriptor(index);
            default -> null;
        };
    }

    private ControlResponse stringDescriptor(int index) {
        if (index == 0) {
            return ControlResponse.data((byte) 4, (byte) Usb100.USB_STRING_DESCRIPTOR_TYPE, (byte) 0x09, (byte) 0x04);
        }
        String text = model.string(index);
        return text == null
                ? ControlResponse.stall()
                : ControlResponse.data(UsbStringDescriptor.of(text).toBytes());
    }

    private ControlResponse status(int recipient, int wIndex) {
        return switch (recipient) {
            case Usb100.USB_REQUEST_FOR_DEVICE -> {
                boolean selfPowered = active != null && (active.bmAttributes & 0x40) != 0;
                yield ControlResponse.data((byte) (selfPowered ? 1 : 0), (byte) 0);
            }
            case Usb100.USB_REQUEST_FOR_INTERFACE -> ControlResponse.data((byte) 0, (byte) 0);
            case Usb100.USB_REQUEST_FOR_ENDPOINT -> {
                EndpointState ep = endpointState(wIndex & 0x8F);
                yield (wIndex & 0x0F) != 0 && (ep.descriptor == null || ep.address != (wIndex & 0x8F))
                        ? ControlResponse.stall()
                        : ControlResponse.data((byte) (ep.halted ? 1 : 0), (byte) 0);
            }
            default -> ControlResponse.stall();
        };
    }

    private ControlResponse feature(UsbDeviceRequest r, boolean set) {
        if (r.recipient() == Usb100.USB_REQUEST_FOR_ENDPOINT && r.wValue() == Usb100.USB_FEATURE_ENDPOINT_STALL) {
            int address = r.wIndex() & 0x8F;
            if ((address & 0x0F) == 0) {
                return ControlResponse.ack();
            }
            EndpointState ep = endpointState(address);
            if (ep.descriptor == null || ep.address != address) {
                return ControlResponse.stall();
            }
            ep.halted = set;
            return ControlResponse.ack();
        }
        return r.recipient() == Usb100.USB_REQUEST_FOR_DEVICE ? ControlResponse.ack() : ControlResponse.stall();
    }

    private boolean setConfiguration(int value, Collection<BackendTransfer> done) {
        ConfigLayout chosen = null;
        if (value != 0) {
            for (ConfigLayout c : configurations) {
                if (c.configurationValue == value) {
                    chosen = c;
                }
            }
            if (chosen == null) {
                return false;
            }
        }
        active = chosen;
        Arrays.fill(alternateSettings, 0);
        refreshEndpoints(-1, done);
        model.configurationChanged(value);
        return true;
    }

    private boolean setInterface(int interfaceNumber, int alternateSetting, Collection<BackendTransfer> done) {
        if (active == null || active.alt(interfaceNumber, alternateSetting) == null) {
            return false;
        }
        alternateSettings[interfaceNumber] = alternateSetting;
        refreshEndpoints(interfaceNumber, done);
        model.alternateSettingChanged(interfaceNumber, alternateSetting);
        return true;
    }

    /**
     * Recomputes which endpoints exist after a configuration or alternate-setting change. Transfers
     * pending on an endpoint that changed or vanished end CANCELED (the host controller drops the
     * endpoint); the endpoints of {@code changedInterface} (all, for -1) lose their halt.
     */
    private void refreshEndpoints(int changedInterface, Collection<BackendTransfer> done) {
        UsbEndpointDescriptor[] now = new UsbEndpointDescriptor[32];
        boolean[] touched = new boolean[32];
        if (active != null) {
            for (ConfigLayout.Alt alt : active.alts) {
                boolean current = alternateSettings[alt.interfaceNumber()] == alt.alternateSetting();
                for (UsbEndpointDescriptor e : alt.endpoints()) {
                    int i = FaultPlan.index(e.bEndpointAddress());
                    if (current) {
                        now[i] = e;
                    }
                    if (alt.interfaceNumber() == changedInterface) {
                        touched[i] = true;
                    }
                }
            }
        }
        for (int i = 1; i < 32; i++) {
            EndpointState ep = endpoints[i];
            if (!Objects.equals(ep.descriptor, now[i])) {
                failAll(ep, PacketStatus.CANCELED, done);
                ep.halted = false;
                ep.windows.clear(); // the endpoint's streams ended: keep none of their buffers alive
            }
            if (changedInterface < 0 || touched[i]) {
                ep.halted = false;
            }
            ep.descriptor = now[i];
            ep.handler = now[i] == null ? null : model.endpoint(ep.address);
        }
    }

    /** Per-step state shared by the devices of one controller: where completed transfers go. */
    static final class Bus {
        final Collection<BackendTransfer> completed;

        Bus(Collection<BackendTransfer> completed) {
            this.completed = completed;
        }
    }
}
