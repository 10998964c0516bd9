package io.github.usbd4j.host;

import io.github.usbd4j.ce.ClientDriverRegistration;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.internal.devmgr.CeDeviceManager;
import io.github.usbd4j.internal.engine.UsbdRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The USBD runtime: CE's {@code usbd.dll} over a {@link HostController} backend (usb-iso-apis.md §1.5).
 *
 * <p>Register client drivers in code ({@link #registerDriver}) or through {@link ServiceLoader}
 * ({@link Builder#loadDriversWithServiceLoader()}). When a device arrives, it is offered to the drivers in
 * CE's precedence order until one accepts control; the driver then calls {@link UsbFuncs} (the same table
 * {@link #funcs()} returns). On detach, every pipe of the device is closed and every pending transfer
 * completes with {@code USB_CANCELED_ERROR} before the driver's {@code USB_CLOSE_DEVICE} notification.
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

    /** CE's synchronous-transfer guard, {@code WAIT_DURATION_USB_TIMEOUT} (§1.7). */
    public static final long DEFAULT_SYNC_TIMEOUT_MILLIS = 4000;

    /** CE EHCI's {@code MIN_ADVANCED_FRAME}: the minimum lead of an isochronous start frame (§1.8). */
    public static final int DEFAULT_START_FRAME_LEAD = 6;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Usbd.class);

    private final UsbdRuntime runtime;
    private final CeDeviceManager deviceManager;
    private final List<ExecutorService> ownedExecutors;
    private final CaptureTap capture;

    private Usbd(UsbdRuntime runtime, List<ExecutorService> ownedExecutors, CaptureTap capture) {
        this.runtime = runtime;
        this.deviceManager = new CeDeviceManager(runtime.funcs()::openClientRegistryKey);
        this.ownedExecutors = ownedExecutors;
        this.capture = capture;
    }

    /** A builder; {@link Builder#backend} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The WinUSB isochronous personality on the same engine (usb-iso-apis.md §2): open a device of
     * {@link #devices()} with {@code initialize}.
     */
    public io.github.usbd4j.winusb.WinUsb winUsb() {
        return runtime.winUsb();
    }

    /** The WDM URB personality on the same engine (usb-iso-apis.md §3): start with {@code usbdCreateHandle}. */
    public io.github.usbd4j.wdm.Wdm wdm() {
        return runtime.wdm();
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

    /** The {@code USB_FUNCS} table, as passed to every driver's {@code USBDeviceAttach}. */
    public UsbFuncs funcs() {
        return runtime.funcs();
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
        runtime.registerDriver(uniqueDriverId, settings, driver);
    }

    /**
     * Removes a driver and calls its {@code USBUnInstallDriver}.
     *
     * @param uniqueDriverId the driver's ID
     * @return {@code false} if no driver was registered under it
     */
    public boolean unregisterDriver(String uniqueDriverId) {
        return runtime.unregisterDriver(uniqueDriverId);
    }

    /** The devices attached now. */
    public List<UsbHandle> devices() {
        return runtime.devices();
    }

    /**
     * The IDs of the drivers controlling a device.
     *
     * @param device a device from {@link #devices()}
     * @return the driver IDs, empty if no driver accepted it
     */
    public List<String> driversOf(UsbHandle device) {
        return runtime.driversOf(device);
    }

    /** The capture this runtime writes, or {@code null} (see {@link Builder#capture}). */
    public CaptureTap capture() {
        return capture;
    }

    /**
     * Detaches every device (with CE's detach ordering), stops the backend, uninstalls the drivers, and
     * deactivates the devices still loaded in the device manager; then closes the capture, if any.
     */
    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            deviceManager.close();
            if (capture != null) {
                try {
                    capture.close();
                } catch (java.io.IOException e) {
                    LOG.error("Capture {} could not be finished: {}", capture.file(), e.toString());
                }
            }
            for (ExecutorService e : ownedExecutors) {
                e.shutdown();
                try {
                    e.awaitTermination(5, TimeUnit.SECONDS);
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
        private boolean serviceLoader;
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
         * clock, the thread that advances the clock (deterministic); otherwise a pool of two daemon threads
         * named {@code usbd-callback-N}.
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
         * start frame closer than this is refused (§1.8). Default 6, CE EHCI's.
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
         * aborted and {@code null} returned with {@code ERROR_TIMEOUT} (§1.7). Default 4000 ms, CE's; bus
         * time on a virtual clock.
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
            Executor callbacks = callbackExecutor;
            if (callbacks == null) {
                callbacks =
                        virtual ? Runnable::run : own(owned, Executors.newFixedThreadPool(2, daemon("usbd-callback-")));
            }
            Executor attach =
                    virtual ? Runnable::run : own(owned, Executors.newSingleThreadExecutor(daemon("usbd-attach-")));
            if (capture != null) {
                capture.writer().useClock(backend.clock());
            }
            UsbdRuntime runtime = new UsbdRuntime(
                    backend,
                    callbacks,
                    attach,
                    startFrameLead,
                    syncTimeoutMillis,
                    capture == null ? null : capture.writer());
            Usbd usbd = new Usbd(runtime, owned, capture);
            List<ClientDriverRegistration> all = new ArrayList<>(registrations);
            if (serviceLoader) {
                ServiceLoader.load(ClientDriverRegistration.class).forEach(all::add);
            }
            for (ClientDriverRegistration r : all) {
                usbd.registerDriver(r.uniqueDriverId(), r.driverSettings(), r.newDriver());
            }
            runtime.start();
            return usbd;
        }

        private static ExecutorService own(List<ExecutorService> owned, ExecutorService e) {
            owned.add(e);
            return e;
        }

        private static ThreadFactory daemon(String prefix) {
            AtomicInteger n = new AtomicInteger();
            return r -> {
                Thread t = new Thread(r, prefix + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
        }
    }
}
