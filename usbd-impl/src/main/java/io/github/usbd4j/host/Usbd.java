package io.github.usbd4j.host;

import io.github.usbd4j.ce.ClientDriverRegistration;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.internal.ce.CeDrivers;
import io.github.usbd4j.internal.devmgr.BusWaits;
import io.github.usbd4j.internal.devmgr.CeDeviceManager;
import io.github.usbd4j.internal.engine.Engine;
import io.github.usbd4j.internal.wdm.WdmFuncs;
import io.github.usbd4j.internal.winusb.WinUsbFuncs;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The USBD runtime: CE's {@code usbd.dll} over a {@link HostController} backend
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>).
 *
 * <p>Register client drivers in code ({@link #registerDriver}) or through {@link ServiceLoader}
 * ({@link Builder#loadDriversWithServiceLoader()}). When a device arrives, it is offered to the drivers in
 * CE's precedence order until one accepts control; the driver then calls {@link UsbFuncs} (the same table
 * {@link #funcs()} returns). On detach, every pipe of the device is closed and every pending transfer
 * completes with {@code USB_CANCELED_ERROR} before the driver's {@code USB_CLOSE_DEVICE} notification.
 *
 * <p>The CE, WinUSB and WDM personalities ({@link #funcs()}, {@link #winUsb()}, {@link #wdm()}) are peers over
 * one transfer engine and may be used side by side on the same devices.
 *
 * <pre>{@code
 * UsbClientDriver driver = (device, funcs, iface, id, accept, settings, unused) -> {
 *     accept[0] = true; // a real driver opens its pipes and issues transfers here
 *     return true;
 * };
 * SimulatedHostController sim = SimulatedHostController.builder().build();
 * try (Usbd usbd = Usbd.builder().backend(sim).build()) {
 *     usbd.registerDriver("Loopback", UsbDriverSettings.forVendor(0x1209, 0x0001), driver);
 *     sim.attach(LoopbackDevice.fullSpeed());
 *     sim.advanceFrames(1000);
 * }
 * }</pre>
 *
 * <p>A first program that issues a transfer: <a href="{@docRoot}/../getting-started.html">Getting started</a>.
 */
public final class Usbd implements AutoCloseable {

    /**
     * CE's synchronous-transfer guard, {@code WAIT_DURATION_USB_TIMEOUT}
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>).
     */
    public static final long DEFAULT_SYNC_TIMEOUT_MILLIS = 4000;

    /**
     * CE EHCI's {@code MIN_ADVANCED_FRAME}: the minimum lead of an isochronous start frame
     * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>).
     */
    public static final int DEFAULT_START_FRAME_LEAD = 6;

    /**
     * How many later transfers of a pipe a closed CE transfer handle waits out before the object may be
     * handed out again: for that long a stale handle answers {@code ERROR_INVALID_HANDLE} (
     * <a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a> rule c). 16,384 handles, about 0.45 MB per
     * isochronous pipe (made when it opens) and per other pipe once it has carried that many transfers.
     */
    public static final int DEFAULT_TRANSFER_HANDLE_QUARANTINE = 16_384;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Usbd.class);

    private final Engine engine;
    private final CeDrivers drivers;
    private final WinUsbFuncs winUsb;
    private final WdmFuncs wdm;
    private final CeDeviceManager deviceManager;
    private final List<ExecutorService> ownedExecutors;
    /** The threads of {@link #ownedExecutors}: a close on one of them cannot wait for its own executor. */
    private final Set<Thread> ownedThreads;

    private final CaptureTap capture;

    /** How long {@link #close()} waits for each executor of its own ({@link #boundCloseWaits}). */
    private volatile long executorWaitMillis = 5_000;

    private Usbd(
            Engine engine,
            CeDrivers drivers,
            List<ExecutorService> ownedExecutors,
            Set<Thread> ownedThreads,
            CaptureTap capture) {
        this.engine = engine;
        this.drivers = drivers;
        this.winUsb = new WinUsbFuncs(engine);
        this.wdm = new WdmFuncs(engine);
        this.deviceManager = new CeDeviceManager(drivers.funcs()::openClientRegistryKey, busWaits(engine));
        this.ownedExecutors = ownedExecutors;
        this.ownedThreads = ownedThreads;
        this.capture = capture;
    }

    /** A builder; {@link Builder#backend} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The WinUSB isochronous personality on the same engine (<a href="{@docRoot}/../reference/winusb.html#s2">§2</a>):
     * open a device of {@link #devices()} with {@code initialize}.
     */
    public io.github.usbd4j.winusb.WinUsb winUsb() {
        return winUsb;
    }

    /**
     * The WDM URB personality on the same engine (<a href="{@docRoot}/../reference/wdm.html#s3">§3</a>): start with
     * {@code usbdCreateHandle}.
     */
    public io.github.usbd4j.wdm.Wdm wdm() {
        return wdm;
    }

    /**
     * CE's device manager on this runtime: a client driver calls its {@code ActivateDeviceEx} from
     * {@code USBDeviceAttach} and {@code DeactivateDevice} on {@code USB_CLOSE_DEVICE}, and applications
     * reach the loaded devices with {@code CreateFile("LBK1:")}. The keys of the registered drivers,
     * {@code Drivers\USB\ClientDrivers\<id>}, are the ones {@code openClientRegistryKey} returns.
     */
    public DeviceManager deviceManager() {
        return deviceManager;
    }

    /**
     * How many client callbacks have thrown since the runtime was built (transfer callbacks, device
     * notifications, WinUSB and WDM completions); each also went to {@link Builder#callbackFailureHandler}.
     * Non-zero means a driver has a bug the runtime hid from it.
     */
    public long callbackFailures() {
        return engine.callbackFailures();
    }

    /** The {@code USB_FUNCS} table, as passed to every driver's {@code USBDeviceAttach}. */
    public UsbFuncs funcs() {
        return drivers.funcs();
    }

    /**
     * Registers a client driver (CE: {@code RegisterClientDriverID} + {@code RegisterClientSettings}) and
     * calls its {@code USBInstallDriver}. Attached devices that no driver controls are offered to it.
     *
     * @param uniqueDriverId the driver's ID, unique in this runtime
     * @param settings which devices or interfaces it wants
     * @param driver the driver
     * @throws IllegalArgumentException if the ID is taken
     * @throws IllegalStateException if {@code USBInstallDriver} returns {@code false}
     */
    public void registerDriver(String uniqueDriverId, UsbDriverSettings settings, UsbClientDriver driver) {
        Objects.requireNonNull(uniqueDriverId, "uniqueDriverId");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(driver, "driver");
        drivers.registerDriver(uniqueDriverId, settings, driver);
    }

    /**
     * Removes a driver and calls its {@code USBUnInstallDriver}.
     *
     * @param uniqueDriverId the driver's ID
     * @return {@code false} if no driver was registered under it
     */
    public boolean unregisterDriver(String uniqueDriverId) {
        return drivers.unregisterDriver(uniqueDriverId);
    }

    /** The devices attached now. */
    public List<UsbHandle> devices() {
        return drivers.devices();
    }

    /**
     * The IDs of the drivers controlling a device.
     *
     * @param device a device from {@link #devices()}
     * @return the driver IDs, empty if no driver accepted it
     */
    public List<String> driversOf(UsbHandle device) {
        return drivers.driversOf(device);
    }

    /** Transfers taken from their pools and not back yet: 0 once every transfer was closed (for tests). */
    long transfersInUse() {
        return engine.transfersInUse();
    }

    /**
     * Bounds {@link #close()}'s waits for callbacks and for the runtime's own executors (10 s and 5 s by default).
     * Package-private, for tests that assert a close made in a callback does not wait: with a bound beyond their hang
     * guard, a wait fails them as a hang instead of being timed on the wall clock.
     */
    void boundCloseWaits(long millis) {
        engine.quietWaitMillis(millis);
        executorWaitMillis = millis;
    }

    /** The device manager's waits on the engine's bus. */
    private static BusWaits busWaits(Engine engine) {
        return new BusWaits() {
            @Override
            public boolean waitsByRunning() {
                return engine.waitsByRunning();
            }

            @Override
            public boolean canBlock() {
                return engine.canBlock();
            }

            @Override
            public boolean runUntil(BooleanSupplier done, long millis) {
                return engine.runUntil(done, millis);
            }

            @Override
            public long nowMillis() {
                return engine.clock().currentFrame(); // 1 ms frames, bus time on every clock
            }
        };
    }

    /** The capture this runtime writes, or {@code null} (see {@link Builder#capture}). */
    public CaptureTap capture() {
        return capture;
    }

    /**
     * Detaches every device (with CE's detach ordering), stops the backend, uninstalls the drivers, and
     * deactivates the devices still loaded in the device manager; then closes the capture, if any. It waits
     * (bounded) for running callbacks to return, except when called from a callback: then the detaches finish as
     * the callbacks return, this one's included.
     */
    @Override
    public void close() {
        try {
            engine.close();
            drivers.uninstallAll();
        } finally {
            deviceManager.close();
            if (capture != null) {
                try {
                    capture.close();
                } catch (java.io.IOException e) {
                    LOG.error("Capture {} could not be finished: {}", capture.file(), e.toString());
                }
            }
            boolean onOwnThread = ownedThreads.contains(Thread.currentThread()); // a callback closing the runtime
            for (ExecutorService e : ownedExecutors) {
                e.shutdown();
                if (onOwnThread) {
                    continue; // its executor ends when this thread returns; waiting would wait for itself
                }
                try {
                    e.awaitTermination(executorWaitMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Builds a {@link Usbd}. */
    public static final class Builder {
        private HostController backend;
        private Executor callbackExecutor;
        private int startFrameLead = DEFAULT_START_FRAME_LEAD;
        private long syncTimeoutMillis = DEFAULT_SYNC_TIMEOUT_MILLIS;
        private int transferHandleQuarantine = DEFAULT_TRANSFER_HANDLE_QUARANTINE;
        private boolean serviceLoader;
        private Consumer<? super RuntimeException> callbackFailureHandler;
        private BiConsumer<String, BackendException> openFailureHandler;
        private CaptureTap capture;
        private final List<ClientDriverRegistration> registrations = new ArrayList<>();

        private Builder() {}

        /**
         * The host controller to run on: a {@code SimulatedHostController} or the usb4java backend.
         *
         * @param backend the backend; the runtime owns it from now on and closes it
         * @return this
         */
        public Builder backend(HostController backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Where transfer callbacks run, one pipe at a time in completion order. Default: on a virtual
         * clock, the thread that advances the clock (deterministic); on the usb4java backend, its event
         * thread, right after libusb hands back the transfer, with no hand-off (a synchronous call made in
         * a callback there waits by handling libusb's events itself, so it completes as on any thread);
         * on a real-time simulated bus, its clock thread, right after the microframe that completed the
         * transfer (a callback that holds it for over a millisecond moves the clock to a new thread, so a
         * blocking callback never stops the bus); otherwise a pool of two daemon threads named
         * {@code usbd-callback-N}. Give a pool here to keep
         * slow callbacks off the usb4java event thread. An executor that runs each task where it is given
         * ({@code Runnable::run}) runs callbacks on whichever thread completes the transfer; a synchronous
         * call made on a backend thread that cannot wait that way, which would wait for a completion only
         * that thread can deliver, fails at once ({@code ERROR_BUSY}) instead of hanging.
         *
         * @param executor the executor
         * @return this
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The minimum lead, in frames, between the current frame and the first frame of an isochronous
         * transfer; ASAP transfers that do not continue a stream start this far ahead, and an explicit
         * start frame closer than this is refused (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a>).
         * Default 6, CE EHCI's.
         *
         * @param frames 1..1024
         * @return this
         */
        public Builder startFrameLead(int frames) {
            if (frames < 1 || frames > 1024) {
                throw new IllegalArgumentException("the start-frame lead must be 1..1024 frames, was " + frames);
            }
            this.startFrameLead = frames;
            return this;
        }

        /**
         * How long a synchronous call (no callback, no {@code USB_NO_WAIT}) waits before the transfer is
         * aborted and {@code null} returned with {@code ERROR_TIMEOUT}
         * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>). Default 4000 ms, CE's; bus time on a virtual
         * clock.
         *
         * @param millis at least 1
         * @return this
         */
        public Builder syncTimeoutMillis(long millis) {
            if (millis < 1) {
                throw new IllegalArgumentException("the synchronous-call guard must be at least 1 ms, was " + millis);
            }
            this.syncTimeoutMillis = millis;
            return this;
        }

        /**
         * How many later transfers of the same pipe a closed {@code UsbTransfer} handle waits out before its
         * object may carry a new transfer (default {@value #DEFAULT_TRANSFER_HANDLE_QUARANTINE}); a handle
         * starts its wait, and counts for the ones before it, once its transfer is closed and finished (its
         * callback run, a pending one cancelled and back). Until
         * then every call with the closed handle answers {@code FALSE} with {@code ERROR_INVALID_HANDLE}
         * (a second {@code CloseTransfer} included) and touches no live transfer; afterwards a stale handle
         * may name a newer transfer of the same pipe, as CE's recycled memory may
         * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>). Each waiting handle costs about 28 bytes.
         * An isochronous pipe makes its whole quarantine of handles when it opens (about 0.45 MB at the default), so
         * that its stream allocates nothing from the first transfer on: a handle per transfer until the quarantine is
         * full would be garbage that the collector copies, with pauses, while the stream runs. Other pipes make
         * their handles as they need them and reuse them once the quarantine is full.
         *
         * @param handles 1 to 16,777,216
         * @return this
         */
        public Builder transferHandleQuarantine(int handles) {
            if (handles < 1 || handles > 1 << 24) {
                throw new IllegalArgumentException("the handle quarantine must be 1..16777216, was " + handles);
            }
            this.transferHandleQuarantine = handles;
            return this;
        }

        /**
         * What happens when a client's callback throws: a transfer's {@code LPTRANSFER_NOTIFY_ROUTINE}, a
         * device notification routine, a WinUSB or WDM completion. CE would crash the driver's process;
         * here the exception is caught, the transfer still settles and the runtime goes on, the failure is
         * counted ({@link Usbd#callbackFailures()}) and handed to this handler, on the thread that ran the
         * callback. Default: a warning through SLF4J, which an application without an SLF4J provider does not
         * see; a handler that throws is logged and ignored.
         *
         * @param handler the handler, e.g. {@code e -> failures.add(e)} or one that fails a test
         * @return this
         */
        public Builder callbackFailureHandler(Consumer<? super RuntimeException> handler) {
            this.callbackFailureHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * What happens when an arriving device cannot be opened (permission denied, a driver of the system holding
         * it, or the device leaving as it is opened): no client driver hears of it, the runtime logs a warning and
         * hands the device's location and the backend's reason ({@link BackendException#status()} is {@code
         * DEVICE_GONE} for one that left) to this handler, on the thread that attaches devices. Default: the
         * warning only.
         *
         * @param handler the handler, e.g. one that ends an application's wait for its device
         * @return this
         */
        public Builder openFailureHandler(BiConsumer<String, BackendException> handler) {
            this.openFailureHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Captures every transfer into a usbmon pcapng file (see {@link CaptureTap}); the runtime closes the
         * capture when it closes. Without this, nothing is captured and nothing is paid for it.
         *
         * @param capture the capture, e.g. {@code CaptureTap.toFile(Path.of("run.pcapng"))}
         * @return this
         */
        public Builder capture(CaptureTap capture) {
            this.capture = Objects.requireNonNull(capture, "capture");
            return this;
        }

        /**
         * Registers a driver as soon as the runtime is built (before the backend reports devices).
         *
         * @param registration the driver, its ID and settings
         * @return this
         */
        public Builder driver(ClientDriverRegistration registration) {
            registrations.add(Objects.requireNonNull(registration, "registration"));
            return this;
        }

        /**
         * Also registers every {@link ClientDriverRegistration} that {@link ServiceLoader} finds.
         *
         * @return this
         */
        public Builder loadDriversWithServiceLoader() {
            this.serviceLoader = true;
            return this;
        }

        /**
         * Builds the runtime, registers the drivers, and starts the backend.
         *
         * @return the runtime
         */
        public Usbd build() {
            if (backend == null) {
                throw new IllegalStateException("no backend: call backend(...) first");
            }
            boolean virtual = backend.clock().isVirtual();
            List<ExecutorService> owned = new ArrayList<>();
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            Executor callbacks = callbackExecutor;
            if (callbacks == null) {
                callbacks = virtual
                        ? Runnable::run
                        : backend.callbackExecutor()
                                .orElseGet(() ->
                                        own(owned, Executors.newFixedThreadPool(2, daemon("usbd-callback-", threads))));
            }
            Executor attach = virtual
                    ? Runnable::run
                    : own(owned, Executors.newSingleThreadExecutor(daemon("usbd-attach-", threads)));
            if (capture != null) {
                capture.writer().useClock(backend.clock());
            }
            Engine engine =
                    new Engine(backend, callbacks, attach, startFrameLead, capture == null ? null : capture.writer());
            if (callbackFailureHandler != null) {
                engine.onCallbackFailure(callbackFailureHandler);
            }
            if (openFailureHandler != null) {
                engine.onOpenFailure(openFailureHandler);
            }
            CeDrivers drivers = new CeDrivers(engine, syncTimeoutMillis, transferHandleQuarantine);
            Usbd usbd = new Usbd(engine, drivers, owned, threads, capture);
            List<ClientDriverRegistration> all = new ArrayList<>(registrations);
            if (serviceLoader) {
                ServiceLoader.load(ClientDriverRegistration.class).forEach(all::add);
            }
            for (ClientDriverRegistration r : all) {
                usbd.registerDriver(r.uniqueDriverId(), r.driverSettings(), r.newDriver());
            }
            engine.start(drivers);
            return usbd;
        }

        private static ExecutorService own(List<ExecutorService> owned, ExecutorService e) {
            owned.add(e);
            return e;
        }

        private static ThreadFactory daemon(String prefix, Set<Thread> threads) {
            AtomicInteger n = new AtomicInteger();
            return r -> {
                Thread t = new Thread(r, prefix + n.incrementAndGet());
                t.setDaemon(true);
                threads.add(t);
                return t;
            };
        }
    }
}
