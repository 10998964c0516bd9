package io.github.usbd4j.libusb;

import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BusClock;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.usb4java.Context;
import org.usb4java.Device;
import org.usb4java.DeviceList;
import org.usb4java.HotplugCallbackHandle;
import org.usb4java.LibUsb;
import org.usb4java.Loader;

/**
 * The real-device backend: a {@link HostController} over usb4java 1.3.0 (which bundles libusb 1.0.22).
 *
 * <pre>{@code
 * // fragment: needs the webcam, and your driver class
 * try (Usbd usbd = Usbd.builder()
 *         .backend(LibusbHostController.builder().device(0x046d, 0x0825).build())
 *         .build()) {
 *     usbd.registerDriver("MyWebcam", UsbDriverSettings.forVendor(0x046d, 0x0825), new MyWebcamDriver());
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Devices.</b> Arrivals and departures come from libusb's hot-plug events where libusb has them
 * (on Linux these come from udevd: without a running udevd, as in a minimal container, only devices
 * present at start are seen). Where they work, the bus is listed once more {@link Builder#pollIntervalMillis}
 * after each event, to reconcile, and otherwise not at all; without them it is polled that often, which
 * also catches departures of open devices. A device seen before the kernel set its configuration (a hot-plug
 * event can come first) is reported once it is configured, or as it is after 10 s. Hubs are never reported. {@link Builder#device} limits
 * the backend to given vendor/product IDs; without it every other device is reported, and opening one
 * detaches its kernel drivers (see {@link Builder#detachKernelDrivers}).
 *
 * <p><b>Threads.</b> One event thread ({@code usbd4j-libusb-events}) runs libusb's event loop. The transfers
 * libusb hands back are completed there, right after libusb's event handling returns (outside libusb's
 * event lock), and so are those that never reached libusb (a held batch cancelled or refused), and by default the runtime runs client callbacks there too ({@link #callbackExecutor()}),
 * as a hand-written usb4java loop would: no hand-off, no second thread woken per transfer. A callback that
 * makes a synchronous call waits by running the event loop itself ({@link #runCompletionsUntil}); callbacks
 * of transfers completed on other threads are passed to the event thread. A timer thread submits held
 * isochronous batches, a worker runs the standard requests that go through libusb calls, and a poll thread
 * lists the bus when hot-plug events call for it (or periodically without them).
 *
 * <p><b>Frames.</b> libusb and Linux usbfs expose no bus frame number
 * (<a href="{@docRoot}/../reference/linux-peers.html#p2">libraries §2</a>), so the {@link #clock()} counts 1 ms frames
 * on the host's monotonic clock. An isochronous batch whose start frame lies beyond {@link Builder#submitLeadMillis} is
 * held and submitted that long before its frame; batches that continue a stream are queued right behind it, where the
 * kernel places them (ASAP). The README reports how close this lands on a real kernel.
 *
 * <p><b>Limits.</b> More than 128 packets per transfer go to libusb as several transfers of at most 128
 * (never split by libusb 1.0.22, which mishandles split transfers on unplug); a packet larger than the
 * kernel's usbfs limit is refused before it reaches native code; heap buffers are bounce-copied, direct
 * buffers are used in place.
 */
public final class LibusbHostController implements HostController {
    private static final Logger LOG = LoggerFactory.getLogger(LibusbHostController.class);
    /** The event loop's longest sleep: it is woken for work (libusb's events, posted callbacks, close). */
    private static final long EVENT_TIMEOUT_MICROS = 1_000_000;
    /**
     * A synchronous call in a callback on the event thread waits in slices of this length: completions from
     * the timer and request threads do not wake libusb's poll.
     */
    private static final long WAIT_SLICE_MICROS = 1_000;

    private final Set<Integer> ids;
    private final boolean detachKernelDrivers;
    private final int submitLead;
    private final long pollIntervalMillis;
    private final boolean useHotplug;

    private final Context context;
    private final HostClock clock = new HostClock();
    private final Map<Long, LibusbDevice> devices = new HashMap<>();
    /**
     * Devices that left, by libusb pointer, until the runtime has closed them and libusb lists them no
     * more. Our reference keeps the pointer from being reused, and a pointer listed here is never reported
     * again: libusb may list a device for a moment after a transfer or a probe found it gone.
     */
    private final Map<Long, LibusbDevice> departed = new HashMap<>();
    /** Hubs and filtered-out devices, referenced so their pointers cannot be reused while listed. */
    private final Map<Long, Device> ignored = new HashMap<>();
    /**
     * Devices seen before the kernel finished with them (not yet configured, or descriptors not yet readable), by
     * libusb pointer, with the time first seen: looked at again a poll interval later, until {@link #SETTLE_NANOS}.
     * A hot-plug event can come before the kernel sets the configuration; reported then, a device would be matched
     * against no interface and never again, so its driver would never load.
     */
    private final Map<Long, Long> settling = new HashMap<>();
    /** How long a device may take to be configured before it is reported as it is. */
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService blocking;
    private final ScheduledExecutorService poller;
    private final Thread eventThread;
    private final Set<Thread> completionThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private HostListener listener;
    private HotplugCallbackHandle hotplug;
    /** Hot-plug events report arrivals and departures: the bus is listed only after one. */
    private volatile boolean eventDriven;

    /** Transfers libusb handed back during the current event handling, in order (event thread only). */
    private NativeTransfer completedHead;

    private NativeTransfer completedTail;
    /** Tasks for the event thread from other threads (callbacks of transfers completed elsewhere). */
    private final ConcurrentLinkedQueue<Runnable> posted = new ConcurrentLinkedQueue<>();

    private final Executor onEventThread = this::runOnEventThread;

    private LibusbHostController(Builder b, Context context) {
        this.ids = Set.copyOf(b.ids);
        this.detachKernelDrivers = b.detachKernelDrivers;
        this.submitLead = b.submitLeadMillis;
        this.pollIntervalMillis = b.pollIntervalMillis;
        this.useHotplug = b.hotplug;
        this.context = context;
        this.timer = new ScheduledThreadPoolExecutor(1, completing(daemon("usbd4j-libusb-timer")));
        this.timer.setRemoveOnCancelPolicy(true);
        this.blocking = Executors.newSingleThreadExecutor(completing(daemon("usbd4j-libusb-requests")));
        this.poller = Executors.newSingleThreadScheduledExecutor(daemon("usbd4j-libusb-poll"));
        this.eventThread = completing(daemon("usbd4j-libusb-events")).newThread(this::runEvents);
    }

    /** A builder with the defaults: every non-hub device, kernel drivers detached, 2 ms submit lead. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code true} if usb4java's native library loads on this platform. */
    public static boolean isAvailable() {
        return NativeLibrary.CAUSE == null;
    }

    /** Why the native library cannot load, if it cannot. */
    public static Optional<Throwable> unavailabilityCause() {
        return Optional.ofNullable(NativeLibrary.CAUSE);
    }

    /**
     * A device as libusb lists it, read without claiming it or detaching a kernel driver (what
     * {@code lsusb -v} shows): for tools that let a user choose a device before a backend takes it.
     *
     * @param busNumber the bus
     * @param portPath the port numbers from the root hub, dot-separated ({@code "1.4"}), {@code "0"} for a
     *     root hub
     * @param address the device address on the bus
     * @param speed the speed it runs at
     * @param deviceDescriptor the 18-byte device descriptor
     * @param configurationDescriptors every configuration descriptor set libusb could read, index 0 first
     * @param activeConfigurationValue the active {@code bConfigurationValue}, 0 if unconfigured
     * @param manufacturer the manufacturer string, {@code null} if none or unreadable
     * @param product the product string, {@code null} if none or unreadable
     * @param serialNumber the serial number string, {@code null} if none or unreadable
     * @param openProblem why the device could not be opened to read its strings (a permission problem
     *     names the udev rule to add), {@code null} if it could
     */
    @SuppressWarnings("ArrayRecordComponent") // descriptor bytes to read, never compared
    public record ListedDevice(
            int busNumber,
            String portPath,
            int address,
            io.github.usbd4j.descriptor.UsbSpeed speed,
            byte[] deviceDescriptor,
            List<byte[]> configurationDescriptors,
            int activeConfigurationValue,
            String manufacturer,
            String product,
            String serialNumber,
            String openProblem) {

        /** Copies the descriptors. */
        public ListedDevice {
            deviceDescriptor = deviceDescriptor.clone();
            configurationDescriptors =
                    configurationDescriptors.stream().map(byte[]::clone).toList();
        }

        /** {@code idVendor}. */
        public int vendorId() {
            return (deviceDescriptor[8] & 0xFF) | (deviceDescriptor[9] & 0xFF) << 8;
        }

        /** {@code idProduct}. */
        public int productId() {
            return (deviceDescriptor[10] & 0xFF) | (deviceDescriptor[11] & 0xFF) << 8;
        }

        /** Whether it is a hub ({@code bDeviceClass} 9), which the backend never reports. */
        public boolean isHub() {
            return deviceDescriptor[4] == 9;
        }

        /** {@code "libusb:1-1.4 (address 5)"}, as the backend's devices name their location. */
        public String location() {
            return "libusb:" + busNumber + "-" + portPath + " (address " + address + ")";
        }
    }

    /**
     * Lists the devices on every bus, hubs included, in libusb's order, in a libusb context of its own
     * (so it can run beside a started backend). Nothing is claimed: each device is opened only to read
     * its strings, and one that cannot be opened is listed with {@link ListedDevice#openProblem()}.
     *
     * @return the devices
     * @throws LibusbUnavailableException if the native library cannot load or libusb cannot start (on
     *     Linux, a machine without USB has no {@code /dev/bus/usb} and fails here, with a message saying so)
     */
    public static List<ListedDevice> listDevices() {
        requireNativeLibrary();
        return DeviceListing.list();
    }

    private static void requireNativeLibrary() {
        Throwable cause = NativeLibrary.CAUSE;
        if (cause != null) {
            throw new LibusbUnavailableException(
                    "usb4java's native library cannot be loaded on " + System.getProperty("os.name") + "/"
                            + System.getProperty("os.arch") + ": " + cause,
                    cause);
        }
    }

    /** Loads the native library once; remembers the failure instead of throwing from a class initialiser. */
    private static final class NativeLibrary {
        @SuppressWarnings("StaticAssignmentOfThrowable") // the one load attempt's failure, reported on every use
        static final Throwable CAUSE = load();

        private static Throwable load() {
            try {
                Loader.load();
                LibUsb.getApiVersion();
                return null;
            } catch (RuntimeException | LinkageError e) {
                return e;
            }
        }
    }

    @Override
    public String name() {
        return "libusb";
    }

    @Override
    public BusClock clock() {
        return clock;
    }

    @Override
    public void start(HostListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (devices) {
            if (this.listener != null) {
                throw new IllegalStateException("already started");
            }
            this.listener = listener;
        }
        eventThread.start();
        if (useHotplug && LibUsb.hasCapability(LibUsb.CAP_HAS_HOTPLUG)) {
            if ("Linux".equals(System.getProperty("os.name")) && !Files.exists(Path.of("/run/udev/control"))) {
                LOG.warn("No udevd is running (no /run/udev/control): libusb learns of new devices from udevd, "
                        + "so devices plugged in after start will not be seen");
            }
            HotplugCallbackHandle h = new HotplugCallbackHandle();
            int rc = LibUsb.hotplugRegisterCallback(
                    context,
                    LibUsb.HOTPLUG_EVENT_DEVICE_ARRIVED | LibUsb.HOTPLUG_EVENT_DEVICE_LEFT,
                    LibUsb.HOTPLUG_ENUMERATE,
                    LibUsb.HOTPLUG_MATCH_ANY,
                    LibUsb.HOTPLUG_MATCH_ANY,
                    LibUsb.HOTPLUG_MATCH_ANY,
                    (ctx, device, event, data) -> {
                        if (event == LibUsb.HOTPLUG_EVENT_DEVICE_ARRIVED) {
                            arrived(device);
                        } else {
                            left(device);
                        }
                        pollSoon();
                        return 0;
                    },
                    null,
                    h);
            if (rc == LibUsb.SUCCESS) {
                hotplug = h;
                eventDriven =
                        !"Linux".equals(System.getProperty("os.name")) || Files.exists(Path.of("/run/udev/control"));
            } else {
                LOG.warn("libusb hot-plug registration failed ({}); polling only", LibusbCodes.describe(rc));
            }
        }
        poll();
        if (!eventDriven) {
            // poll() catches and logs its own failures, so the future has nothing to report
            var unused = poller.scheduleWithFixedDelay(
                    this::poll, pollIntervalMillis, pollIntervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** After a hot-plug event: list the bus once, a poll interval later (devices that left, then unreferenced). */
    private void pollSoon() {
        if (!eventDriven || !running) {
            return;
        }
        try {
            // poll() catches and logs its own failures, so the future has nothing to report
            var unused = poller.schedule(this::poll, pollIntervalMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void runEvents() {
        while (running) {
            handleEvents(EVENT_TIMEOUT_MICROS);
            deliver();
        }
    }

    private void handleEvents(long timeoutMicros) {
        int rc = LibUsb.handleEventsTimeoutCompleted(context, timeoutMicros, null);
        if (rc != LibUsb.SUCCESS && rc != LibUsb.ERROR_INTERRUPTED && running) {
            LOG.warn("libusb event handling failed: {}", LibusbCodes.describe(rc));
        }
    }

    /**
     * A transfer libusb handed back (inside its event handling, on the event thread): completed once the
     * event handling has returned, so that callbacks run outside libusb's event lock and may wait by
     * handling events themselves.
     */
    void handedBack(NativeTransfer n) {
        if (Thread.currentThread() != eventThread) {
            n.device().completed(n); // not libusb's event handling (cannot happen): complete it here
            return;
        }
        if (completedTail == null) {
            completedHead = n;
        } else {
            completedTail.nextCompleted = n;
        }
        completedTail = n;
    }

    /** Completes what libusb handed back, then runs tasks posted to the event thread (event thread only). */
    private void deliver() {
        NativeTransfer n;
        while ((n = completedHead) != null) {
            // one at a time from the head: a callback that waits delivers the rest itself
            completedHead = n.nextCompleted;
            if (completedHead == null) {
                completedTail = null;
            }
            n.nextCompleted = null;
            try {
                n.device().completed(n);
            } catch (RuntimeException e) {
                LOG.error("Completing a libusb transfer failed", e);
            }
        }
        Runnable task;
        while ((task = posted.poll()) != null) {
            runReporting(task);
        }
    }

    /** The callback executor: in place on the event thread, else passed to it. */
    private void runOnEventThread(Runnable task) {
        if (Thread.currentThread() == eventThread) {
            task.run();
            return;
        }
        if (!running) {
            throw new RejectedExecutionException("the libusb backend is closed");
        }
        posted.add(task);
        LibUsb.interruptEventHandler(context);
    }

    /**
     * The event thread: completions are delivered there, and callbacks run there with no hand-off. A
     * callback that waits for a completion delivers completions itself meanwhile.
     */
    @Override
    public Optional<Executor> callbackExecutor() {
        return Optional.of(onEventThread);
    }

    /** On the event thread, always outside libusb's event handling when client code runs. */
    @Override
    public boolean canRunCompletionsHere() {
        return Thread.currentThread() == eventThread && running;
    }

    @Override
    public boolean runCompletionsUntil(BooleanSupplier done, long nanos) {
        if (!canRunCompletionsHere()) {
            return done.getAsBoolean();
        }
        long deadline = System.nanoTime() + nanos;
        while (true) {
            deliver();
            if (done.getAsBoolean()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !running) {
                return false;
            }
            handleEvents(Math.min(TimeUnit.NANOSECONDS.toMicros(left) + 1, WAIT_SLICE_MICROS));
        }
    }

    /** Reconciles the device list with libusb's: reports arrivals and departures events missed. */
    private void poll() {
        try {
            DeviceList list = new DeviceList();
            int n = LibUsb.getDeviceList(context, list);
            if (n < 0) {
                LOG.debug("libusb_get_device_list: {}", LibusbCodes.describe(n));
                return;
            }
            Set<Long> present = new HashSet<>();
            try {
                for (Device d : list) {
                    present.add(d.getPointer());
                    arrived(d);
                }
            } finally {
                LibUsb.freeDeviceList(list, true);
            }
            List<LibusbDevice> known;
            List<LibusbDevice> unlisted = new ArrayList<>();
            synchronized (devices) {
                known = List.copyOf(devices.values());
                for (LibusbDevice d : departed.values()) {
                    if (!present.contains(d.libusbDevice().getPointer())) {
                        unlisted.add(d);
                    }
                }
                settling.keySet().retainAll(present);
                ignored.entrySet().removeIf(e -> {
                    boolean gone = !present.contains(e.getKey());
                    if (gone) {
                        LibUsb.unrefDevice(e.getValue());
                    }
                    return gone;
                });
            }
            // isClosed() takes the device's lock outside ours: a submit that finds its device gone holds the
            // device's lock while it reports the departure, which takes ours
            for (LibusbDevice d : unlisted) {
                if (d.isClosed() && forget(d)) {
                    d.unref();
                }
            }
            for (LibusbDevice d : known) {
                if (!present.contains(d.libusbDevice().getPointer()) || d.probeGone()) {
                    deviceGone(d);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Polling the bus failed", e);
        }
    }

    private void arrived(Device device) {
        LibusbDevice d;
        synchronized (devices) {
            long pointer = device.getPointer();
            if (!running
                    || devices.containsKey(pointer)
                    || ignored.containsKey(pointer)
                    || departed.containsKey(pointer)) {
                return;
            }
            try {
                d = new LibusbDevice(this, device);
            } catch (BackendException e) {
                if (settles(pointer)) {
                    LOG.debug("A device is not readable yet, looking again: {}", e.getMessage());
                } else {
                    LOG.debug("Skipping a device: {}", e.getMessage());
                }
                return;
            }
            if (d.isHub() || !(ids.isEmpty() || ids.contains(d.vendorId() << 16 | d.productId()))) {
                ignored.put(device.getPointer(), LibUsb.refDevice(device));
                d.unref();
                settling.remove(pointer);
                return;
            }
            if (d.activeConfigurationValue() == 0
                    && !d.configurationDescriptors().isEmpty()
                    && settles(pointer)) {
                LOG.debug("{} is not configured yet, looking again", d);
                d.unref();
                return;
            }
            settling.remove(pointer);
            devices.put(device.getPointer(), d);
        }
        LOG.debug("Device arrived: {}", d);
        listener.deviceAttached(d);
    }

    /**
     * Whether a device not ready at {@code pointer} is to be looked at again (a poll interval from now) rather than
     * taken as it is: until {@link #SETTLE_NANOS} after it was first seen. Under the devices lock.
     */
    private boolean settles(long pointer) {
        long now = System.nanoTime();
        long first = settling.computeIfAbsent(pointer, k -> now);
        if (now - first >= SETTLE_NANOS) {
            settling.remove(pointer);
            return false;
        }
        if (eventDriven) {
            pollSoon(); // without hot-plug events the bus is polled anyway
        }
        return true;
    }

    private void left(Device device) {
        LibusbDevice d;
        synchronized (devices) {
            d = devices.get(device.getPointer());
        }
        if (d != null) {
            deviceGone(d);
        }
    }

    /** Drops a departed device from the list, once. */
    private boolean forget(LibusbDevice d) {
        synchronized (devices) {
            return departed.remove(d.libusbDevice().getPointer(), d);
        }
    }

    /** Reports a device's departure once, however it was noticed (event, poll, or a transfer's status). */
    void deviceGone(LibusbDevice d) {
        synchronized (devices) {
            long pointer = d.libusbDevice().getPointer();
            if (!devices.remove(pointer, d)) {
                return;
            }
            departed.put(pointer, d);
        }
        LOG.debug("Device left: {}", d);
        d.markGone();
        listener.deviceDetached(d);
    }

    // ---- services for the devices ---------------------------------------------------------------------------

    long currentFrame() {
        return clock.currentFrame();
    }

    boolean detachKernelDrivers() {
        return detachKernelDrivers;
    }

    int submitLead() {
        return submitLead;
    }

    boolean isEventThread() {
        return Thread.currentThread() == eventThread;
    }

    /** The event, timer and request threads: each completes transfers. */
    @Override
    public boolean isCompletionThread() {
        return completionThreads.contains(Thread.currentThread());
    }

    /** Records the threads a factory makes as threads that complete transfers. */
    private java.util.concurrent.ThreadFactory completing(java.util.concurrent.ThreadFactory f) {
        return r -> {
            Thread t = f.newThread(r);
            completionThreads.add(t);
            return t;
        };
    }

    /** Runs {@code task} on the timer thread at the start of {@code frame} (at once if it has begun). */
    void releaseAt(long frame, Runnable task) {
        long delay = clock.nanoTimeOf(frame) - System.nanoTime();
        // the future would swallow a failure: report it here instead
        var unused = timer.schedule(() -> runReporting(task), Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    private static void runReporting(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("A timed libusb task failed", e);
        }
    }

    /**
     * Completes a transfer outside libusb's event handling (one that never reached libusb, or came back before its
     * submission ended) on the event thread, where every other completes: client code that runs where a transfer
     * completes (a WinUSB OVERLAPPED's waiters and future dependents) may then wait, by delivering completions. On the
     * timer thread it could not, and a wait there for a held batch would wait for itself. While closing, on the timer
     * thread (close runs what the event thread left).
     */
    void completeOnEventThread(Runnable completion) {
        if (running) {
            posted.add(completion);
            LibUsb.interruptEventHandler(context);
        } else {
            timer.execute(completion);
        }
    }

    /** Runs a blocking libusb call off the caller's and the event thread. */
    void runBlocking(Runnable task) {
        blocking.execute(task);
    }

    @Override
    public void close() {
        List<LibusbDevice> present;
        synchronized (devices) {
            if (!running) {
                return;
            }
            running = false;
            present = List.copyOf(devices.values());
            devices.forEach(departed::put);
            devices.clear();
        }
        poller.shutdownNow();
        try {
            // a poll still running could unref a departed device under us
            poller.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (hotplug != null) {
            LibUsb.hotplugDeregisterCallback(context, hotplug);
        }
        HostListener l = listener;
        for (LibusbDevice d : present) {
            d.markGone();
            if (l != null) {
                l.deviceDetached(d);
            }
            d.close();
        }
        List<LibusbDevice> left;
        synchronized (devices) {
            left = List.copyOf(departed.values());
        }
        left.forEach(LibusbDevice::close);
        blocking.shutdown();
        timer.shutdown();
        if (isEventThread()) {
            // closed from a callback, which runs on the event thread: that thread stops once the callback returns,
            // so the wait for it, and libusb_exit after it, run on a thread of their own
            Thread t = new Thread(() -> stopEventsAndExit(left), "usbd-libusb-close");
            t.setDaemon(true);
            t.start();
            return;
        }
        stopEventsAndExit(left);
    }

    /** The end of {@link #close()}: waits for the event thread to stop, then releases libusb. */
    private void stopEventsAndExit(List<LibusbDevice> left) {
        boolean stopped = true;
        try {
            blocking.awaitTermination(2, TimeUnit.SECONDS);
            timer.awaitTermination(2, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (eventThread.isAlive() && System.nanoTime() < deadline) {
                LibUsb.interruptEventHandler(context);
                eventThread.join(100);
            }
            stopped = !eventThread.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = !eventThread.isAlive();
        }
        if (!stopped) {
            // libusb_exit under a thread still in libusb_handle_events would free its context under it
            LOG.error("The libusb event thread did not stop; leaving its context allocated");
            return;
        }
        Runnable task; // passed to the event thread as it stopped: run here rather than lose them
        while ((task = posted.poll()) != null) {
            runReporting(task);
        }
        left.forEach(LibusbDevice::unref);
        synchronized (devices) {
            departed.clear();
            ignored.values().forEach(LibUsb::unrefDevice);
            ignored.clear();
        }
        LibUsb.exit(context);
    }

    @Override
    public String toString() {
        return "libusb backend (" + LibUsb.getVersion() + ")";
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Configures a {@link LibusbHostController}. */
    public static final class Builder {
        private final Set<Integer> ids = new HashSet<>();
        private boolean detachKernelDrivers = true;
        private int submitLeadMillis = 2;
        private long pollIntervalMillis = 500;
        private boolean hotplug = true;

        private Builder() {}

        /**
         * Limits the backend to devices with these IDs; call again to add more. Without a call every
         * device except hubs is reported.
         *
         * @param vendorId {@code idVendor}
         * @param productId {@code idProduct}
         * @return this
         */
        public Builder device(int vendorId, int productId) {
            if ((vendorId & ~0xFFFF) != 0 || (productId & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("vendor and product IDs are 16-bit: " + vendorId + ":" + productId);
            }
            ids.add(vendorId << 16 | productId);
            return this;
        }

        /**
         * Whether opening a device detaches the kernel drivers bound to its interfaces (they are
         * re-attached when the device is closed). Default {@code true}; with {@code false} a device
         * whose interface a kernel driver holds fails to open with a message saying so.
         *
         * @param detach detach kernel drivers
         * @return this
         */
        public Builder detachKernelDrivers(boolean detach) {
            this.detachKernelDrivers = detach;
            return this;
        }

        /**
         * How long before its start frame a held isochronous batch is submitted: the kernel's ASAP
         * scheduling latency, to be measured per host controller. Default 2 ms.
         *
         * @param millis 0 to 1000
         * @return this
         */
        public Builder submitLeadMillis(int millis) {
            if (millis < 0 || millis > 1000) {
                throw new IllegalArgumentException("submit lead must be 0..1000 ms, was " + millis);
            }
            this.submitLeadMillis = millis;
            return this;
        }

        /**
         * How often the bus is polled for arrivals and departures where hot-plug events do not work; where
         * they do, how long after each event the bus is listed once to reconcile. Default 500 ms.
         *
         * @param millis 10 to 60000
         * @return this
         */
        public Builder pollIntervalMillis(long millis) {
            if (millis < 10 || millis > 60_000) {
                throw new IllegalArgumentException("poll interval must be 10..60000 ms, was " + millis);
            }
            this.pollIntervalMillis = millis;
            return this;
        }

        /**
         * Whether to use libusb's hot-plug events where the platform has them (default {@code true});
         * with {@code false} only polling finds devices.
         *
         * @param hotplug use hot-plug events
         * @return this
         */
        public Builder hotplug(boolean hotplug) {
            this.hotplug = hotplug;
            return this;
        }

        /**
         * Loads the native library, initialises a libusb context and returns the backend (not started:
         * {@code Usbd.builder().backend(...)} starts it).
         *
         * @return the backend
         * @throws LibusbUnavailableException if the native library cannot load or libusb cannot start
         */
        public LibusbHostController build() {
            requireNativeLibrary();
            Context context = new Context();
            int rc = LibUsb.init(context);
            if (rc != LibUsb.SUCCESS) {
                throw DeviceListing.initFailed(rc);
            }
            return new LibusbHostController(this, context);
        }
    }
}
