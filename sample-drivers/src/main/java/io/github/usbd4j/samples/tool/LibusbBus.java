package io.github.usbd4j.samples.tool;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.BackendDevice;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.ForwardingHostController;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.host.spi.HostListener;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.libusb.LibusbHostController;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.usb.UsbDevice;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The {@code libusb} backend of the tool: real devices through usb4java, limited to one VID:PID, in real
 * time. Each arriving device is checked against the driver before the runtime sees it ({@link Check}: for
 * a streaming driver {@link IsochStreamingDriver#problemWith}, and its speed, which the CE model does not
 * report, goes to the driver), and a device the driver cannot use is never opened; {@link #refused()}
 * says why. Only one device
 * is passed on (the one at the bus and ports chosen, if they were), so a second one with the same VID:PID
 * is never opened either.
 */
public final class LibusbBus implements ToolBus {
    /**
     * How long a device that could not be opened is given to report its departure: the kernel fails the open of
     * a device being unplugged (with an error that does not always say so) a little before the hot-plug event.
     */
    static final long DEPARTURE_GRACE_FRAMES = 1000;

    private final HostController backend;
    private final Usbd usbd;
    private final Gate gate;

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param driver the driver the device is for
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, IsochStreamingDriver driver) {
        this(vendorId, productId, busPorts, driver, null);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param driver the driver the device is for
     * @param capture where the runtime captures every transfer, or {@code null}; the runtime closes it
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, IsochStreamingDriver driver, CaptureTap capture) {
        this(
                vendorId,
                productId,
                busPorts,
                (info, speed) -> {
                    String problem = driver.problemWith(info, speed);
                    if (problem == null) {
                        driver.speed(speed);
                    }
                    return problem;
                },
                capture);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param check whether the driver can use an arriving device
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, Check check) {
        this(vendorId, productId, busPorts, check, null);
    }

    /**
     * @param vendorId the device's {@code idVendor}
     * @param productId the device's {@code idProduct}
     * @param busPorts where the device is ({@code "3-1"}, bus and port path), or {@code null} for the first
     *     with these IDs
     * @param check whether the driver can use an arriving device
     * @param capture where the runtime captures every transfer, or {@code null}; the runtime closes it
     * @throws io.github.usbd4j.libusb.LibusbUnavailableException if usb4java cannot run here
     */
    public LibusbBus(int vendorId, int productId, String busPorts, Check check, CaptureTap capture) {
        this(LibusbHostController.builder().device(vendorId, productId).build(), busPorts, check, capture);
    }

    /** On any real-time backend that reports only the devices with the VID:PID wanted (tests give their own). */
    LibusbBus(HostController backend, String busPorts, Check check, CaptureTap capture) {
        this.backend = backend;
        gate = new Gate(backend, check, busPorts == null ? null : "libusb:" + busPorts + " ");
        Usbd.Builder b = Usbd.builder().backend(gate).openFailureHandler((location, e) -> gate.openFailed.complete(e));
        if (capture != null) {
            b.capture(capture);
        }
        usbd = b.build();
    }

    /** Whether a driver can use a device, asked before the device is opened. */
    @FunctionalInterface
    public interface Check {
        /**
         * Says whether the driver can use the device.
         *
         * @param device the device's descriptors, its active configuration
         * @param speed its speed
         * @return why the driver cannot use it, or {@code null} if it can (the device is then passed on)
         */
        String problemWith(UsbDevice device, UsbSpeed speed);
    }

    @Override
    public Usbd usbd() {
        return usbd;
    }

    /** Completes with the location and the problem of the first device the driver cannot use. */
    public CompletableFuture<String> refused() {
        return gate.refused;
    }

    /** Where devices that passed the check arrived, in order. */
    public List<String> arrivals() {
        return List.copyOf(gate.arrivals);
    }

    @Override
    public boolean runUntil(BooleanSupplier done, long maxFrames) {
        CompletableFuture<Void> never = new CompletableFuture<>();
        long end = frame() + maxFrames;
        while (!done.getAsBoolean() && frame() < end) {
            await(never, Math.min(10, end - frame()));
        }
        return done.getAsBoolean();
    }

    /** Waits on the event itself: no polling. */
    @Override
    public boolean await(CompletableFuture<?> event, long maxFrames) {
        try {
            event.get(Math.max(0, maxFrames), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // timed out, or completed exceptionally: the caller looks at the event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return event.isDone();
    }

    @Override
    public long frame() {
        return backend.clock().currentFrame();
    }

    @Override
    public void close() {
        usbd.close();
    }

    /**
     * Waits on the backend's events until {@code taken} completes (the driver took the device, or refused it),
     * {@code stop} completes, or {@code waitFrames} passed, and says why when no device was taken. A device that
     * cannot be opened ends the wait at once: the engine does not try again, so waiting on could not help.
     *
     * @param taken completes when the driver took (or refused) the device
     * @param stop completes when a signal asks the run to stop
     * @param waitFrames how long to wait, in 1 ms frames ({@code --wait})
     * @param id the VID:PID, for messages
     * @throws ToolException {@link ExitCode#USAGE} for a device the driver cannot use (never opened);
     *     {@link ExitCode#IO_ERROR} for one that could not be opened, saying so when it left the bus (was
     *     unplugged) as it was being opened; {@link ExitCode#NO_DEVICE} when none was taken in time
     */
    void awaitTaken(CompletableFuture<?> taken, CompletableFuture<?> stop, long waitFrames, String id) {
        await(CompletableFuture.anyOf(taken, stop, gate.refused, gate.openFailed), waitFrames);
        if (taken.isDone() || stop.isDone()) {
            return;
        }
        if (gate.refused.isDone()) {
            throw new ToolException(ExitCode.USAGE, id + " at " + gate.refused.join() + " (nothing was opened)");
        }
        if (gate.openFailed.isDone()) {
            BackendException e = gate.openFailed.join();
            if (e.status() == PacketStatus.DEVICE_GONE || departed()) {
                throw new ToolException(
                        ExitCode.IO_ERROR,
                        id + " left the bus (was unplugged) while it was being opened: " + e.getMessage(),
                        e);
            }
            throw new ToolException(ExitCode.IO_ERROR, id + " could not be opened: " + e.getMessage(), e);
        }
        throw new ToolException(ExitCode.NO_DEVICE, notTaken(id, waitFrames));
    }

    /**
     * Whether the device passed on has left the bus, waiting up to {@link #DEPARTURE_GRACE_FRAMES} for the
     * hot-plug event: for a device whose open or first requests failed, to tell an unplugged one from a
     * failing one.
     */
    boolean departed() {
        return await(gate.departed, DEPARTURE_GRACE_FRAMES);
    }

    private String notTaken(String id, long waitFrames) {
        if (!gate.arrivals.isEmpty()) {
            return id + " arrived at " + String.join(", ", gate.arrivals) + " but was not taken within "
                    + UsbdTool.seconds(waitFrames) + " (see the log); a longer --wait may help if it is still"
                    + " being configured";
        }
        String found;
        try {
            found = DeviceView.summary(DeviceView.real());
        } catch (ToolException e) {
            found = e.getMessage();
        }
        return "no device " + id + " appeared within " + UsbdTool.seconds(waitFrames) + "; on the bus: " + found;
    }

    /**
     * Passes the backend through, checking each arriving device against the driver first; notes the departure
     * of the device passed on (the runtime tells of a failed open: {@link Usbd.Builder#openFailureHandler}).
     */
    private static final class Gate extends ForwardingHostController {
        private final Check check;
        private final CompletableFuture<String> refused = new CompletableFuture<>();
        private final CompletableFuture<BackendException> openFailed = new CompletableFuture<>();
        private final CompletableFuture<String> departed = new CompletableFuture<>();
        private final List<String> arrivals = new CopyOnWriteArrayList<>();
        private final Set<BackendDevice> passed = ConcurrentHashMap.newKeySet();
        /** The start of the chosen device's location, or {@code null} for any. */
        private final String locationPrefix;

        Gate(HostController backend, Check check, String locationPrefix) {
            super(backend);
            this.check = check;
            this.locationPrefix = locationPrefix;
        }

        @Override
        public void start(HostListener listener) {
            delegate().start(new HostListener() {
                @Override
                public void deviceAttached(BackendDevice device) {
                    if (admit(device)) {
                        listener.deviceAttached(device);
                    }
                }

                @Override
                public void deviceDetached(BackendDevice device) {
                    if (passed.remove(device)) {
                        departed.complete(device.location());
                        listener.deviceDetached(device);
                    }
                }
            });
        }

        /** Checks an arriving device; {@code true} if it is the one to pass on (the speed is then set). */
        private synchronized boolean admit(BackendDevice device) {
            if (!passed.isEmpty()
                    || (locationPrefix != null && !device.location().startsWith(locationPrefix))) {
                return false; // not the device chosen: never opened
            }
            if (device.activeConfigurationValue() == 0) {
                // caught between enumeration and SET_CONFIGURATION: not a device to judge (or open) yet
                arrivals.add(device.location() + " (unconfigured)");
                return false;
            }
            String problem;
            try {
                UsbDevice info = Descriptors.parseDevice(
                        device.deviceDescriptor(),
                        device.configurationDescriptors(),
                        device.activeConfigurationValue());
                problem = check.problemWith(info, device.speed());
            } catch (DescriptorException e) {
                problem = "its descriptors are malformed: " + e.getMessage();
            }
            if (problem != null) {
                refused.complete(device.location() + ": " + problem);
                return false;
            }
            passed.add(device);
            arrivals.add(device.location());
            return true;
        }
    }
}
